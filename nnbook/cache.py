"""The content-addressed result store.

An experiment's results live at `<root>/<profile>/<experiment-id>/<key>.npz`, where the key
hashes everything that can change them (see `result_key`). Arrays are stored as compressed
NumPy members; numbers, strings and the provenance as one JSON member. Writes go to a
temporary file that is renamed into place, so an interrupted run never leaves half an
entry; a damaged entry fails to load, is reported, removed and recomputed.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from .fingerprint import fingerprint
from .registry import Experiment, Results

META = "__meta__"
KEY_LENGTH = 16


class DamagedEntry(Exception):
    """A stored entry that cannot be read back whole."""


@dataclass(frozen=True)
class Result:
    values: Results
    provenance: dict[str, Any]

    def __getitem__(self, name: str) -> Any:
        return self.values[name]


def library_versions() -> dict[str, str]:
    """TensorFlow and Keras versions, read from package metadata without importing them."""
    versions = {}
    for label, dists in {"tensorflow": ("tensorflow", "tensorflow-cpu"), "keras": ("keras",)}.items():
        for dist in dists:
            try:
                versions[label] = metadata.version(dist)
                break
            except metadata.PackageNotFoundError:
                continue
        else:
            versions[label] = "missing"
    return versions


def result_key(experiment: Experiment, profile: str) -> str:
    """Hash of the code, parameters, seed, profile and library versions behind a result."""
    recipe = {
        "code": fingerprint(experiment.func),
        "params": experiment.params(profile),
        "seed": experiment.seed,
        "profile": profile,
        "versions": library_versions(),
    }
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:KEY_LENGTH]


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _plain(value: Any) -> Any:
    """NumPy scalars and nested containers as JSON-ready Python values."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def encode(result: Result) -> bytes:
    arrays: dict[str, np.ndarray] = {}
    scalars: dict[str, Any] = {}
    for name, value in result.values.items():
        if isinstance(value, np.ndarray):
            if value.dtype == object:
                raise TypeError(f"result {name!r} is an object array; return numbers or strings")
            arrays[name] = value
        else:
            scalars[name] = _plain(value)
    meta = json.dumps({"scalars": scalars, "provenance": result.provenance}, sort_keys=True)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays, **{META: np.frombuffer(meta.encode(), dtype=np.uint8)})
    return buffer.getvalue()


def decode(data: bytes) -> Result:
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            members = {name: npz[name] for name in npz.files}
        meta = json.loads(members.pop(META).tobytes().decode())
    except (zipfile.BadZipFile, ValueError, KeyError, OSError, EOFError, UnicodeDecodeError) as e:
        raise DamagedEntry(str(e) or type(e).__name__) from e
    return Result({**members, **meta["scalars"]}, meta["provenance"])


class ResultStore:
    """Results of one profile under one root folder."""

    def __init__(self, root: Path, profile: str):
        self.root = Path(root)
        self.profile = profile

    def folder(self, experiment_id: str) -> Path:
        return self.root / self.profile / experiment_id

    def path(self, experiment_id: str, key: str) -> Path:
        return self.folder(experiment_id) / f"{key}.npz"

    def has(self, experiment_id: str, key: str) -> bool:
        return self.path(experiment_id, key).is_file()

    def load(self, experiment_id: str, key: str) -> Result:
        """The stored result; `FileNotFoundError` if absent, `DamagedEntry` if unreadable."""
        path = self.path(experiment_id, key)
        try:
            return decode(path.read_bytes())
        except DamagedEntry as e:
            raise DamagedEntry(f"{path}: {e}") from e

    def discard(self, experiment_id: str, key: str) -> None:
        self.path(experiment_id, key).unlink(missing_ok=True)

    def save(self, experiment_id: str, key: str, result: Result) -> Path:
        """Store a result and remove the entries it supersedes."""
        path = self.path(experiment_id, key)
        write_atomically(path, encode(result))
        for old in path.parent.glob("*.npz"):
            if old != path:
                old.unlink()
        return path

    def entries(self) -> dict[str, list[Path]]:
        """Stored files by experiment id."""
        base = self.root / self.profile
        found: dict[str, list[Path]] = {}
        for path in sorted(base.glob("*/*/*.npz")):
            found.setdefault(path.parent.relative_to(base).as_posix(), []).append(path)
        return found


class RenderCache:
    """Rendered outputs (HTML, Markdown, values) by a key of their code and result."""

    def __init__(self, root: Path, profile: str):
        self.folder = Path(root) / ".rendered" / profile

    def get(self, key: str) -> Any | None:
        try:
            return json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, key: str, value: Any, replace: str = "") -> None:
        """Store `value`; `replace` is a glob of older entries that this one supersedes."""
        path = self.folder / f"{key}.json"
        write_atomically(path, json.dumps(value).encode())
        for old in self.folder.glob(f"{replace}.json") if replace else ():
            if old != path:
                old.unlink(missing_ok=True)
