"""Molecule files in chunks: the CSV field separator a chemist's file uses, an SDF's properties."""

import pandas as pd
import pytest
from rdkit import Chem

from chemexplain.data.datasets import csv_separator
from chemexplain.io.molecule_files import READ_ERROR, count_rows, read_chunks

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


def write_sdf(path, records) -> None:
    """``records``: (title, SMILES, {property: value}); 3D, hydrogens as atoms, in an
    order where hydrogens come between heavy atoms (as some tools write them)."""
    import random

    from rdkit import Chem
    from rdkit.Chem import AllChem

    writer = Chem.SDWriter(str(path))
    for title, smiles, properties in records:
        mol = Chem.AddHs(Chem.MolFromSmiles(smiles))
        AllChem.EmbedMolecule(mol, randomSeed=1)
        order = list(range(mol.GetNumAtoms()))
        random.Random(0).shuffle(order)
        mol = Chem.RenumberAtoms(mol, order)
        mol.SetProp("_Name", title)
        for key, value in properties.items():
            mol.SetProp(key, value)
        writer.write(mol)
    writer.close()


def test_an_sdf_gives_its_properties_as_columns_and_keeps_each_structure(tmp_path):
    from chemexplain.io.molecule_files import HIDDEN_COLUMNS, MOLBLOCK

    path = tmp_path / "in.sdf"
    write_sdf(
        path,
        [
            ("paracetamol", "CC(=O)Nc1ccc(O)cc1", {"logS": "-1.03", "smiles": "mine"}),
            ("glycerol", "OCC(O)CO", {"vendor": "A", "prediction": "old"}),
        ],
    )
    source = read_chunks(path)
    assert source.columns == ["name", "smiles", "logS", "sd_smiles", "vendor", "sd_prediction"]
    (chunk,) = list(source.chunks)
    assert list(chunk.columns) == source.columns + HIDDEN_COLUMNS
    assert chunk["smiles"].tolist() == ["CC(=O)Nc1ccc(O)cc1", "OCC(O)CO"]  # RDKit's, no H
    assert chunk["logS"].tolist() == ["-1.03", ""] and chunk["vendor"].tolist() == ["", "A"]
    assert chunk["sd_smiles"].tolist() == ["mine", ""]
    assert chunk[MOLBLOCK][0].rstrip().endswith("M  END") and "logS" not in chunk[MOLBLOCK][0]
    chosen = read_chunks(path, columns=["vendor"], id_col="logS")
    assert chosen.columns == ["logS", "smiles", "vendor"]
    assert next(chosen.chunks)["logS"].tolist() == ["-1.03", ""]
    with pytest.raises(Exception, match="no column 'price'"):
        read_chunks(path, columns=["price"])


def test_a_column_missing_but_for_case_is_suggested(tmp_path):
    """ChEMBL's exports name the column 'Smiles': the error listed the columns only."""
    from chemexplain.data.datasets import load_csv
    from chemexplain.errors import DataFormatError

    path = tmp_path / "chembl.csv"
    path.write_text(CHEMBL_LIKE)
    with pytest.raises(DataFormatError, match=r"did you mean 'Smiles'\?$"):
        read_chunks(path)
    with pytest.raises(DataFormatError, match=r"did you mean 'Smiles'\?$"):
        load_csv(path, "smiles", "AlogP")
    with pytest.raises(DataFormatError, match=r"'AlogP'\]") as error:  # nothing alike
        read_chunks(path, smiles_col="structure")
    assert "did you mean" not in str(error.value)


def test_compressed_files_read_as_their_plain_copies(tmp_path):
    """ZINC, Enamine and ChEMBL ship compressed text (.smi.gz, .bz2): '.gz' was an unknown
    file type."""
    import bz2
    import gzip

    from chemexplain.data.datasets import load_csv
    from chemexplain.errors import DataFormatError
    from chemexplain.io.molecule_files import read_rows

    plain = {
        "chembl.csv": CHEMBL_LIKE,
        "lib.tsv": "id\tsmiles\np\tCC(=O)Nc1ccc(O)cc1\ng\tOCC(O)CO\nb\tC1CC\n",
        "lib.smi": "CC(=O)Nc1ccc(O)cc1 paracetamol\nOCC(O)CO glycerol\n\nc1ccccc1 benzene\n",
    }
    write_sdf(tmp_path / "lib.sdf", [("p", "CC(=O)Nc1ccc(O)cc1", {"logS": "-1.03"})] * 3)
    for name, text in plain.items():
        (tmp_path / name).write_text(text)
    for name in [*plain, "lib.sdf"]:
        col = "Smiles" if name == "chembl.csv" else "smiles"
        as_plain = pd.concat(list(read_chunks(tmp_path / name, smiles_col=col).chunks))
        as_plain = as_plain.reset_index(drop=True)
        for suffix, compress in ((".gz", gzip.compress), (".bz2", bz2.compress)):
            packed = tmp_path / f"{name}{suffix}"
            packed.write_bytes(compress((tmp_path / name).read_bytes()))
            chunks = read_chunks(packed, smiles_col=col, chunk_size=2).chunks
            pd.testing.assert_frame_equal(pd.concat(list(chunks)).reset_index(drop=True), as_plain)
            assert count_rows(packed, smiles_col=col) == len(as_plain) >= 2
            middle = pd.concat(list(read_rows(packed, 1, 3, smiles_col=col, chunk_size=1)))
            assert middle[col].tolist() == as_plain[col].tolist()[1:3]
    assert csv_separator(tmp_path / "chembl.csv.bz2") == ";"
    for suffix in (".gz", ".bz2"):
        trained = load_csv(
            tmp_path / f"chembl.csv{suffix}", smiles_col="Smiles", target_col="AlogP"
        )
        assert trained["AlogP"].tolist() == [1.35, -1.67]
    for suffix in (".gz", ".bz2"):
        trained = load_csv(tmp_path / f"lib.sdf{suffix}", target_col="logS")
        assert trained["logS"].tolist() == [-1.03] * 3
        cut = tmp_path / f"cut.sdf{suffix}"  # RDKit's reader raised SystemError on it
        cut.write_bytes((tmp_path / f"lib.sdf{suffix}").read_bytes()[:200])
        with pytest.raises(DataFormatError, match="cannot read .*cut.sdf"):
            load_csv(cut, target_col="logS")


def test_a_smi_file_with_a_latin1_name_is_read_row_by_row(tmp_path):
    """A byte that is not UTF-8 in a name stopped the run with a traceback."""
    path = tmp_path / "vendor.smi"
    path.write_bytes("CCO café\nCCN amine\n".encode("latin-1"))
    (chunk,) = list(read_chunks(path).chunks)
    assert chunk["smiles"].tolist() == ["CCO", "CCN"]
    assert chunk["name"].tolist() == ["caf\ufffd", "amine"]
    assert count_rows(path) == 2


def test_a_smi_line_keeps_its_cxsmiles_extension_with_the_smiles(tmp_path):
    """'SMILES |ext| name': the extension is the SMILES', not the start of the name."""
    path = tmp_path / "vendor.smi"
    path.write_text("C[C@H](O)CC |&1:1| Z1234\nCCO ethanol\nc1ccccc1 |(0,0,;1,0,)|\n")
    (chunk,) = list(read_chunks(path).chunks)
    assert chunk["smiles"].tolist() == ["C[C@H](O)CC |&1:1|", "CCO", "c1ccccc1 |(0,0,;1,0,)|"]
    assert chunk["name"].tolist() == ["Z1234", "ethanol", ""]


def test_a_cxsmiles_file_is_a_tab_separated_table_whose_commas_stay_in_the_smiles(tmp_path):
    """Enamine's REAL .cxsmiles(.bz2): a header, then CXSMILES (commas inside) and ids."""
    import bz2

    text = (
        "smiles\tidnumber\tType\n"
        "C[C@H](O)CC |&1:1|\tZ1\tM\n"
        "OC(=O)c1ccccc1 |(0,0,;1,0,;2,0,;3,0,;4,0,;5,0,;6,0,;7,0,;8,0,)|\tZ2\tS\n"
    )
    path = tmp_path / "real.cxsmiles.bz2"
    path.write_bytes(bz2.compress(text.encode()))
    assert csv_separator(path) == "\t"
    (chunk,) = list(read_chunks(path, id_col="idnumber").chunks)
    assert chunk["idnumber"].tolist() == ["Z1", "Z2"]
    assert chunk["smiles"].tolist()[1].endswith(";8,0,)|") and chunk["Type"].tolist() == ["M", "S"]


def test_a_byte_order_mark_is_not_read_into_the_first_smiles_or_title(tmp_path):
    """Notepad's "UTF-8 with BOM": the first SMILES came out as '\\ufeffCCO'."""
    import gzip

    smi = tmp_path / "notepad.smi"
    smi.write_bytes(b"\xef\xbb\xbfCCO ethanol\r\nc1ccccc1O phenol\r\n")
    packed = tmp_path / "notepad.smi.gz"
    packed.write_bytes(gzip.compress(smi.read_bytes()))
    ethanol = Chem.MolFromSmiles("CCO")
    ethanol.SetProp("_Name", "ethanol")
    sdf = tmp_path / "notepad.sdf"
    sdf.write_bytes(b"\xef\xbb\xbf" + Chem.MolToMolBlock(ethanol).encode() + b"$$$$\n")
    for path in (smi, packed):
        (chunk,) = list(read_chunks(path).chunks)
        assert chunk["smiles"].tolist() == ["CCO", "c1ccccc1O"]
        assert chunk["name"].tolist() == ["ethanol", "phenol"]
    (chunk,) = list(read_chunks(sdf).chunks)
    assert chunk["smiles"].tolist() == ["CCO"] and chunk["name"].tolist() == ["ethanol"]
    assert chunk[READ_ERROR].tolist() == [""]
