"""Molecule files in chunks: the CSV field separator a chemist's file uses."""

import pandas as pd
import pytest

from chemexplain.data.datasets import csv_separator
from chemexplain.io.molecule_files import count_rows, read_chunks

CHEMBL_LIKE = (
    '"Molecule ChEMBL ID";"Molecule Name";"Smiles";"AlogP"\n'
    '"CHEMBL112";"ACETAMINOPHEN";"CC(=O)Nc1ccc(O)cc1";"1.35"\n'
    '"CHEMBL692";"GLYCEROL";"OCC(O)CO";"-1.67"\n'
)


@pytest.mark.parametrize(
    "name, text, separator",
    [
        ("chembl.csv", CHEMBL_LIKE, ";"),
        ("plain.csv", "id,Smiles\nparacetamol,CC(=O)Nc1ccc(O)cc1\nglycerol,OCC(O)CO\n", ","),
        ("tabs.csv", "id\tSmiles\nparacetamol\tCC(=O)Nc1ccc(O)cc1\nglycerol\tOCC(O)CO\n", "\t"),
        # a .tsv is read by tabs even when a column name holds a comma
        (
            "named.tsv",
            "id\tSmiles\tlogS, mol/L\np\tCC(=O)Nc1ccc(O)cc1\t-1.0\ng\tOCC(O)CO\t1.1\n",
            "\t",
        ),
    ],
)
def test_a_csv_is_read_by_the_separator_its_header_uses(tmp_path, name, text, separator):
    path = tmp_path / name
    path.write_text(text)
    assert csv_separator(path) == separator
    source = read_chunks(path, smiles_col="Smiles")
    frame = pd.concat(list(source.chunks))
    assert frame["Smiles"].tolist() == ["CC(=O)Nc1ccc(O)cc1", "OCC(O)CO"]
    assert count_rows(path, smiles_col="Smiles") == 2


def test_a_semicolon_file_is_scored_and_trained_on(tmp_path, esol):
    import chemexplain as cx

    path = tmp_path / "chembl.csv"
    path.write_text(CHEMBL_LIKE)
    out = tmp_path / "scored.csv"
    cx.score_file(path, out, smiles_col="Smiles", id_col="Molecule ChEMBL ID", workers=0)
    scored = pd.read_csv(out)
    assert scored["Molecule ChEMBL ID"].tolist() == ["CHEMBL112", "CHEMBL692"]
    assert (scored.status == "ok").all()
    frame = cx.load_csv(path, smiles_col="Smiles", target_col="AlogP")
    assert frame["AlogP"].tolist() == [1.35, -1.67]
