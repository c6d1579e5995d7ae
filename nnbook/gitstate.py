"""What git will commit of the results: `nnbook check` passes only when a fresh clone would.

A result that is current in the working folder but untracked, or an old one deleted without
the deletion being staged, passes every check locally and fails in a fresh clone. So where
the results live in a git repository, their state in git is compared too, and each problem
comes with the command that fixes it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

ADVICE = {
    "??": ("not in git (untracked)", "git add"),
    "M": ("changed but the change is not staged", "git add"),
    "D": ("deleted but the deletion is not staged", "git rm"),
}


def _git(folder: Path, *args: str) -> subprocess.CompletedProcess | None:
    try:
        run = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return run if run.returncode == 0 else None


def uncommitted(results: Path) -> list[str]:
    """Problems with the result files under `results` (a profile's folder) as git sees them, each
    with its fix; none outside a repository, or when git is missing."""
    if not results.is_dir() or _git(results, "rev-parse", "--is-inside-work-tree") is None:
        return []
    status = _git(results, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", ".")
    top = _git(results, "rev-parse", "--show-toplevel")
    if status is None or top is None:
        return []
    root = Path(top.stdout.decode().strip())
    problems = []
    for record in filter(None, status.stdout.decode().split("\0")):
        code, path = record[:2], record[3:]
        if not path.endswith(".npz"):
            continue
        state = "??" if code == "??" else code[1]  # the working-tree column: what is not staged yet
        if state in ADVICE:
            what, command = ADVICE[state]
            shown = (root / path).relative_to(Path.cwd()) if (root / path).is_relative_to(Path.cwd()) else root / path
            problems.append(f"{shown}: {what}; run `{command} {shown}` before committing")
    return problems


def uncommitted_sources(folder: Path) -> frozenset[str]:
    """Files under `folder` that the last commit does not hold as they are (new, changed, deleted),
    as paths from the repository's top; none outside a repository, or when git is missing. A link
    to such a file on the published branch does not work until the file is merged."""
    status = _git(folder, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", ".")
    top = _git(folder, "rev-parse", "--show-toplevel")
    if status is None or top is None:
        return frozenset()
    return frozenset(record[3:] for record in status.stdout.decode().split("\0") if record)
