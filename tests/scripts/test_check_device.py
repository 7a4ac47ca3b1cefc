"""The GPU check's report and table (the check itself needs a GPU: scripts/check_device.py)."""

import importlib.util
import json
import shutil
from pathlib import Path

ROOT = Path(__file__).parents[2]
spec = importlib.util.spec_from_file_location("check_device", ROOT / "scripts" / "check_device.py")
check_device = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_device)


def test_the_committed_table_is_what_the_committed_report_gives(tmp_path, monkeypatch):
    readme = tmp_path / "README.md"
    shutil.copy(ROOT / "benchmarks" / "README.md", readme)
    monkeypatch.setattr(check_device, "README", readme)
    report = json.loads((ROOT / "benchmarks" / "device_check.json").read_text())
    check_device.write_table(report)
    assert readme.read_text() == (ROOT / "benchmarks" / "README.md").read_text()
    # every check passed within its tolerance, and the table says which device
    assert all(row["status"] == "ok" for row in report["checks"])
    assert all(row["max_abs_diff"] <= row["tolerance"] for row in report["checks"][:-1])
    assert f"Measured on one {report['device_name']}" in readme.read_text()


def test_largest_difference_over_molecules_of_different_sizes():
    import numpy as np

    a = [np.array([0.0, 1.0]), np.array([2.0, 2.0, 2.0])]
    b = [np.array([0.0, 1.5]), np.array([2.0, 1.0, 2.0])]
    assert check_device._max_diff(a, b) == 1.0
    assert check_device._max_diff(np.array([1.0, 2.0]), np.array([1.0, 2.25])) == 0.25
