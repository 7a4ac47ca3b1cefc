"""`chemexplain score`: every row kept, bad rows marked, atomic output."""

import json
import re

import pandas as pd
import pytest
from rdkit import Chem

from chemexplain.cli import main

pytestmark = pytest.mark.cli

LONG = "C" * 300
ROWS = [
    ("m1", "CCO", "ok"),
    ("m2", "not_a_smiles", "invalid SMILES"),
    ("m3", "", "empty SMILES"),
    ("m4", "c1ccccc1O", "ok"),
    ("m5", "C[Se]C", "never saw"),
    ("m6", "CC(=O)[O-].[Na+]", "fragments"),
    ("m7", LONG, "over-long"),
    ("m8", "Clc1ccc(Cl)cc1", "ok"),
    ("m9", "C1CC", "invalid SMILES"),
]


@pytest.fixture()
def bad_csv(tmp_path):
    path = tmp_path / "in.csv"
    pd.DataFrame(ROWS, columns=["compound", "smiles", "why"])[["compound", "smiles"]].to_csv(
        path, index=False
    )
    return path


def _score(args, model_dir):
    return main(["score", *map(str, args), "--model", str(model_dir), "--quiet"])


def test_score_marks_exactly_the_bad_rows_in_order(bad_csv, tmp_path, tiny_pair_dir, capsys):
    out = tmp_path / "out.csv"
    assert (
        _score([bad_csv, "-o", out, "--id-col", "compound", "--chunk-size", "4"], tiny_pair_dir)
        == 0
    )
    frame = pd.read_csv(out, keep_default_na=False)
    assert list(frame.columns) == [
        "compound",
        "smiles",
        "prediction",
        "prediction_std",
        "top_atoms",
        "atom_weights",
        "method",
        "reference",
        "status",
        "error",
        "warning",
        "max_similarity",
        "nearest_training_smiles",
        "in_domain",
    ]
    assert list(frame["compound"]) == [r[0] for r in ROWS]
    assert list(frame["smiles"]) == [r[1] for r in ROWS]
    for (_, _, why), (_, row) in zip(ROWS, frame.iterrows()):
        if why == "ok":
            assert row["status"] == "ok" and row["error"] == ""
            weights = json.loads(row["atom_weights"])
            assert len(weights) == Chem.MolFromSmiles(row["smiles"]).GetNumAtoms()
            assert -15 < float(row["prediction"]) < 5
        else:
            assert row["status"] == "error" and why in row["error"]
            assert row["prediction"] == "" and row["atom_weights"] == ""
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["rows"] == 9 and summary["ok"] == 3 and summary["error"] == 6


def test_standardize_rescues_the_salt(bad_csv, tmp_path, tiny_pair_dir):
    out = tmp_path / "out.parquet"
    assert _score([bad_csv, "-o", out, "--standardize"], tiny_pair_dir) == 0
    frame = pd.read_parquet(out)
    assert len(frame) == 9 and frame.loc[5, "status"] == "ok"
    assert frame.loc[5, "standardized_smiles"] == "CC(=O)O"
    assert frame["status"].tolist().count("ok") == 4
    # a Parquet file is also an input; the id column keeps its name
    frame.insert(0, "key", [f"k{i}" for i in range(9)])
    frame[["key", "smiles"]].to_parquet(tmp_path / "in.parquet")
    again = tmp_path / "again.csv"
    assert _score([tmp_path / "in.parquet", "-o", again, "--id-col", "key"], tiny_pair_dir) == 0
    back = pd.read_csv(again, keep_default_na=False)
    assert list(back.columns[:2]) == ["key", "smiles"] and list(back["key"]) == list(frame["key"])
    assert back["status"].tolist().count("ok") == 3  # the salt is an error without --standardize


def test_smi_and_sdf_inputs_and_sdf_output(tmp_path, tiny_pair_dir):
    smi = tmp_path / "in.smi"
    smi.write_text("CCO ethanol\nC1CC broken\nc1ccccc1O phenol\n")
    sdf_out = tmp_path / "out.sdf"
    assert _score([smi, "-o", sdf_out], tiny_pair_dir) == 0
    mols = list(Chem.SDMolSupplier(str(sdf_out)))
    assert [m.GetProp("_Name") for m in mols] == ["ethanol", "broken", "phenol"]
    assert [m.GetProp("status") for m in mols] == ["ok", "error", "ok"]
    assert mols[2].GetAtomWithIdx(0).HasProp("weight")
    # the SDF just written is itself a valid input; its unreadable empty record is reported
    again = tmp_path / "again.csv"
    assert _score([sdf_out, "-o", again], tiny_pair_dir) == 0
    frame = pd.read_csv(again, keep_default_na=False)
    assert list(frame["name"]) == ["ethanol", "broken", "phenol"]
    assert list(frame["status"]) == ["ok", "error", "ok"]


def test_missing_column_is_a_clear_error_and_writes_nothing(
    bad_csv, tmp_path, tiny_pair_dir, capsys
):
    out = tmp_path / "out.csv"
    assert _score([bad_csv, "-o", out, "--smiles-col", "SMILES"], tiny_pair_dir) == 2
    assert "no column 'SMILES'" in capsys.readouterr().err
    assert not out.exists()


def test_html_report_is_self_contained(bad_csv, tmp_path, tiny_pair_dir):
    report = tmp_path / "r.html"
    assert _score([bad_csv, "-o", tmp_path / "o.csv", "--html", report], tiny_pair_dir) == 0
    page = report.read_text()
    assert page.count("<tr>") == 1 + 9 and page.count("<svg") == 3  # header + one per row
    # nothing loaded from elsewhere: no external script, style sheet or image
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:|//)", page)
    assert "<link" not in page and "sortBy(2, true)" in page
    # each ok row names its strongest atoms, its similarity to training and warnings
    frame = pd.read_csv(tmp_path / "o.csv", keep_default_na=False)
    ethanol = frame.iloc[0]
    where = "in domain" if ethanol["in_domain"] == "True" else "OUT of domain"
    assert f"{float(ethanol['max_similarity']):.2f}, {where} (nearest " in page
    assert page.count(">top atoms: ") == 3 and "sortBy(4, true)" in page


def test_score_keeps_the_users_other_columns_or_the_chosen_ones(tmp_path, tiny_pair_dir):
    source = tmp_path / "in.csv"
    source.write_text("id,smiles,assay,note\na,CCO,1.5,first\nb,c1ccccc1,,second\n")
    out = tmp_path / "all.csv"
    assert _score([source, "-o", out, "--id-col", "id", "--workers", "1"], tiny_pair_dir) == 0
    frame = pd.read_csv(out, keep_default_na=False, dtype=str)
    assert list(frame.columns[:4]) == ["id", "smiles", "assay", "note"]
    assert frame["assay"].tolist() == ["1.5", ""] and frame["note"].tolist() == ["first", "second"]
    out = tmp_path / "some.csv"
    args = [source, "-o", out, "--id-col", "id", "--columns", "note", "--workers", "1"]
    assert _score(args, tiny_pair_dir) == 0
    assert list(pd.read_csv(out).columns[:3]) == ["id", "smiles", "note"]
    assert "assay" not in pd.read_csv(out).columns


def test_blank_csv_lines_stay_rows_so_output_lines_up(tmp_path, tiny_pair_dir):
    source = tmp_path / "in.csv"
    source.write_text("smiles\nCCO\n\nc1ccccc1\n")
    out = tmp_path / "out.csv"
    assert _score([source, "-o", out, "--workers", "1"], tiny_pair_dir) == 0
    frame = pd.read_csv(out, keep_default_na=False)
    assert frame["smiles"].tolist() == ["CCO", "", "c1ccccc1"]
    assert frame["status"].tolist() == ["ok", "error", "ok"]
    assert frame["error"][1] == "empty SMILES"


def test_score_exit_status_rule(bad_csv, tmp_path, tiny_pair_dir):
    out = tmp_path / "out.csv"
    assert _score([bad_csv, "-o", out, "--workers", "1"], tiny_pair_dir) == 0
    out.unlink()
    assert _score([bad_csv, "-o", out, "--workers", "1", "--fail-on-error"], tiny_pair_dir) == 1
    assert out.exists()  # the rows are still all written


def test_an_sdf_is_scored_into_its_own_structures_with_weights_on_its_own_atoms(tmp_path):
    """A 3D SDF with hydrogens between the heavy atoms comes back as itself: coordinates,
    hydrogens and properties kept, each atom's weight on that atom (0 on hydrogens), and
    top_atoms naming the file's own atom numbers. It used to come back rebuilt from SMILES,
    2D-less, hydrogen-free and renumbered, with its properties dropped."""
    import numpy as np

    import chemexplain as cx
    from tests.io.test_molecule_files import write_sdf

    given = tmp_path / "in.sdf"
    write_sdf(
        given,
        [
            ("paracetamol", "CC(=O)Nc1ccc(O)cc1", {"logS": "-1.03"}),
            ("glycine", "[NH3+]CC([O-])=O", {"logS": "0.52"}),
        ],
    )
    out = tmp_path / "out.sdf"
    assert main(["score", str(given), "-o", str(out), "--quiet"]) == 0
    inputs = list(Chem.SDMolSupplier(str(given), removeHs=False))
    for mol, original in zip(Chem.SDMolSupplier(str(out), removeHs=False), inputs, strict=True):
        assert mol.GetNumAtoms() == original.GetNumAtoms()
        assert np.allclose(
            mol.GetConformer().GetPositions(), original.GetConformer().GetPositions()
        )
        assert mol.GetProp("logS") == original.GetProp("logS")
        e = cx.explain(mol.GetProp("smiles"))
        weights = [a.GetDoubleProp("weight") for a in mol.GetAtoms()]
        heavy = Chem.RemoveHs(mol)  # keeps each atom's properties, in the file's order
        match = heavy.GetSubstructMatch(e.mol)  # atom k of the SMILES -> atom of the file
        assert [heavy.GetAtomWithIdx(j).GetDoubleProp("weight") for j in match] == pytest.approx(
            list(e.atom_weights), abs=1e-12
        )
        assert all(w == 0 for a, w in zip(mol.GetAtoms(), weights) if a.GetAtomicNum() == 1)
        strongest = mol.GetProp("top_atoms").split()[0]  # e.g. +O16: the file's atom 16
        index = int(re.fullmatch(r"[+-]?[A-Z][a-z]?(\d+)", strongest).group(1))
        assert weights[index] == pytest.approx(e.top_atoms()[0][2])
    ions = list(Chem.SDMolSupplier(str(out), removeHs=False))[1].GetProp("warning")
    charged = sorted(a.GetIdx() for a in inputs[1].GetAtoms() if a.GetFormalCharge())
    assert ions.startswith("ionized atoms") and all(f"{i} (" in ions for i in charged)


def test_a_standardized_sdf_keeps_its_own_structures_with_weights_on_the_parents_atoms(
    tmp_path,
):
    """With --standardize, a salt and a zwitterionic pose (as docking writes them) are
    scored as their neutral parents but written as the input's own 3D structures: the
    parent's weights on its atoms of the file, 0 on the counter-ion. They used to come back
    as the parent's 2D SMILES, the pose and its numbering lost."""
    import numpy as np

    import chemexplain as cx
    from tests.io.test_molecule_files import write_sdf

    given = tmp_path / "in.sdf"
    write_sdf(
        given,
        [
            ("nicotine HCl", "Cl.CN1CCCC1c1cccnc1", {}),
            ("glycine", "[NH3+]CC([O-])=O", {}),
            ("tetramethylammonium chloride", "C[N+](C)(C)C.[Cl-]", {}),  # stays an ion
        ],
    )
    out = tmp_path / "out.sdf"
    assert main(["score", str(given), "-o", str(out), "--standardize", "--quiet"]) == 0
    inputs = list(Chem.SDMolSupplier(str(given), removeHs=False))
    left_out = []  # heavy atoms of each file structure that its parent does not hold
    for mol, original in zip(Chem.SDMolSupplier(str(out), removeHs=False), inputs, strict=True):
        assert mol.GetNumAtoms() == original.GetNumAtoms()
        assert np.allclose(
            mol.GetConformer().GetPositions(), original.GetConformer().GetPositions()
        )
        e = cx.explain(mol.GetProp("standardized_smiles"))
        heavy = Chem.RemoveHs(mol)
        match = heavy.GetSubstructMatch(e.mol)  # the parent inside the file's structure
        assert [heavy.GetAtomWithIdx(j).GetDoubleProp("weight") for j in match] == pytest.approx(
            list(e.atom_weights), abs=1e-12
        )
        others = [a for a in heavy.GetAtoms() if a.GetIdx() not in match]
        assert all(a.GetDoubleProp("weight") == 0 for a in others)
        left_out.append([a.GetSymbol() for a in others])
        strongest = mol.GetProp("top_atoms").split()[0]
        index = int(re.fullmatch(r"[+-]?[A-Z][a-z]?(\d+)", strongest).group(1))
        assert mol.GetAtomWithIdx(index).GetDoubleProp("weight") == pytest.approx(
            e.top_atoms()[0][2]
        )
    assert left_out == [["Cl"], [], ["Cl"]]  # the chlorides; glycine's every heavy atom
    # the ion that standardizing kept is named by the file's number; the chloride it
    # dropped is not named, and --standardize is not advised again
    nitrogen = next(a.GetIdx() for a in inputs[2].GetAtoms() if a.GetSymbol() == "N")
    assert mol.GetProp("warning") == (
        f"ionized atoms N{nitrogen} (+1): the model saw no ion in training "
        "(standardizing cannot neutralize them)"
    )


def test_chunk_size_default_is_the_library_one():
    import argparse

    from chemexplain.cli.score import add_args
    from chemexplain.io.scoring import CHUNK_ROWS

    parser = argparse.ArgumentParser()
    add_args(parser)
    assert parser.get_default("chunk_size") == CHUNK_ROWS == 8192
