"""The content-addressed result store.

An experiment's results live at `<root>/<profile>/<experiment-id>/<key>.npz`, where the key
hashes everything that can change them (see `result_key`). Arrays are stored as compressed
NumPy members; numbers, strings, the provenance and a checksum of it all as one JSON member.
The same results always encode to the same bytes (fixed member order and timestamps), and a
result identical to the stored one leaves the file untouched, so `git diff` shows real
changes only.

Nothing is ever removed before its successor is in place: writes go to a temporary file
that is renamed over the old one, and the entries a new result supersedes move to
`<root>/.superseded/` (untracked), from where going back to older code restores them
instead of retraining. A damaged entry fails its checksum, is reported and recomputed.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import os
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

from .fingerprint import fingerprint
from .lazy import numpy as np
from .provenance import BadProvenance, validate
from .registry import Experiment, Results

META = "__meta__"
KEY_LENGTH = 16
SUPERSEDED = ".superseded"
KEEP_SUPERSEDED = 5  # per experiment: enough to undo a few edits
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed member timestamps: the same results give the same bytes


class DamagedEntry(Exception):
    """A stored entry that cannot be read back whole."""


@dataclass(frozen=True)
class Result:
    values: Results
    provenance: dict[str, Any]

    def __getitem__(self, name: str) -> Any:
        return self.values[name]


def _pinned(dist: str) -> str | None:
    """The version nnbook pins for `dist` (its `experiments` extra), from nnbook's own metadata."""
    try:
        requirements = metadata.requires("nnbook") or []
    except metadata.PackageNotFoundError:
        return None
    for requirement in requirements:
        name, _, rest = requirement.partition("==")
        if name.strip() == dist and rest:
            return rest.split(";")[0].strip()
    return None


def library_versions() -> dict[str, str]:
    """TensorFlow and Keras versions, read from package metadata without importing them.

    A site-only install has neither: the versions nnbook pins stand in, so that it finds the
    committed results under the same keys as an install that runs experiments."""
    versions = {}
    for label, dists in {"tensorflow": ("tensorflow", "tensorflow-cpu"), "keras": ("keras",)}.items():
        for dist in dists:
            try:
                versions[label] = metadata.version(dist)
                break
            except metadata.PackageNotFoundError:
                continue
        else:
            versions[label] = next(filter(None, map(_pinned, dists)), "missing")
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


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


FILE_MODE = 0o666 & ~_umask()  # what a plain `open(..., "w")` would give: shared checkouts can read results


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never half.

    The temporary file's name carries this process's id, so that a later run can tell a
    leftover of a killed run (see `leftovers`) from a write in progress. The file gets the
    mode the umask gives, not `mkstemp`'s private 0600."""
    if path.is_dir():
        raise IsADirectoryError(21, "a folder is in the way of a file; remove it", str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    try:
        os.fchmod(fd, FILE_MODE)
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


def _split(values: Results) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    arrays: dict[str, np.ndarray] = {}
    scalars: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, np.ndarray):
            if value.dtype == object:
                raise TypeError(f"result {name!r} is an object array; return numbers or strings")
            arrays[name] = value
        else:
            scalars[name] = _plain(value)
    return arrays, scalars


def is_timing(name: str) -> bool:
    """Results named `...seconds` are wall-clock times: they vary from run to run and machine to
    machine, so comparisons of results (an identical rerun, `nnbook verify`) leave them out."""
    return name.endswith("seconds")


def values_digest(values: Results, timings: bool = True) -> str:
    """A hash of the values alone (not their provenance): equal digests, equal results.
    Without `timings`, wall-clock times are left out (see `is_timing`)."""
    arrays, scalars = _split({k: v for k, v in values.items() if timings or not is_timing(k)})
    digest = hashlib.sha256(json.dumps(scalars, sort_keys=True).encode())
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"\0{name}\0{array.dtype.str}\0{array.shape}\0".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def _checksum(values_hash: str, provenance: dict[str, Any]) -> str:
    return hashlib.sha256((values_hash + json.dumps(provenance, sort_keys=True)).encode()).hexdigest()


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asanyarray(array), allow_pickle=False)
    return buffer.getvalue()


def encode(result: Result) -> bytes:
    """The result as an `.npz` archive whose bytes depend on the result only."""
    arrays, scalars = _split(result.values)
    checksum = _checksum(values_digest(result.values), result.provenance)
    meta = json.dumps({"scalars": scalars, "provenance": result.provenance, "checksum": checksum}, sort_keys=True)
    members = {**arrays, META: np.frombuffer(meta.encode(), dtype=np.uint8)}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(f"{name}.npy", date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, _npy(members[name]))
    return buffer.getvalue()


UNREADABLE = (zipfile.BadZipFile, zlib.error, ValueError, KeyError, TypeError, OSError, EOFError, UnicodeDecodeError)


def _check_members(data: bytes) -> None:
    """Every member's array header promises exactly the bytes the member holds, so that no header
    can make the reader allocate more than the file contains."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            with archive.open(info) as f:
                version = np.lib.format.read_magic(f)
                read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) \
                    else np.lib.format.read_array_header_2_0
                shape, _, dtype = read_header(f)
                if dtype.hasobject:
                    raise ValueError(f"member {info.filename} holds Python objects")
                expected = f.tell() + int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
                if expected != info.file_size:
                    raise ValueError(f"member {info.filename} claims {expected} bytes and holds {info.file_size}")


def _byte_array(npy: bytes) -> bytes:
    """The bytes of a one-dimensional uint8 `.npy` array (a result's metadata member), read without
    NumPy: the provenance of a stored result is what a build with nothing stale reads of it."""
    if npy[:6] != b"\x93NUMPY" or npy[6] not in (1, 2, 3):
        raise ValueError("not an .npy array")
    width = 2 if npy[6] == 1 else 4
    length = int.from_bytes(npy[8:8 + width], "little")
    try:
        header = ast.literal_eval(npy[8 + width:8 + width + length].decode("latin1"))
    except (SyntaxError, ValueError) as e:
        raise ValueError(f"unreadable array header: {e}") from None
    body = npy[8 + width + length:]
    if not isinstance(header, dict) or header.get("descr") != "|u1" or header.get("fortran_order") is not False \
            or header.get("shape") != (len(body),):
        raise ValueError(f"not a one-dimensional byte array of {len(body)} bytes: {header!r}")
    return body


def decode(data: bytes) -> Result:
    """The stored result; `DamagedEntry` when it cannot be read whole, fails its checksum, or its
    provenance is not of the shape nnbook writes (see `provenance.validate`)."""
    try:
        _check_members(data)
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            members = {name: npz[name] for name in npz.files}
        meta = json.loads(members.pop(META).tobytes().decode())
        values = {**members, **meta["scalars"]}
        stored, provenance = meta["checksum"], meta["provenance"]
    except UNREADABLE as e:
        raise DamagedEntry(f"unreadable ({type(e).__name__}: {e})") from e
    try:
        validate(provenance)
    except BadProvenance as e:
        raise DamagedEntry(str(e)) from e
    if _checksum(values_digest(values), provenance) != stored:
        raise DamagedEntry("checksum mismatch: its contents changed after it was written")
    return Result(values, provenance)


def process_alive(pid: int) -> bool:
    """Whether process `pid` still runs (a temporary file or folder of it is not a leftover)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ResultStore:
    """Results of one profile under one root folder, with the entries they superseded."""

    def __init__(self, root: Path, profile: str):
        self.root = Path(root)
        self.profile = profile

    def folder(self, experiment_id: str) -> Path:
        return self.root / self.profile / experiment_id

    def path(self, experiment_id: str, key: str) -> Path:
        return self.folder(experiment_id) / f"{key}.npz"

    def superseded(self, experiment_id: str, key: str) -> Path:
        return self.root / SUPERSEDED / self.profile / experiment_id / f"{key}.npz"

    def has(self, experiment_id: str, key: str) -> bool:
        return self.path(experiment_id, key).is_file()

    def _read(self, path: Path) -> bytes:
        """The bytes of an entry; `FileNotFoundError` if absent, `DamagedEntry` if it is not a file."""
        if path.exists() and not path.is_file():
            raise DamagedEntry(f"{path}: not a file; remove it")
        try:
            return path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            raise FileNotFoundError(2, "no stored result", str(path)) from None

    def _belongs(self, path: Path, experiment_id: str, key: str, provenance: dict[str, Any]) -> None:
        """An entry copied over another one's file is refused: its provenance names its place."""
        found = (provenance["experiment"], provenance["key"], provenance["profile"])
        if found != (experiment_id, key, self.profile):
            raise DamagedEntry(f"{path}: holds the result of {found[0]} ({found[2]}, key {found[1]}), "
                               "not of the experiment, key and profile its path names")

    def load(self, experiment_id: str, key: str) -> Result:
        """The stored result; `FileNotFoundError` if absent, `DamagedEntry` if unreadable."""
        path = self.path(experiment_id, key)
        try:
            result = decode(self._read(path))
        except DamagedEntry as e:
            raise DamagedEntry(f"{path}: {e}") from e
        self._belongs(path, experiment_id, key, result.provenance)
        return result

    def provenance(self, experiment_id: str, key: str) -> dict[str, Any]:
        """A stored result's provenance alone (its arrays are not read), checked like `load` checks it."""
        path = self.path(experiment_id, key)
        try:
            with zipfile.ZipFile(io.BytesIO(self._read(path))) as archive:
                meta = json.loads(_byte_array(archive.read(f"{META}.npy")).decode())
            provenance = meta["provenance"]
            validate(provenance)
        except BadProvenance as e:
            raise DamagedEntry(f"{path}: {e}") from e
        except UNREADABLE as e:
            raise DamagedEntry(f"{path}: unreadable ({type(e).__name__}: {e})") from e
        self._belongs(path, experiment_id, key, provenance)
        return provenance

    def save(self, experiment_id: str, key: str, result: Result) -> Path:
        """Store a result in place of the entries it supersedes, which move aside.

        A result equal to the one already stored under `key` (timings aside) leaves that file
        as it is."""
        path = self.path(experiment_id, key)
        try:
            same = values_digest(self.load(experiment_id, key).values, timings=False) == \
                values_digest(result.values, timings=False)
        except (FileNotFoundError, DamagedEntry):
            same = False
        if not same:
            write_atomically(path, encode(result))
        self._set_aside(path)
        return path

    def restore(self, experiment_id: str, key: str) -> bool:
        """Bring back a superseded entry for `key` (code that ran before), if one is kept whole."""
        old = self.superseded(experiment_id, key)
        try:
            self._belongs(old, experiment_id, key, decode(old.read_bytes()).provenance)
        except (OSError, DamagedEntry):
            return False
        path = self.path(experiment_id, key)
        write_atomically(path, old.read_bytes())
        old.unlink()
        self._set_aside(path)
        return True

    def _set_aside(self, current: Path) -> None:
        """Move every other entry of `current`'s experiment to the superseded folder."""
        for other in current.parent.glob("*.npz"):
            if other == current:
                continue
            target = self.superseded(current.parent.relative_to(self.root / self.profile).as_posix(), other.stem)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(other, target)
            kept = sorted(target.parent.glob("*.npz"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
            for stale in kept[KEEP_SUPERSEDED:]:
                stale.unlink(missing_ok=True)

    def entries(self) -> dict[str, list[Path]]:
        """Stored files by experiment id."""
        base = self.root / self.profile
        found: dict[str, list[Path]] = {}
        for path in sorted(base.glob("*/*/*.npz")):
            found.setdefault(path.parent.relative_to(base).as_posix(), []).append(path)
        return found

    def leftovers(self) -> list[Path]:
        """Temporary files of runs that were killed while writing (their process is gone)."""
        found = []
        for path in sorted((self.root / self.profile).glob("*/*/.*.tmp")):
            pid = path.name.split(".")[-3]
            if not (pid.isdigit() and process_alive(int(pid))):
                found.append(path)
        return found


class RenderCache:
    """Rendered outputs (HTML, Markdown, values) by a key of their code and result.

    Each entry carries a checksum of its content, and the caller says what shape it must have:
    an entry that fails either is rendered again, never served. The cache only saves time, so a
    folder that cannot be written (a read-only checkout) builds without it."""

    def __init__(self, root: Path, profile: str):
        self.folder = Path(root) / ".rendered" / profile
        self.unwritable: OSError | None = None  # the first write that failed, if one did

    def get(self, key: str, valid: Callable[[Any], bool] = lambda value: True) -> Any | None:
        try:
            entry = json.loads((self.folder / f"{key}.json").read_bytes())
            value, checksum = entry["value"], entry["sha256"]
        except (OSError, ValueError, TypeError, KeyError):
            return None
        if checksum != hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest() or not valid(value):
            return None
        return value

    def put(self, key: str, value: Any, replace: str = "") -> None:
        """Store `value`; `replace` is a glob of older entries that this one supersedes."""
        checksum = hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()
        path = self.folder / f"{key}.json"
        try:
            write_atomically(path, json.dumps({"sha256": checksum, "value": value}).encode())
            for old in self.folder.glob(f"{replace}.json") if replace else ():
                if old != path:
                    old.unlink(missing_ok=True)
        except OSError as e:
            self.unwritable = self.unwritable or e
