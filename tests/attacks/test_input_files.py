"""Attacks on input files and options: every user error is one line and exit 2."""

from __future__ import annotations

import bz2
import gzip

import pandas as pd
import pytest

from .conftest import assert_one_line_error, run_cli

pytestmark = pytest.mark.cli


def _score(tiny_pair_dir, source, out, *extra):
    return [
        "score",
        source,
        "-o",
        out,
        "--model",
        tiny_pair_dir,
        "--workers",
        "1",
        "--quiet",
        *extra,
    ]


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.csv", b"", "is empty: a CSV input needs a header line"),
        ("header.csv", b"smiles\n", "holds no molecules"),
        ("empty.smi", b"", "holds no molecules"),
        ("garbage.csv", bytes(range(255, -1, -1)) * 8, "is not UTF-8 text"),
        ("utf16.csv", "smiles\nCCO\n".encode("utf-16"), "is not UTF-8 text"),
        ("garbage.parquet", b"PAR1 this is not parquet", "cannot read"),
        ("plain.csv.gz", b"smiles\nCCO\n", "is named .gz but is not a gzip file"),
        (
            "cut.smi.gz",
            gzip.compress(b"".join(b"CCO m%d\n" % i for i in range(9999)))[:9999],
            "cut.smi.gz as gzip: Compressed file ended",
        ),
        ("inside.parquet.gz", gzip.compress(b"PAR1"), "unknown file type '.parquet.gz'"),
        ("gzip.csv.bz2", gzip.compress(b"smiles\nCCO\n"), "is named .bz2 but is not a bz2 file"),
        ("cut.csv.bz2", bz2.compress(b"smiles\n" + b"CCO\n" * 9999)[:40], "as bz2: "),
    ],
)
def test_unreadable_or_empty_inputs(tiny_pair_dir, tmp_path, capsys, name, content, message):
    source = tmp_path / name
    source.write_bytes(content)
    out = tmp_path / "out.csv"
    code, _, err = run_cli(_score(tiny_pair_dir, source, out), capsys)
    assert_one_line_error(code, err, message)
    assert not out.exists()


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--chunk-size", "0"], "--chunk-size: must be 1 or more"),
        (["--test-augment", "-3"], "--test-augment: must be 0 or more"),
        (["--id-col", "smiles"], "both 'smiles'"),
        (["--id-col", "status"], "the input column 'status' has the name of a result column"),
        (["--smiles-col", "prediction"], "'prediction' has the name of a result column"),
    ],
)
def test_bad_options_are_one_line(tiny_pair_dir, tmp_path, capsys, extra, message):
    source = tmp_path / "in.csv"
    pd.DataFrame({"smiles": ["CCO"], "status": ["x"], "prediction": ["CCO"]}).to_csv(
        source, index=False
    )
    out = tmp_path / "out.csv"
    code, _, err = run_cli(_score(tiny_pair_dir, source, out, *extra), capsys)
    assert_one_line_error(code, err, message)
    assert not out.exists()


def test_explicit_hydrogens_are_predicted_with_a_warning(tiny_pair_dir, tmp_path, capsys):
    source = tmp_path / "in.csv"
    source.write_text("smiles\nCO\n[H]OC([H])([H])[H]\n")
    out = tmp_path / "out.csv"
    code, _, _ = run_cli(_score(tiny_pair_dir, source, out), capsys)
    frame = pd.read_csv(out, keep_default_na=False)
    assert code == 0 and frame["status"].tolist() == ["ok", "ok"]
    assert frame["warning"][0] == "" and "explicit hydrogen atoms" in frame["warning"][1]
