"""Scale-out benchmark: local `score --workers 2` against Dask LocalClusters of 1 and 2 workers.

    python scripts/benchmark_distributed.py                    # about 2 h on 2 CPU cores
    python scripts/benchmark_distributed.py --molecules 20000  # a quick look

The library: RDKit-randomized spellings of the ESOL and FreeSolv molecules
(seeded, as in benchmark_scoring.py), in 10 CSV files. Each configuration
runs in a fresh process, on the same files, in the same run, first on the
first 100k molecules (the first file) and then on all of them:

- ``local_workers2``: ``score_file(..., workers=2)`` on each file in turn (what
  ``chemexplain score FILE --workers 2`` does, once per file);
- ``dask_workers1`` / ``dask_workers2``: ``score_files`` on a
  ``distributed.LocalCluster`` of 1 or 2 single-threaded worker processes.

Reported: molecules/s over the wall time of the scoring call (cluster start-up
apart), the peak resident memory of each worker process (VmHWM from /proc,
the largest over the workers), and for Dask the scheduler overhead: wall time
minus the tasks' own scoring seconds divided by the workers. Writes
``benchmarks/distributed.json`` and the table in ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd

from chemexplain.files import write_atomically
from chemexplain.io.markdown_blocks import replace_block

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "benchmarks" / "README.md"

CONFIGS = ("local_workers2", "dask_workers1", "dask_workers2")


def make_files(total: int, files: int, folder: Path) -> list[Path]:
    """``total`` spellings in ``files`` CSV files of equal size (id, smiles)."""
    from benchmark_scoring import make_library

    whole = folder / "whole.csv"
    make_library(total, whole)
    frame = pd.read_csv(whole, dtype=str, keep_default_na=False)
    whole.unlink()
    per = -(-total // files)
    paths = []
    for i in range(files):
        path = folder / f"library_{i:02d}.csv"
        frame.iloc[i * per : (i + 1) * per].to_csv(path, index=False)
        paths.append(path)
    return paths


def _hwm_mib(pid: int) -> float:
    """Peak resident memory of a live process (VmHWM), MiB; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class WorkerPeaks(threading.Thread):
    """Every 0.5 s, the VmHWM of each spawned worker process below this one (max per pid)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peaks: dict[int, float] = {}
        self.stop = threading.Event()

    def _workers(self) -> list[int]:
        found, me = [], os.getpid()
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    command = handle.read()
            except (OSError, ValueError, IndexError):
                continue
            if parent == me and b"spawn_main" in command:
                found.append(int(entry))
        return found

    def sample(self) -> None:
        for pid in self._workers():
            self.peaks[pid] = max(self.peaks.get(pid, 0.0), _hwm_mib(pid))

    def run(self) -> None:
        while not self.stop.is_set():
            self.sample()
            time.sleep(0.5)


def one_run(config: str, files: list[str], outdir: Path, partition_rows: int) -> dict:
    """Score ``files`` with one configuration in this (fresh) process."""
    import torch

    torch.set_num_threads(1)
    peaks = WorkerPeaks()
    peaks.start()
    result: dict = {"config": config}
    if config == "local_workers2":
        from chemexplain import score_file

        outdir.mkdir()
        rows, started = 0, time.perf_counter()
        for path in files:
            summary = score_file(
                path, outdir / f"{Path(path).stem}.parquet", id_col="id", progress=False, workers=2
            )
            rows += summary["rows"]
        wall = time.perf_counter() - started
        result.update(molecules=rows, workers=2)
    else:
        from chemexplain.distributed import local_cluster, score_files

        workers = int(config[-1])
        started = time.perf_counter()
        with local_cluster(workers) as client:
            result["cluster_start_seconds"] = time.perf_counter() - started
            started = time.perf_counter()
            summary = score_files(
                files,
                outdir,
                client=client,
                id_col="id",
                partition_rows=partition_rows,
                progress=False,
            )
            wall = time.perf_counter() - started
            peaks.sample()
        manifest = json.loads((outdir / "_manifest.json").read_text())
        task_seconds = sum(p["seconds"] for p in manifest["parts"].values())
        result.update(
            molecules=summary["rows"],
            workers=workers,
            parts=summary["parts"],
            partition_rows=partition_rows,
            task_seconds=task_seconds,
            scheduler_overhead_seconds=wall - task_seconds / workers,
            scheduler_overhead_fraction=(wall - task_seconds / workers) / wall,
        )
    peaks.stop.set()
    peaks.join()
    result.update(
        wall_seconds=wall,
        molecules_per_second=result["molecules"] / wall,
        peak_rss_mb_per_worker=max(peaks.peaks.values(), default=0.0),
        worker_processes_seen=len(peaks.peaks),
    )
    return result


def update_readme(payload: dict) -> None:

    lines = [
        "Reproduce: `python scripts/benchmark_distributed.py` (writes `benchmarks/distributed.json`). "
        # runs saved before the method was recorded used the mask, then the default
        f"Bundled model, method {payload.get('method', 'mask (the default when measured)')}, "
        "CSV in, Parquet out; "
        f"{payload['library']['files']} CSV files of RDKit-randomized ESOL and FreeSolv spellings; "
        "each configuration in a fresh process, on the same files, in the same run; "
        f"Dask partitions of {payload['partition_rows']:,} rows. 'local': `score_file(..., "
        "workers=2)` on each file in turn; 'Dask N': `score_files` on a LocalCluster of N "
        "single-threaded worker processes. Peak RSS: the largest VmHWM of one worker process. "
        "Overhead: wall time minus the tasks' own seconds per worker (cluster start-up apart).",
        "",
        "| molecules | configuration | molecules/s | wall s | peak RSS MiB per worker | "
        "scheduler overhead |",
        "|---|---|---|---|---|---|",
    ]
    for block in (payload["at_100k"], payload):
        for config in CONFIGS:
            r = block[config]
            overhead = (
                f"{r['scheduler_overhead_seconds']:.1f} s ({100 * r['scheduler_overhead_fraction']:.1f}%)"
                if "scheduler_overhead_seconds" in r
                else "n/a"
            )
            name = {"local_workers2": "local `--workers 2`"}.get(
                config, f"Dask, {config[-1]} worker{'s' if config[-1] != '1' else ''}"
            )
            lines.append(
                f"| {r['molecules']:,} | {name} | {r['molecules_per_second']:,.0f} | "
                f"{r['wall_seconds']:.0f} | {r['peak_rss_mb_per_worker']:.0f} | {overhead} |"
            )
    big = payload
    lines += [
        "",
        f"At {big['dask_workers2']['molecules']:,} molecules: Dask with 2 workers runs at "
        f"{big['ratios']['dask2_over_local2']:.2f}x the molecules/s of local `--workers 2` "
        f"and {big['ratios']['dask2_over_dask1']:.2f}x that of 1 Dask worker; its peak RSS "
        f"per worker is {big['ratios']['dask2_rss_all_over_100k']:.2f}x that at "
        f"{payload['at_100k']['dask_workers2']['molecules']:,} molecules.",
    ]
    replace_block(README, "distributed", "\n".join(lines))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--molecules", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--partition-rows", type=int, default=25_000)
    parser.add_argument("--no-save", action="store_true", help="print only")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--inputs", nargs="*", help=argparse.SUPPRESS)
    parser.add_argument("--outdir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one_run(args.one, args.inputs, Path(args.outdir), args.partition_rows)))
        return 0

    from chemexplain.service import default_method

    payload: dict = {
        "method": default_method(),
        "library": {"molecules": args.molecules, "files": args.files},
        "partition_rows": args.partition_rows,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "at_100k": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        files = make_files(args.molecules, args.files, Path(tmp))
        for label, subset in (("at_100k", files[:1]), ("all", files)):
            for config in CONFIGS:
                command = [
                    sys.executable,
                    __file__,
                    "--one",
                    config,
                    "--partition-rows",
                    str(args.partition_rows),
                    "--outdir",
                    str(Path(tmp) / f"out_{label}_{config}"),
                    "--inputs",
                    *map(str, subset),
                ]
                out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
                result = json.loads(out.strip().splitlines()[-1])
                print(label, json.dumps(result), flush=True)
                (payload["at_100k"] if label == "at_100k" else payload)[config] = result
    payload["ratios"] = {
        "dask2_over_local2": payload["dask_workers2"]["molecules_per_second"]
        / payload["local_workers2"]["molecules_per_second"],
        "dask2_over_dask1": payload["dask_workers2"]["molecules_per_second"]
        / payload["dask_workers1"]["molecules_per_second"],
        "dask2_rss_all_over_100k": payload["dask_workers2"]["peak_rss_mb_per_worker"]
        / payload["at_100k"]["dask_workers2"]["peak_rss_mb_per_worker"],
    }
    print(json.dumps(payload["ratios"]))
    if not args.no_save:
        write_atomically(
            ROOT / "benchmarks" / "distributed.json", json.dumps(payload, indent=2) + "\n"
        )
        update_readme(payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
