"""Attacks on output paths: no clobbered input, no silent loss on a full or read-only disk."""

from __future__ import annotations

import subprocess

import pandas as pd
import pytest

from .conftest import assert_one_line_error, run_cli

pytestmark = pytest.mark.cli


@pytest.fixture
def source(tmp_path, esol):
    path = tmp_path / "in.csv"
    esol[["name", "smiles"]].iloc[:300].to_csv(path, index=False)
    return path


def _score(model, source, out, *extra):
    return ["score", source, "-o", out, "--model", model, "--workers", "1", "--quiet", *extra]


def test_the_input_is_never_overwritten(tiny_pair_dir, source, tmp_path, capsys):
    before = source.read_bytes()
    code, _, err = run_cli(_score(tiny_pair_dir, source, source), capsys)
    assert_one_line_error(code, err, "is the input file")
    code, _, err = run_cli(
        _score(tiny_pair_dir, source, tmp_path / "o.csv", "--html", source), capsys
    )
    assert_one_line_error(code, err, "is the input file")
    same = tmp_path / "same.csv"
    code, _, err = run_cli(_score(tiny_pair_dir, source, same, "--html", same), capsys)
    assert_one_line_error(code, err, "two outputs are the same file")
    assert source.read_bytes() == before and not same.exists()


def test_an_existing_output_needs_overwrite(tiny_pair_dir, source, tmp_path, capsys):
    out = tmp_path / "out.csv"
    out.write_text("precious\n")
    code, _, err = run_cli(_score(tiny_pair_dir, source, out), capsys)
    assert_one_line_error(code, err, "exists: pass --overwrite")
    assert out.read_text() == "precious\n"
    code, _, _ = run_cli(_score(tiny_pair_dir, source, out, "--overwrite"), capsys)
    assert code == 0 and len(pd.read_csv(out)) == 300


def test_a_missing_or_read_only_folder_is_refused_before_the_run(
    tiny_pair_dir, source, tmp_path, capsys, tiny_disk
):
    code, _, err = run_cli(_score(tiny_pair_dir, source, tmp_path / "no" / "out.csv"), capsys)
    assert_one_line_error(code, err, "does not exist")
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_disk)], check=True)
    out = tiny_disk / "out.csv"
    code, _, err = run_cli(_score(tiny_pair_dir, source, out), capsys)
    assert_one_line_error(code, err, "is not writable")
    code, _, err = run_cli(
        _score(tiny_pair_dir, source, tmp_path / "ok.csv", "--html", tiny_disk / "r.html"), capsys
    )
    assert_one_line_error(code, err, "is not writable")
    assert not (tmp_path / "ok.csv").exists()


@pytest.mark.parametrize("suffix", ["csv", "parquet", "sdf", "html"])
def test_a_full_disk_exits_non_zero_and_leaves_nothing(
    tiny_pair_dir, source, tmp_path, capsys, tiny_disk, suffix
):
    """200 KB tmpfs with 180 KB already taken: every format must notice that it did not fit."""
    (tiny_disk / "filler").write_bytes(b"x" * 180_000)
    if suffix == "html":
        out, extra = tmp_path / "out.csv", ["--html", tiny_disk / "report.html"]
    else:
        out, extra = tiny_disk / f"out.{suffix}", []
    code, _, err = run_cli(_score(tiny_pair_dir, source, out, *extra), capsys)
    assert_one_line_error(code, err, "No space left on device")
    leftovers = sorted(p.name for p in tiny_disk.iterdir())
    assert leftovers == ["filler"], leftovers  # no output, no temporary file
    assert not out.exists()
