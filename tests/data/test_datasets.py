import os
import shutil
from pathlib import Path

import pytest

from chemexplain import DatasetNotFoundError, load_csv, load_esol, load_freesolv
from chemexplain.data import datasets
from chemexplain.errors import DataFormatError


def test_esol_has_1128_stripped_smiles_and_log_solubility(esol):
    assert len(esol) == 1128
    assert list(esol.columns[:2]) == ["smiles", "logS"]
    assert (esol.smiles == esol.smiles.str.strip()).all()
    assert esol.logS.between(-12, 2.5).all()
    assert esol.loc[esol.name == "Fenfuram", "logS"].item() == pytest.approx(-3.30)


def test_freesolv_targets_are_numeric_despite_trailing_spaces(esol):
    frame = load_freesolv()
    assert len(frame) == 642
    assert frame.dG_hydration.notna().all()
    assert frame.dG_hydration.between(-30, 5).all()


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No CHEMEXPLAIN_DATA, an empty cache, downloads allowed only where a test says."""
    shared = datasets.packaged_path("esol").parent
    monkeypatch.delenv("CHEMEXPLAIN_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("CHEMEXPLAIN_OFFLINE", "1")
    return shared


@pytest.fixture
def unpackaged(isolated, monkeypatch):
    """As ``isolated``, and the packaged copies are missing (a stripped install)."""
    monkeypatch.setattr(datasets, "packaged_path", lambda name: None)
    return isolated


def test_packaged_copies_match_the_manifest_and_the_shared_copies():
    shared = Path(__file__).resolve().parents[3] / "shared" / "datasets"
    for name, entry in datasets.MANIFEST.items():
        packaged = datasets.packaged_path(name)
        assert packaged is not None, f"{name} is not shipped"
        assert datasets.sha256_of(packaged) == entry["sha256"]
        assert entry["citation"] and entry["licence"] and entry["url"].startswith("https://")
        original = shared / entry["subdir"] / entry["filename"]
        if os.environ.get("CI"):
            assert original.is_file(), f"CI has no shared copy at {original}"
        if original.is_file():
            assert datasets.sha256_of(original) == datasets.sha256_of(packaged)


def test_the_packaged_copy_is_used_when_nothing_else_is_given(isolated):
    assert datasets.find_dataset("esol") == datasets.packaged_path("esol")
    assert len(load_esol()) == 1128
    assert len(load_freesolv()) == 642


def test_lookup_order_explicit_then_env_then_cache_then_package(isolated, tmp_path, monkeypatch):
    source = isolated / "delaney-processed.csv"
    assert len(load_esol(path=source)) == 1128
    env = tmp_path / "env"
    (env / "esol").mkdir(parents=True)
    shutil.copy(source, env / "esol" / "delaney-processed.csv")
    monkeypatch.setenv("CHEMEXPLAIN_DATA", str(env))
    assert datasets.find_dataset("esol") == env / "esol" / "delaney-processed.csv"
    monkeypatch.delenv("CHEMEXPLAIN_DATA")
    cache = datasets.cache_dir()
    cache.mkdir(parents=True)
    shutil.copy(source, cache / "delaney-processed.csv")
    assert datasets.find_dataset("esol") == cache / "delaney-processed.csv"


def test_without_any_copy_the_error_names_every_place(unpackaged):
    with pytest.raises(DatasetNotFoundError) as error:
        load_esol()
    message = str(error.value)
    assert "CHEMEXPLAIN_DATA" in message and datasets.MANIFEST["esol"]["url"] in message
    assert "inside the package" in message


def test_download_is_checked_and_cached(unpackaged, monkeypatch):
    source = unpackaged / "delaney-processed.csv"
    monkeypatch.delenv("CHEMEXPLAIN_OFFLINE")
    entry = dict(datasets.MANIFEST["esol"], url=source.resolve().as_uri())
    monkeypatch.setitem(datasets.MANIFEST, "esol", entry)
    path = datasets.find_dataset("esol")
    assert path == datasets.cache_dir() / "delaney-processed.csv"
    assert datasets.sha256_of(path) == entry["sha256"]


def test_download_with_wrong_checksum_leaves_nothing(unpackaged, monkeypatch, tmp_path):
    monkeypatch.delenv("CHEMEXPLAIN_OFFLINE")
    fake = tmp_path / "fake.csv"
    fake.write_text("smiles,measured log solubility in mols per litre\nCCO,1.1\n")
    monkeypatch.setitem(
        datasets.MANIFEST, "esol", dict(datasets.MANIFEST["esol"], url=fake.resolve().as_uri())
    )
    with pytest.raises(DatasetNotFoundError, match="sha256"):
        datasets.find_dataset("esol")
    assert not list(datasets.cache_dir().glob("*"))


def test_corrupted_file_under_env_is_rejected(isolated, tmp_path, monkeypatch):
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "SAMPL.csv").write_text("iupac,smiles,expt,calc\nx,CCO,1,1\n")
    monkeypatch.setenv("CHEMEXPLAIN_DATA", str(tmp_path / "bad"))
    with pytest.raises(DatasetNotFoundError, match="expected a82c5da5"):
        load_freesolv()


def test_load_csv_names_missing_columns_and_drops_empty_rows(tmp_path):
    path = tmp_path / "mols.csv"
    path.write_text("SMILES,y\nCCO ,1.5\n,2.0\nc1ccccc1,\nCCN,oops\nCCCl,-1\n")
    with pytest.raises(DataFormatError, match="no column 'smiles'.*SMILES, y"):
        load_csv(path, "smiles", "y")
    with pytest.warns(UserWarning, match="dropped 3 of 5"):
        frame = load_csv(path, "SMILES", "y")
    assert frame.smiles.tolist() == ["CCO", "CCCl"]
    assert frame.y.tolist() == [1.5, -1.0]
    with pytest.raises(DatasetNotFoundError):
        load_csv(tmp_path / "missing.csv", "smiles", "y")


def test_load_csv_drops_unreadable_smiles_naming_their_lines(tmp_path):
    """One bad SMILES in a chemist's CSV stopped `chemexplain train` altogether."""
    path = tmp_path / "mols.csv"
    path.write_text("smiles,y\nCCO,1.5\nC1CC,2.0\n,3\nCC(C,0.1\nCCCl,-1\n")
    with pytest.warns(UserWarning) as caught:
        frame = load_csv(path, "smiles", "y")
    messages = [str(w.message) for w in caught]
    assert messages[0].endswith("dropped 1 of 5 rows with no SMILES or no numeric 'y'")
    assert (
        "dropped 2 of 4 rows whose SMILES RDKit cannot read (line 3 'C1CC': unclosed ring"
        in (messages[1])
    )
    assert "line 5 'CC(C'" in messages[1]
    assert frame.smiles.tolist() == ["CCO", "CCCl"] and frame.y.tolist() == [1.5, -1.0]
    assert frame.index.tolist() == [0, 1]
    # without a target column (molecules to explain or to fit an explainer on) too
    with pytest.warns(UserWarning, match="rows with no SMILES"):
        assert load_csv(path, "smiles").smiles.tolist() == ["CCO", "CCCl"]


def test_load_csv_reads_an_sdf_by_its_properties(tmp_path):
    """`chemexplain train --data mols.sdf --target-col logS` said "mols.sdf has no column
    'smiles'; its columns are: <the first title line>"."""
    from rdkit import Chem

    esol = load_esol().head(12)
    path = tmp_path / "mols.sdf"
    writer = Chem.SDWriter(str(path))
    for i, (smiles, logs) in enumerate(zip(esol.smiles, esol.logS)):
        mol = Chem.AddHs(Chem.MolFromSmiles(smiles))
        mol.SetProp("_Name", f"mol{i}")
        mol.SetProp("logS", f"{logs}")
        writer.write(mol)
    writer.close()
    frame = load_csv(path, "smiles", "logS")
    assert frame["smiles"].tolist() == [
        Chem.MolToSmiles(Chem.MolFromSmiles(s)) for s in esol.smiles
    ]
    assert frame["logS"].tolist() == pytest.approx(esol.logS.tolist())
    with path.open("a") as handle:  # a record RDKit cannot read
        handle.write("broken\n\n\n  1  0  0  0  0  0  0  0  0  0999 V2000\nM  END\n$$$$\n")
    with pytest.warns(UserWarning, match="dropped 1 of 13"):
        assert len(load_csv(path, "smiles", "logS")) == 12
