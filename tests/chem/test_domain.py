"""The applicability domain: nearest training molecule, threshold, safe files, output columns."""

import json

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator

import chemexplain as cx
from chemexplain.chem.domain import ApplicabilityDomain
from chemexplain.errors import ModelFileError

TRAIN = ["CCO", "CCCO", "CCCCO", "c1ccccc1", "c1ccccc1O"]


def test_nearest_is_rdkit_tanimoto_to_the_closest_training_molecule():
    domain = ApplicabilityDomain(threshold=0.5).fit(TRAIN)
    queries = ["CCO", "CCCCCO", "FC(F)(F)C(F)(F)F"]
    similarity, nearest = domain.nearest([Chem.MolFromSmiles(s) for s in queries])
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    expected = [
        max(
            DataStructs.TanimotoSimilarity(
                generator.GetFingerprint(Chem.MolFromSmiles(q)),
                generator.GetFingerprint(Chem.MolFromSmiles(t)),
            )
            for t in TRAIN
        )
        for q in queries
    ]
    np.testing.assert_allclose(similarity, expected)
    assert similarity[0] == 1.0 and nearest[0] == "CCO"
    assert nearest[1] == "CCCCO" and similarity[2] == 0.0
    assert domain.in_domain(similarity).tolist() == [True, similarity[1] >= 0.5, False]


def test_domain_files_round_trip_and_refuse_edits(tmp_path):
    domain = ApplicabilityDomain(threshold=0.42).fit(TRAIN)
    domain.save(tmp_path / "domain")
    back = ApplicabilityDomain.load(tmp_path / "domain")
    mols = [Chem.MolFromSmiles(s) for s in ["CCCCCO", "c1ccccc1CO"]]
    assert back.threshold == 0.42 and back.smiles_ == TRAIN
    np.testing.assert_array_equal(back.nearest(mols)[0], domain.nearest(mols)[0])
    config_path = tmp_path / "domain" / "config.json"
    config = json.loads(config_path.read_text())
    config["threshold"] = 0.0  # widen the domain by hand
    config_path.write_text(json.dumps(config))
    with pytest.raises(ModelFileError, match="edited"):
        ApplicabilityDomain.load(tmp_path / "domain")


def test_a_trained_model_keeps_its_domain_and_explanations_report_it(tiny_model, tmp_path):
    assert len(tiny_model.domain_.smiles_) == 180  # its 200 molecules less the validation 10%
    tiny_model.save(tmp_path / "model")
    loaded = cx.load_model(tmp_path / "model")
    assert loaded.domain_.smiles_ == tiny_model.domain_.smiles_
    trained_on = tiny_model.domain_.smiles_[0]
    results = cx.explain(
        [trained_on, "C[Se]C", "OC(=O)c1ccncc1"], loaded, on_invalid="nan", method="occlusion"
    )
    assert results[0].max_similarity == 1.0 and results[0].in_domain is True
    assert results[0].nearest_training_smiles == trained_on
    assert results[1].in_domain is None and np.isnan(results[1].max_similarity)
    assert 0.0 < results[2].max_similarity < 1.0
    assert results[2].nearest_training_smiles in tiny_model.domain_.smiles_


def test_score_writes_the_domain_columns(tiny_pair_dir, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("smiles\nCCO\nnot a smiles\nc1ccccc1\n")
    out = tmp_path / "out.parquet"
    cx.score_file(source, out, model=str(tiny_pair_dir), method="mask", progress=False)
    frame = pd.read_parquet(out)
    assert frame["max_similarity"].dtype == "float64" and frame["in_domain"].dtype == "boolean"
    assert frame["status"].tolist() == ["ok", "error", "ok"]
    assert frame["in_domain"].isna().tolist() == [False, True, False]
    threshold = cx.load_model(tiny_pair_dir / "model").domain_.threshold
    assert (frame["in_domain"][[0, 2]] == (frame["max_similarity"][[0, 2]] >= threshold)).all()


def test_explain_prints_the_domain(tiny_pair_dir, capsys):
    from chemexplain.cli import main

    assert main(["explain", "CCO", "Brc1ccc(Br)c(Br)c1", "--model", str(tiny_pair_dir)]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if "domain" in line]
    domain = cx.load_model(tiny_pair_dir / "model").domain_
    from rdkit import Chem

    similarity, nearest = domain.nearest([Chem.MolFromSmiles("CCO")])
    assert lines[0] == (
        f"CCO\t{'inside' if similarity[0] >= domain.threshold else 'outside'} the model's "
        f"domain: Tanimoto {similarity[0]:.2f} to the nearest training molecule, {nearest[0]}"
    )
    assert len(lines) == 2


def test_ions_are_charges_that_no_bonded_atom_balances():
    from chemexplain.chem.standardize import isolated_charges

    ions = {
        s: isolated_charges(Chem.MolFromSmiles(s))
        for s in [
            "[NH3+]C(Cc1ccccc1)C([O-])=O",
            "C[N+](C)(C)C",
            "CC(=O)[O-]",
            "c1ccccc1[N+](=O)[O-]",
            "[O-][n+]1ccccc1",
            "C1CC[S+2](C1)([O-])[O-]",
        ]
    }
    assert list(ions.values()) == [[0, 10], [1], [3], [], [], []]
    # no ESOL or FreeSolv molecule holds one: their charges are nitro groups and N-oxides
    sets = (cx.load_esol().smiles, cx.load_freesolv().smiles)
    assert not any(isolated_charges(Chem.MolFromSmiles(s)) for d in sets for s in d)
    assert not ApplicabilityDomain().fit(list(cx.load_esol().smiles)).saw_ions()
    assert ApplicabilityDomain().fit(["CCO", "CC[NH3+]"]).saw_ions()


def test_nearest_gives_rdkits_bulk_tanimoto_numbers_and_first_nearest_molecule():
    """The sparse count of shared bits replaced a loop over BulkTanimotoSimilarity: the
    same floats, the same first most similar molecule, on every ESOL and FreeSolv one."""
    domain = cx.pretrained().model.domain_
    smiles = list(cx.load_esol().smiles) + list(cx.load_freesolv().smiles) + ["[HH]"]
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    similarities, nearest = domain.nearest(mols)
    in_blocks = domain.nearest(mols, block=7)  # the block size changes nothing
    assert np.array_equal(in_blocks[0], similarities) and in_blocks[1] == nearest
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    training = domain.fingerprints_  # (rebuilt on each access)
    for mol, similarity, name in zip(mols, similarities, nearest, strict=True):
        values = DataStructs.BulkTanimotoSimilarity(generator.GetFingerprint(mol), training)
        best = int(np.argmax(values))  # the first max
        assert similarity == values[best] and name == domain.smiles_[best]
    similarities, nearest = domain.nearest([])
    assert similarities.shape == (0,) and nearest == []


def test_a_second_fit_replaces_what_the_first_one_cached():
    domain = ApplicabilityDomain().fit(["CCO", "c1ccccc1"])
    assert domain.nearest([Chem.MolFromSmiles("CCCO")])[1] == ["CCO"] and not domain.saw_ions()
    domain.fit(["CC[NH3+]"])
    assert domain.nearest([Chem.MolFromSmiles("CCCO")])[1] == ["CC[NH3+]"] and domain.saw_ions()


def test_a_molecule_larger_than_every_training_molecule_is_out_of_domain():
    # Morgan bits do not see chain length: from heptane on every n-alkane has the same
    # fingerprint, so C60 is "identical" to training's tetradecane by similarity alone
    domain = ApplicabilityDomain(threshold=0.5).fit(["CCCCCCCCCCCCCC", "CCO", "C1CCCCC1"])
    assert domain.max_heavy_atoms() == 14
    mols = [Chem.MolFromSmiles("C" * n) for n in (10, 14, 15, 60)]
    similarity, _ = domain.nearest(mols)
    assert similarity.tolist() == [1.0, 1.0, 1.0, 1.0]
    sizes = [m.GetNumHeavyAtoms() for m in mols]
    assert domain.in_domain(similarity).tolist() == [True] * 4
    assert domain.in_domain(similarity, sizes).tolist() == [True, True, False, False]
    assert domain.size_warning(mols[1]) == ""
    assert domain.size_warning(mols[3]) == (
        "larger than any training molecule: 60 heavy atoms, the largest had 14"
    )
    domain.fit(["C" * 70])  # a refit forgets the cached size
    assert domain.size_warning(mols[3]) == ""


def test_the_bundled_model_flags_a_chain_larger_than_its_training_molecules(capsys):
    from chemexplain.cli.predict import predict_rows

    largest = cx.pretrained().model.domain_.max_heavy_atoms()
    assert largest == 54  # ESOL's training split: a cardiac glycoside
    long_chain, decane = "C" * (largest + 1), "C" * 10
    e = cx.explain([long_chain, decane])
    assert e[0].max_similarity == 1.0 and e[0].in_domain is False
    assert (
        e[0].warning
        == f"larger than any training molecule: {largest + 1} heavy atoms, the largest had 54"
    )
    assert e[1].in_domain is True and e[1].warning == ""
    assert "larger than its training molecules" in e[0].draw()
    from chemexplain.cli import main

    assert main(["explain", long_chain]) == 0
    assert (
        f"{long_chain}\toutside the model's domain (larger than its training molecules): "
        "Tanimoto 1.00 to the nearest training molecule, CCCCCCCCCCCCCC"
    ) in capsys.readouterr().out.splitlines()
    assert predict_rows(cx.pretrained().model, [long_chain, decane])["warning"].tolist() == [
        e[0].warning,
        "",
    ]
