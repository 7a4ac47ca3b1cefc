"""End-to-end speed and memory of `chemexplain score` with the bundled model, 10k and 100k molecules.

    python scripts/benchmark_scoring.py            # about 5 min on 2 CPU cores
    python scripts/benchmark_scoring.py --compare-parts   # about 4 min: one worker's share

The library: RDKit-randomized SMILES of the ESOL and FreeSolv molecules
(seeded), written to a CSV with an id column. Each size is scored in a fresh
process (``score_file``: read in chunks, parse, tokenize, predict, mask, map to
atoms, write CSV atomically) so that its peak resident memory (ru_maxrss) is its
own. Writes ``benchmarks/scoring.json`` and the table in ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

from chemexplain.files import write_atomically
from chemexplain.io.markdown_blocks import replace_block

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "benchmarks" / "README.md"


def make_library(n: int, path: Path, seed: int = 0) -> None:
    """``n`` SMILES: random spellings of ESOL + FreeSolv molecules, cycling, seeded."""
    import chemexplain as cx
    from chemexplain.chem.parsing import randomize_smiles

    base = list(cx.load_esol().smiles) + list(cx.load_freesolv().smiles)
    rng = np.random.default_rng(seed)
    per = -(-n // len(base))
    spellings: list[str] = []
    for s in base:
        variants = randomize_smiles(s, per, rng)
        spellings.extend((variants * per)[:per])
    order = rng.permutation(len(spellings))[:n]
    pd.DataFrame(
        {"id": [f"mol{i:06d}" for i in range(n)], "smiles": [spellings[i] for i in order]}
    ).to_csv(path, index=False)


class TreeMemory(threading.Thread):
    """Sample the resident memory of this process and all its descendants (Linux /proc)."""

    def __init__(self, every: float = 0.1):
        super().__init__(daemon=True)
        self.every, self.peak_mib, self.stop = every, 0.0, threading.Event()

    @staticmethod
    def _tree_rss_kib(root: int) -> int:
        parents, rss = {}, {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/status") as handle:
                    fields = dict(line.split(":", 1) for line in handle if ":" in line)
                parents[int(entry)] = int(fields["PPid"])
                rss[int(entry)] = int(fields.get("VmRSS", "0 kB").split()[0])
            except (OSError, KeyError, ValueError):
                continue
        total = 0
        for pid in rss:
            walk = pid
            while walk in parents and walk != root and walk > 1:
                walk = parents[walk]
            if walk == root:
                total += rss[pid]
        return total

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak_mib = max(self.peak_mib, self._tree_rss_kib(os.getpid()) / 1024)
            time.sleep(self.every)


def one_run(args) -> dict:
    """Score one file in this process; report throughput and peak memory."""
    import torch

    torch.set_num_threads(args.threads)
    import chemexplain as cx
    from chemexplain.service import default_method

    if args.workers == 1:
        cx.pretrained()  # loading the model is not part of the per-molecule cost
    sampler = TreeMemory()
    sampler.start()
    started = time.perf_counter()
    summary = cx.score_file(
        args.input,
        args.output,
        id_col="id",
        n_test_augment=args.test_augment,
        progress=False,
        workers=args.workers,
    )
    wall = time.perf_counter() - started
    sampler.stop.set()
    sampler.join()
    return {
        **summary,
        "wall_seconds": wall,
        "molecules_per_second": summary["rows"] / wall,
        "peak_rss_main_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        # all processes together (main and its spawned workers), sampled every 0.1 s
        "peak_rss_mib": max(sampler.peak_mib, 0.0),
        "test_augment": args.test_augment,
        "method": default_method(),
        "threads": args.threads if args.workers == 1 else 1,
        "workers": args.workers,
    }


def compare_parts(repeats: int = 3, n: int = 16_384) -> dict:
    """Milliseconds per molecule of one process (1 thread) explaining ``n`` random spellings
    in 8,192-row windows: in consecutive 2,048-row chunks (before c54d3a3) against the
    length-sorted parts workers now get, the two alternating ``repeats`` times."""
    import torch

    torch.set_num_threads(1)
    from chemexplain.chem import MAX_SMILES_LENGTH
    from chemexplain.io.scoring import length_sorted_parts, with_shapley
    from chemexplain.service import explain_batch, resolve_model

    with tempfile.TemporaryDirectory() as tmp:
        make_library(n, Path(tmp) / "library.csv")
        smiles = list(pd.read_csv(Path(tmp) / "library.csv").smiles)
    settings = with_shapley(
        {"method": None, "spellings": 0, "standardize": False, "n_test_augment": 0,
         "on_unknown": "strip", "max_length": MAX_SMILES_LENGTH},
        None,
    )  # fmt: skip
    pair = resolve_model(None, None, need_mask=False)
    explain_batch(smiles[:2048], *pair, **settings)  # warm up
    ways = {
        "consecutive_2048": lambda w: [np.arange(i, min(i + 2048, len(w))) for i in range(0, len(w), 2048)],
        "length_sorted_parts": length_sorted_parts,
    }  # fmt: skip
    timings: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(repeats):
        for name, parts_of in ways.items():
            started = time.perf_counter()
            for start in range(0, n, 8192):
                window = smiles[start : start + 8192]
                for part in parts_of(window):
                    explain_batch([window[i] for i in part], *pair, **settings)
            timings[name].append((time.perf_counter() - started) / n * 1e3)
    return {"molecules": n, "threads": 1, "ms_per_molecule": timings}


def update_readme(rows: list[dict]) -> None:

    lines = [
        "Reproduce: `python scripts/benchmark_scoring.py` (writes `benchmarks/scoring.json`). "
        "Bundled model, CSV in and out, 2 worker processes of 1 thread each (`--workers 2`, "
        "on 2 cores the default past 8,192 rows), each size in a fresh run. Peak RSS: the main process plus "
        "its workers together, sampled every 0.1 s from /proc (shared library pages count once "
        "per process). 'errors': rows refused (stereo spellings are read stereo-free, so none). "
        "A molecule's numbers never depend on its batch: predictions run in float32 on "
        "fixed-shape batches (`nn.core.fixed_shape_batches`, since commit 5392ac4; the float64 "
        "predictions before it scored 708 molecules/s at 100k with the Shapley explainer), and "
        "so does the explainer's network (8416f9c). Chunks of 8,192 rows (the default), each "
        "cut into parts of at most 2,048 rows, shortest SMILES first, and at least one per "
        "worker (since 1dee8cc; before, 2,048-row chunks went whole, so the last one, or a "
        "file of 2,000 molecules, kept one worker alone). 'method': the default explanation "
        "of the bundled model.",
        "",
        "| molecules | method | test-time SMILES averaging | molecules/s | wall s | peak RSS MiB, all processes | ok | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['rows']:,} | {r.get('method', 'mask')} | {r['test_augment']} | {r['molecules_per_second']:,.0f} | "
            f"{r['wall_seconds']:.1f} | {r['peak_rss_mib']:.0f} | {r['ok']:,} | {r['error']:,} |"
        )
    replace_block(README, "scoring", "\n".join(lines))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000])
    parser.add_argument("--threads", type=int, default=2, help="torch threads with --workers 1")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (1 thread each)")
    parser.add_argument(
        "--augmented-size",
        type=int,
        default=2_000,
        help="also time test-time averaging (M=10) on this many molecules (0: skip)",
    )
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    parser.add_argument("--test-augment", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument(
        "--compare-parts",
        action="store_true",
        help="only time one process explaining consecutive 2,048-row chunks against "
        "length-sorted parts (writes benchmarks/scoring_parts.json)",
    )
    args = parser.parse_args(argv)
    if args.compare_parts:
        result = compare_parts()
        for name, times in result["ms_per_molecule"].items():
            print(f"{name}: ms per molecule {', '.join(f'{t:.2f}' for t in times)}")
        write_atomically(ROOT / "benchmarks" / "scoring_parts.json", json.dumps(result, indent=2))
        return 0
    if args.one:
        print(json.dumps(one_run(args)))
        return 0

    runs = [(n, 0) for n in args.sizes]
    if args.augmented_size:
        runs.append((args.augmented_size, 10))
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, m in runs:
            library = Path(tmp) / f"library_{n}.csv"
            if not library.exists():
                make_library(n, library)
            command = [
                sys.executable,
                __file__,
                "--one",
                "--input",
                str(library),
                "--output",
                str(Path(tmp) / f"scored_{n}_{m}.csv"),
                "--threads",
                str(args.threads),
                "--test-augment",
                str(m),
                "--workers",
                str(args.workers),
            ]
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            result = json.loads(out.strip().splitlines()[-1])
            print(json.dumps(result), flush=True)
            results.append(result)
    main_runs = [r for r in results if r["test_augment"] == 0]
    payload = {
        "results": results,
        "memory_ratio_largest_to_smallest": main_runs[-1]["peak_rss_mib"]
        / main_runs[0]["peak_rss_mib"],
        "machine": {"python": platform.python_version(), "cpus": args.threads},
    }
    write_atomically(ROOT / "benchmarks" / "scoring.json", json.dumps(payload, indent=2) + "\n")
    update_readme(results)
    print(f"memory ratio {payload['memory_ratio_largest_to_smallest']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
