"""The attribution benchmark's committed tables are what its committed JSON gives (the
benchmark itself takes about two hours: scripts/benchmark_attributions.py)."""

import importlib.util
import json
import shutil
from pathlib import Path

ROOT = Path(__file__).parents[2]
spec = importlib.util.spec_from_file_location(
    "benchmark_attributions", ROOT / "scripts" / "benchmark_attributions.py"
)
benchmark = importlib.util.module_from_spec(spec)
spec.loader.exec_module(benchmark)


def test_the_readme_and_guide_tables_are_what_the_committed_json_gives(tmp_path, monkeypatch):
    committed = {"README": benchmark.README, "GUIDE": benchmark.GUIDE}
    for name, path in committed.items():
        shutil.copy(path, tmp_path / path.name)
        monkeypatch.setattr(benchmark, name, tmp_path / path.name)
    results = json.loads((ROOT / "benchmarks" / "attributions.json").read_text())
    benchmark.write_tables(results)
    for path in committed.values():
        assert (tmp_path / path.name).read_text() == path.read_text(), path
    guide = (tmp_path / "attribution_guide.md").read_text()
    # the short answer is ordered by tau, and names every method and the two controls
    block = guide.split("<!-- short_answer:start -->")[1].split("<!-- short_answer:end -->")[0]
    rows = [line for line in block.splitlines() if line.startswith("| ") and "τ" not in line]
    taus = [float(row.split("|")[2].strip().strip("*")) for row in rows]
    assert taus == sorted(taus, reverse=True)
    assert len(rows) == len(results["methods"]) + 2


def test_an_undefined_randomization_spearman_is_stored_as_null_and_shown_as_such():
    import numpy as np

    constant = [np.zeros(4), np.ones(5)]
    varying = [np.array([1.0, 2.0, 3.0, 4.0]), np.array([5.0, 4.0, 3.0, 2.0, 1.0])]
    assert benchmark.mean_abs_spearman(varying, constant) is None
    assert benchmark.mean_abs_spearman(varying, varying) == 1.0
    # |values|: a sign flip on every atom still ranks the same
    assert benchmark.mean_abs_spearman(varying, [-v for v in varying]) == 1.0
    results = json.loads((ROOT / "benchmarks" / "attributions.json").read_text())
    json.dumps(results, allow_nan=False)  # strict JSON: no NaN anywhere
    lime = results["methods"]["lime"]["randomization"]["cascading"]
    assert lime[-1] is None
    table = benchmark.table(results)
    assert "| lime |" in table
    row = next(r for r in table.splitlines() if r.startswith("| lime |"))
    assert "n/a (constant on every molecule)" in row
