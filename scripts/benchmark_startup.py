"""How fast the command line answers: ``--help``, ``explain CCO``, ``score`` on a small file,
and where import time goes.

    python scripts/benchmark_startup.py                      # this checkout
    python scripts/benchmark_startup.py --source OLD --label before   # another checkout

Each command runs ``--runs`` times in a fresh process (the median is reported);
``score`` runs on a CSV of ``--score-rows`` molecules (seeded random spellings of ESOL
and FreeSolv, ``benchmark_scoring.make_library``), with its default workers and with
``--workers 2``.
``python -X importtime -c "import chemexplain.cli"`` gives the modules that
the command line's start-up imports, largest cumulative first. Figures go to
``benchmarks/startup.json`` (one entry per ``--label``) and the "Start-up"
table of ``benchmarks/README.md``. Time it alone: a busy second process on 2
cores doubles the figures.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from chemexplain.files import write_atomically
from chemexplain.io.markdown_blocks import replace_block

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "benchmarks" / "README.md"

COMMANDS = {
    "chemexplain --help": ["--help"],
    "chemexplain explain --help": ["explain", "--help"],
    "chemexplain explain CCO": ["explain", "CCO"],
}


def _code(source: Path, body: str) -> str:
    """Python code that imports chemexplain from ``source``, even beside an editable install."""
    return (
        "import sys; sys.meta_path[:] = [f for f in sys.meta_path "
        "if not getattr(f, '__module__', '').startswith('__editable__')]; "
        f"sys.path.insert(0, {str(source)!r}); {body}"
    )


def median_seconds(argv: list[str], source: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        body = f"from chemexplain.cli import main; sys.exit(main({argv!r}))"
        done = subprocess.run(
            [sys.executable, "-c", _code(source, body)], capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(f"{argv} failed: {done.stderr[-500:]}")
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def score_seconds(source: Path, rows: int, runs: int) -> dict:
    """Median seconds of ``chemexplain score`` on ``rows`` molecules, default and 2 workers."""
    from benchmark_scoring import make_library

    with tempfile.TemporaryDirectory(prefix="startup-score-") as folder:
        library = Path(folder) / "library.csv"
        make_library(rows, library)
        argv = ["score", str(library), "-o", str(Path(folder) / "scored.csv"), "--overwrite"]
        result = {"rows": rows}
        for name, extra in (("default", []), ("--workers 2", ["--workers", "2"])):
            result[name] = round(median_seconds([*argv, "--quiet", *extra], source, runs), 3)
    return result


def import_profile(source: Path, top: int = 8) -> tuple[float, list[dict]]:
    """Total seconds of ``import chemexplain.cli`` and its largest top-level imports."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", _code(source, "import chemexplain.cli")],
        check=True,
        capture_output=True,
        text=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if match:
            rows.append((int(match.group(2)), len(match.group(3)) - 1, match.group(4)))
    total = next(c for c, depth, name in rows if name == "chemexplain.cli" and depth == 0)
    outer = sorted((r for r in rows if r[1] <= 2), reverse=True)
    return total / 1e6, [{"module": n, "seconds": round(c / 1e6, 3)} for c, _, n in outer[:top]]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source", default=str(ROOT), help="checkout to measure (default: this)")
    parser.add_argument("--label", default="after", help="name of this measurement")
    parser.add_argument("--runs", type=int, default=10, help="runs per command (default 10)")
    parser.add_argument("--score-rows", type=int, default=2000, help="molecules for score")
    parser.add_argument("--score-runs", type=int, default=3, help="runs of score (default 3)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "startup.json"))
    args = parser.parse_args(argv)
    source = Path(args.source).resolve()
    commit = subprocess.run(
        ["git", "-C", str(source), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    result = {
        "commit": commit,
        "runs": args.runs,
        "median_seconds": {
            name: round(median_seconds(cmd, source, args.runs), 3) for name, cmd in COMMANDS.items()
        },
    }
    result["score_seconds"] = score_seconds(source, args.score_rows, args.score_runs)
    result["import_seconds"], result["largest_imports"] = import_profile(source)
    out = Path(args.out)
    figures = json.loads(out.read_text()) if out.exists() else {}
    figures[args.label] = result
    write_atomically(out, json.dumps(figures, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    update_readme(figures)
    return 0


def update_readme(figures: dict) -> None:

    labels = list(figures)
    lines = [
        "Reproduce: `python scripts/benchmark_startup.py` (this checkout, label `after`); "
        "`--source DIR --label before` measures another checkout with the same packages. "
        "Median of 10 fresh processes on 2 cores, timed alone (`benchmarks/startup.json`).",
        "",
        "| command | " + " | ".join(f"{k} ({figures[k]['commit']})" for k in labels) + " |",
        "|---|" + "---|" * len(labels),
    ]
    for name in COMMANDS:
        cells = [f"{figures[k]['median_seconds'][name]:.2f} s" for k in labels]
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    scored = [figures[k]["score_seconds"] for k in labels if "score_seconds" in figures[k]]
    for name in ("default", "--workers 2") if scored else ():
        cells = [
            f"{figures[k]['score_seconds'][name]:.2f} s" if "score_seconds" in figures[k] else "n/a"
            for k in labels
        ]
        flag = "" if name == "default" else f" {name}"
        command = f"`chemexplain score` {scored[0]['rows']:,} molecules{flag}"
        lines.append(f"| {command} | " + " | ".join(cells) + " |")
    cells = [f"{figures[k]['import_seconds']:.2f} s" for k in labels]
    lines.append("| `import chemexplain.cli` (-X importtime) | " + " | ".join(cells) + " |")
    lines.append("")
    for k in labels:
        heavy = ", ".join(
            f"{r['module']} {r['seconds']:.2f} s" for r in figures[k]["largest_imports"]
        )
        lines.append(f"Largest imports at start-up, {k}: {heavy}.")
        lines.append("")
    replace_block(README, "startup", "\n".join(lines).rstrip())


if __name__ == "__main__":
    sys.exit(main())
