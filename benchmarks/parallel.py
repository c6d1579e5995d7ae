"""Cold runs of every experiment with `-j 1`, `-j 2` and on a local Dask cluster, as ratios.

Each run is `nnbook figures` into an empty results folder, in a fresh process (so each one
pays for importing TensorFlow, in its workers where it has them). The smoke profile by
default; `--full` times the published profile too (minutes each). Run by `benchmarks/run.py`
(`make bench`) or alone:

    python benchmarks/parallel.py [--full] [--no-cluster]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cold(profile: str, *options: str) -> float:
    """Seconds for `nnbook figures OPTIONS` to run every experiment of `profile` from nothing."""
    with tempfile.TemporaryDirectory(prefix="nnbook-bench-") as results:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "nnbook.cli", "--root", str(ROOT), "--results", results,
                        "--profile", profile, "figures", *options], check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - start


def report(full: bool = False, cluster: bool = True) -> list[str]:
    lines = []
    for profile in ("smoke", "full") if full else ("smoke",):
        serial = cold(profile, "-j", "1")
        lines.append(f"{profile} profile, cold, -j 1 (this process)      {serial:6.1f} s   1.00x")
        two = cold(profile, "-j", "2")
        lines.append(f"{profile} profile, cold, -j 2 (worker processes)  {two:6.1f} s   {two / serial:.2f}x")
        if cluster:
            try:
                from distributed import LocalCluster
            except ModuleNotFoundError:
                lines.append("local Dask cluster: skipped (pip install -e '.[cluster]')")
                continue
            with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local:
                dask = cold(profile, "--scheduler", local.scheduler_address)
            lines.append(f"{profile} profile, cold, LocalCluster (2 workers) {dask:6.1f} s   {dask / serial:.2f}x")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--full", action="store_true", help="also time the full profile (several minutes per run)")
    parser.add_argument("--no-cluster", action="store_true", help="skip the local Dask cluster")
    args = parser.parse_args()
    print("\n".join(report(args.full, not args.no_cluster)))


if __name__ == "__main__":
    main()
