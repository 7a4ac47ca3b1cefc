"""Attacks on SDF: every record is a row, and no id can break the output's records."""

from __future__ import annotations

import pandas as pd
import pytest
from rdkit import Chem

from .conftest import run_cli

pytestmark = pytest.mark.cli


def _block(smiles: str, name: str) -> str:
    mol = Chem.MolFromSmiles(smiles)
    mol.SetProp("_Name", name)
    return Chem.SDWriter.GetText(mol)


def test_empty_and_damaged_records_keep_their_rows(tiny_pair_dir, tmp_path, capsys):
    text = (
        _block("CCO", "first")
        + "\n$$$$\n"  # an empty record
        + "short\n  RDKit\n\n  1\nM  END\n$$$$\n"  # a record with a damaged counts line
        + _block("c1ccccc1", "after-damage")
        + "nonsense\n$$$$\n"
        + _block("CC(=O)O", "last")
    )
    source = tmp_path / "in.sdf"
    source.write_text(text)
    out = tmp_path / "out.csv"
    code, _, _ = run_cli(
        ["score", source, "-o", out, "--model", tiny_pair_dir, "--workers", "1", "--quiet"], capsys
    )
    frame = pd.read_csv(out, keep_default_na=False)
    assert code == 0 and len(frame) == 6
    assert frame["name"].tolist() == ["first", "", "short", "after-damage", "nonsense", "last"]
    assert frame["status"].tolist() == ["ok", "error", "error", "ok", "error", "ok"]
    assert frame["error"][1] == "SDF record 2 is empty"
    assert frame["error"][2] == "SDF record 3 could not be read by RDKit"
    assert frame["smiles"][3] == "c1ccccc1"


def test_an_id_with_a_newline_and_dollars_cannot_end_a_record(tiny_pair_dir, tmp_path, capsys):
    source = tmp_path / "in.csv"
    pd.DataFrame({"id": ["a\n$$$$\nb", "c"], "smiles": ["CCO", "CCN"]}).to_csv(source, index=False)
    out = tmp_path / "out.sdf"
    code, _, _ = run_cli(
        [
            "score",
            source,
            "-o",
            out,
            "--id-col",
            "id",
            "--model",
            tiny_pair_dir,
            "--workers",
            "1",
            "--quiet",
        ],
        capsys,
    )
    mols = list(Chem.SDMolSupplier(str(out)))
    assert code == 0 and len(mols) == 2
    assert [m.GetProp("_Name") for m in mols] == ["a $$$$ b", "c"]
    assert out.read_text().count("\n$$$$\n") == 2
