"""Which folder a site may be built into, and what `build` and `clean` may replace or remove.

`nnbook build` writes the site into a fresh folder beside the target and then swaps it in,
and `nnbook clean` removes the site: both would destroy whatever the target held. So a
target that is, holds or lies inside the project's own folders is refused outright, and
an existing folder is replaced or removed only when nnbook built it (it carries `MARK`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from .cache import process_alive

MARK = ".nnbook-site"  # written into every site the plugin builds
MARK_TEXT = "Built by nnbook: `nnbook build` may replace this folder and `nnbook clean` may remove it.\n"


class SiteDirError(Exception):
    """A site folder that nnbook must not write or remove; the message says why."""


def _repository_root(folder: Path) -> Path | None:
    try:
        out = subprocess.run(["git", "-C", str(folder), "rev-parse", "--show-toplevel"], capture_output=True,
                             text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(out.stdout.strip()).resolve() if out.returncode == 0 and out.stdout.strip() else None


def protected(root: Path, docs: Path, results: Path) -> dict[str, Path]:
    """The folders no site may be, hold, or be put inside, by what they are."""
    found = {"the project folder": root, "the pages folder": docs, "the results folder": results,
             "your home folder": Path.home()}
    repository = _repository_root(root)
    if repository:
        found["the repository"] = repository
    return {what: path.resolve() for what, path in found.items()}


def check_target(site: Path, option: str, folders: dict[str, Path]) -> None:
    """Refuse a site folder that is one of `folders`, lies above one, or lies inside the pages or results."""
    site = site.resolve()
    for what, folder in folders.items():
        if site == folder:
            raise SiteDirError(f"{option} {site} is {what}; name a folder of its own, such as site/")
    for what, folder in folders.items():
        if folder.is_relative_to(site):
            raise SiteDirError(f"{option} {site} holds {what} ({folder}); name a folder of its own, such as site/")
    for what in ("the pages folder", "the results folder"):
        if what in folders and site.is_relative_to(folders[what]):
            raise SiteDirError(f"{option} {site} lies inside {what} ({folders[what]}); name a folder outside it")


def built_by_nnbook(site: Path) -> bool:
    """A folder nnbook built: it carries the mark. An empty folder may be used as well."""
    return (site / MARK).is_file() or (site.is_dir() and not any(site.iterdir()))


def check_replaceable(site: Path, option: str) -> None:
    if site.exists() and not site.is_dir():
        raise SiteDirError(f"{option} {site} is a file; name a folder")
    if site.is_dir() and not built_by_nnbook(site):
        raise SiteDirError(f"{option} {site} exists and was not built by nnbook (it has no {MARK}); "
                           "remove it yourself or name another folder")


def scratch(site: Path, kind: str, pid: int | None = None) -> Path:
    """The folder beside the site where a build of process `pid` writes (`tmp`) or parks the old site (`old`)."""
    return site.with_name(f".{site.name}.{kind}-{os.getpid() if pid is None else pid}")


def remove_leftovers(site: Path) -> list[Path]:
    """Scratch folders of builds that were killed (their process is gone), removed; returns them.
    A parked old site whose build was killed before its successor moved in goes back in place."""
    removed = []
    for path in sorted(site.parent.glob(f".{site.name}.*-*")):
        kind, _, pid = path.name.removeprefix(f".{site.name}.").partition("-")
        if kind not in ("tmp", "old") or not pid.isdigit() or not path.is_dir() or process_alive(int(pid)):
            continue
        if kind == "old" and not site.exists():
            path.rename(site)
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed
