"""Stereo marks, isotope labels and explicit hydrogens the model never saw: read as plain atoms."""

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem

import chemexplain as cx
from chemexplain.chem.notation import (
    CXSMILES_WARNING,
    EXPLICIT_H_WARNING,
    ISOTOPE_WARNING,
    STEREO_WARNING,
    kekule_written,
    readable_form,
)


def test_readable_form_strips_only_what_the_model_cannot_read():
    stereo = "O[C@@H](C)c1ccccc1"
    form = readable_form(stereo, Chem.MolFromSmiles(stereo), model_reads_it=False)
    assert form.smiles == "OC(C)c1ccccc1" and form.order == tuple(range(9))
    assert form.warning == STEREO_WARNING
    # a model that read '@' in training keeps it
    assert not readable_form(stereo, Chem.MolFromSmiles(stereo), model_reads_it=True).changed
    assert not readable_form("CCO", Chem.MolFromSmiles("CCO"), model_reads_it=True).changed
    labelled = "[13CH3]O"
    form = readable_form(labelled, Chem.MolFromSmiles(labelled), model_reads_it=True)
    assert form.smiles == "CO" and form.warning == ISOTOPE_WARNING
    # deuterium atoms are atoms of the input; once unlabelled they become implicit hydrogens
    heavy = "[2H]C([2H])([2H])O"
    form = readable_form(heavy, Chem.MolFromSmiles(heavy), model_reads_it=True)
    assert form.smiles == "CO" and form.order == (1, 4)
    assert ISOTOPE_WARNING in form.warning and EXPLICIT_H_WARNING in form.warning


@pytest.fixture(scope="module")
def bundled():
    return cx.pretrained()


def test_a_stereo_smiles_is_explained_from_its_stereo_free_form(bundled):
    model, _ = bundled
    stereo = "O[C@@H](C)c1ccccc1"  # canonical stereo-free order differs: CC(O)c1ccccc1
    assert Chem.MolToSmiles(Chem.MolFromSmiles(stereo), isomericSmiles=False) != "OC(C)c1ccccc1"
    e = cx.explain(stereo)
    plain = cx.explain("OC(C)c1ccccc1")
    # the bundled model reads RDKit's canonical spelling (service: reads_canonical)
    assert e.ok and e.warning == STEREO_WARNING and e.model_smiles == "CC(O)c1ccccc1"
    assert e.prediction == pytest.approx(plain.prediction, abs=1e-6)
    # predict (with the model's test-time spellings) reads the same stereo-free molecule
    assert model.predict([stereo])[0] == pytest.approx(
        model.predict(["OC(C)c1ccccc1"])[0], abs=1e-6
    )
    # atom indices are the input's: atom 0 is the oxygen, atom 1 the stereocentre
    assert e.smiles == stereo and e.atom_symbols[:3] == ["O", "C", "C"]
    assert "@" in Chem.MolToSmiles(e.mol)  # drawings show the chemist's own molecule
    np.testing.assert_allclose(e.atom_weights, plain.atom_weights, atol=1e-9)
    for method in ("mask", "occlusion"):
        with_marks = cx.explain(stereo, method=method)
        np.testing.assert_allclose(
            with_marks.atom_weights, cx.explain("OC(C)c1ccccc1", method=method).atom_weights
        )
    with pytest.raises(cx.InvalidSmilesError, match="never saw: '@'"):
        cx.explain(stereo, on_unknown="error")
    # strict refuses stereo only: explicit hydrogens are still read as implicit ones
    strict = cx.explain("[H]OC([H])([H])[H]", on_unknown="error")
    assert strict.model_smiles == "CO" and strict.warning == EXPLICIT_H_WARNING


def test_deuterium_atoms_keep_their_indices_with_zero_weight():
    e = cx.explain("[2H]C([2H])([2H])O")
    plain = cx.explain("CO")
    assert e.model_smiles == "CO" and len(e.atom_weights) == 5
    np.testing.assert_allclose(e.atom_weights[[1, 4]], plain.atom_weights)
    assert e.atom_weights[[0, 2, 3]].tolist() == [0.0, 0.0, 0.0]
    # the contributions still add up to prediction - reference
    assert e.atom_weights.sum() == pytest.approx(e.prediction - e.reference, abs=1e-9)


def test_no_esol_or_freesolv_molecule_is_refused_for_stereo(bundled):
    smiles = list(cx.load_esol().smiles) + list(cx.load_freesolv().smiles)
    results = cx.explain(smiles, on_invalid="nan")
    errors = [e.error for e in results if not e.ok]
    stereo_rows = [e for e in results if "@" in e.input]
    assert len(stereo_rows) == 51  # FreeSolv's; ESOL has none
    assert all(e.ok and e.warning == STEREO_WARNING for e in stereo_rows)
    # what is still refused is chemistry, never notation
    assert not [err for err in errors if set("@/\\") & set(err)]


def test_score_strict_keeps_the_refusal(tmp_path, capsys):
    from chemexplain.cli import main

    source = tmp_path / "in.csv"
    source.write_text("smiles\nCCO\nC[C@H](O)CC\n")
    for flags, status in (([], ["ok", "ok"]), (["--strict"], ["ok", "error"])):
        out = tmp_path / f"out{len(flags)}.csv"
        main(["score", str(source), "-o", str(out), "--quiet", *flags])
        frame = pd.read_csv(out, keep_default_na=False)
        assert frame["status"].tolist() == status
    assert frame["error"][1] == "characters this model never saw: '@'"
    relaxed = pd.read_csv(tmp_path / "out0.csv", keep_default_na=False)
    assert relaxed["warning"].tolist() == ["", STEREO_WARNING]
    assert relaxed["prediction"][1] == pytest.approx(cx.explain("CC(O)CC").prediction, abs=1e-6)


def test_an_element_no_training_molecule_had_is_refused_by_name(bundled, tmp_path, capsys):
    """Boron's 'B' is a character the model saw (in 'Br'); the element is still refused."""
    from chemexplain.cli import main

    model, _ = bundled
    assert model.training_elements() == ["Br", "C", "Cl", "F", "I", "N", "O", "P", "S"]
    for smiles, element in (("OB(O)c1ccccc1", "B"), ("C[Se]C", "Se"), ("C[Si](C)(C)C", "Si")):
        (e,) = cx.explain([smiles], on_invalid="nan")
        assert not e.ok and e.error == f"elements this model never saw in training: {element}"
    source = tmp_path / "in.csv"
    source.write_text("smiles\nCCO\nOB(O)c1ccccc1\nC[Se]C\n")
    runs = {
        "score": ["score", str(source), "--quiet"],
        "predict": ["predict", "--input", str(source)],
    }
    for command, args in runs.items():
        out = tmp_path / f"{command}.csv"
        assert main([*args, "-o", str(out)]) == 0
        frame = pd.read_csv(out, keep_default_na=False)
        assert frame["status"].tolist() == ["ok", "error", "error"]
        assert frame["error"][1] == "elements this model never saw in training: B"
        assert frame["prediction"][1] == ""  # no number for it
    with pytest.raises(cx.InvalidSmilesError, match="never saw in training: B"):
        cx.explain("OB(O)c1ccccc1")
    # the estimator's own predict (scikit-learn style) still returns a number, and says why
    with pytest.warns(UserWarning, match=r"'OB\(O\)c1ccccc1' \(element B\)"):
        model.predict(["OB(O)c1ccccc1"])


def test_the_domain_is_judged_on_the_molecule_the_model_reads():
    plain, labelled = cx.explain("OC"), cx.explain("[2H]OC")
    assert labelled.model_smiles == "CO" and labelled.prediction == plain.prediction
    # the deuterium atom would change the fingerprint (0.33 to the nearest training molecule)
    assert labelled.max_similarity == plain.max_similarity == 1.0
    assert labelled.nearest_training_smiles == plain.nearest_training_smiles


def test_kekule_rings_are_read_in_aromatic_notation_with_the_input_atom_order():
    kekule = "CC(=O)NC1=CC=C(C=C1)O"  # paracetamol as PubChem writes it
    mol = Chem.MolFromSmiles(kekule)
    assert kekule_written(kekule, mol)
    form = readable_form(kekule, mol, model_reads_it=True, aromatic=True)
    # RDKit writes the branch first: atom 8 of the form is the input's O10
    assert form.smiles == "CC(=O)Nc1ccc(O)cc1" and form.order == (0, 1, 2, 3, 4, 5, 6, 7, 10, 8, 9)
    assert form.warning == ""  # nothing is lost
    assert not readable_form(kekule, mol, model_reads_it=True).changed
    # rewritten for another reason, a ring keeps the notation it was written in
    labelled = "[13CH3]C1=CC=CC=C1"
    form = readable_form(labelled, Chem.MolFromSmiles(labelled), model_reads_it=True)
    assert form.smiles == "CC1=CC=CC=C1" and form.warning == ISOTOPE_WARNING
    # lower case that RDKit does not perceive as aromatic (three ESOL SMILES) is not Kekulé
    esol_ring = "c1cC2C(=O)NC(=O)C2cc1"
    assert not kekule_written(esol_ring, Chem.MolFromSmiles(esol_ring))
    partly = "C1=CC=CC=C1c1ccccc1"
    assert kekule_written(partly, Chem.MolFromSmiles(partly))
    assert not kekule_written("c1ccccc1", Chem.MolFromSmiles("c1ccccc1"))


def test_a_kekule_spelling_gets_the_prediction_and_atoms_of_the_aromatic_one(bundled, esol):
    model, _ = bundled
    kekule, aromatic = "CC(=O)NC1=CC=C(C=C1)O", "CC(=O)Nc1ccc(O)cc1"
    e, a = cx.explain(kekule), cx.explain(aromatic)
    assert e.smiles == kekule and e.model_smiles == aromatic and not e.warning
    assert e.prediction == a.prediction
    # the input's atom order: its O10 is atom 8 of the aromatic spelling
    np.testing.assert_array_equal(
        e.atom_weights[[0, 1, 2, 3, 4, 5, 6, 7, 10, 8, 9]], a.atom_weights
    )
    assert e.atom_symbols[10] == "O" and e.raising()[0][0] in (2, 10)
    assert model.predict([kekule])[0] == model.predict([aromatic])[0]
    # why: read as written, Kekulé spellings of ESOL's test molecules predict far worse
    test = esol.iloc[model.split_["test"]]
    kekule_test = []
    for s in test.smiles:
        mol = Chem.MolFromSmiles(s)
        Chem.Kekulize(mol, clearAromaticFlags=True)
        kekule_test.append(Chem.MolToSmiles(mol, kekuleSmiles=True))

    def rmse(outputs):
        errors = model.inverse_transform_target(outputs) - test.logS.to_numpy()
        return float(np.sqrt(np.mean(errors**2)))

    as_written = rmse(model._raw_outputs(list(test.smiles)))
    assert rmse(model._raw_outputs(kekule_test)) > as_written + 0.15
    read = rmse(model._raw_outputs([f.smiles for f in model.readable_forms(kekule_test)]))
    assert abs(read - as_written) < 0.03


def test_a_model_that_never_saw_aromatic_notation_reads_kekule_as_written(esol):
    kekule = []
    for s in esol.smiles[:40]:
        mol = Chem.MolFromSmiles(s)
        Chem.Kekulize(mol, clearAromaticFlags=True)
        kekule.append(Chem.MolToSmiles(mol, kekuleSmiles=True))
    model = cx.SmilesRegressor(
        "paper", gru_sizes=(8, 8), max_epochs=1, n_augment=0, verbose=False
    ).fit(kekule, esol.logS[:40])
    assert "c" not in model.vocab_.tokens
    e = cx.explain("C1=CC=CC=C1O", model=model)
    assert e.ok and e.model_smiles == "C1=CC=CC=C1O"


def test_notation_the_model_never_saw_is_read_as_rdkit_writes_the_molecule(bundled):
    """A ring closure from %10 or an atom map number ([CH3:1]) was a 'never saw' error row."""
    model, _ = bundled
    for written, read in [("C%10CCCCC%10", "C1CCCCC1"), ("[CH3:1][OH:2]", "CO")]:
        assert model.encode([written])[1][0]  # as written, the model cannot read it
        e = cx.explain(written)
        assert e.ok and e.model_smiles == read and not e.warning
        assert e.prediction == cx.explain(read).prediction
        assert model.predict([written])[0] == model.predict([read])[0]
    # the atom order stays the input's: map numbers do not reorder anything
    mapped = cx.explain("[OH:1][CH2:2][CH3:3]")
    np.testing.assert_array_equal(mapped.atom_weights, cx.explain("OCC").atom_weights)


def test_a_smiles_with_a_space_inside_is_refused_not_cut_at_the_space():
    """RDKit reads 'CCO ethanol' as ethanol and a name; the model read all of it."""
    with pytest.raises(cx.InvalidSmilesError, match="a space inside it"):
        cx.explain("CCO ethanol")
    assert cx.explain("  CCO  ").ok  # surrounding whitespace is not inside it


def test_a_cxsmiles_is_read_as_its_smiles_with_a_warning(tiny_model):
    """Vendors write enhanced stereo, coordinates and labels after the SMILES (``|...|``);
    it was refused as "a space inside it". The atoms keep their numbers."""
    enhanced = cx.explain("C[C@H](O)CC |&1:1|")
    plain, stereo = cx.explain("CC(O)CC"), cx.explain("C[C@H](O)CC")
    assert enhanced.ok and enhanced.prediction == plain.prediction
    assert enhanced.warning == f"{STEREO_WARNING}; {CXSMILES_WARNING}"
    np.testing.assert_array_equal(enhanced.atom_weights, stereo.atom_weights)
    assert enhanced.atom_symbols == ["C", "C", "O", "C", "C"]  # the input's order
    # coordinates hold dots, which are no fragments; the model reads the SMILES alone
    placed = cx.explain("Oc1ccccc1 |(0.5,0,;1.5,0,;2,0.8,;3,0.8,;3.5,0,;3,-0.8,;2,-0.8,)|")
    assert placed.ok and placed.warning == CXSMILES_WARNING and placed.model_smiles == "Oc1ccccc1"
    assert placed.prediction == cx.explain("Oc1ccccc1").prediction
    assert tiny_model.predict(["C[C@H](O)CC |&1:1|"])[0] == tiny_model.predict(["CC(O)CC"])[0]
    # an extension that makes it another structure (a polymer) is refused, saying why
    with pytest.raises(cx.InvalidSmilesError, match="changes the structure .Sg:"):
        cx.explain("CC |Sg:n:0,1::ht|")
    with pytest.raises(cx.InvalidSmilesError, match="a space inside it"):
        cx.explain("CCO |&1:1| ethanol")  # a name after the extension is still no SMILES


def test_an_inchi_where_a_smiles_goes_is_named_as_one():
    """It was "syntax error while parsing ... check for mistakes around position 4"."""
    with pytest.raises(cx.InvalidSmilesError, match="an InChI, not a SMILES"):
        cx.explain("InChI=1S/C2H6O/c1-2-3/h3H,2H2,1H3")


def test_a_model_trained_on_cxsmiles_learns_from_the_smiles_alone(esol):
    part = esol.iloc[:40]
    written = [f"{s} |$_AV:x$|" for s in part.smiles]  # every molecule with an extension
    model = cx.SmilesRegressor("paper", gru_sizes=(8, 8), max_epochs=1, verbose=False)
    model.fit(written, part.logS)
    assert not {"|", "$", " "} & set(model.vocab_.tokens)


def test_explainers_trained_on_cxsmiles_are_those_trained_on_their_smiles(tiny_model, esol):
    plain = esol.smiles[:40].tolist()
    written = [f"{s} |$_AV:x$|" for s in plain]
    y = esol.logS[:40].to_numpy()
    options = dict(channels=4, n_layers=2, max_epochs=1, verbose=False)
    masks = [cx.SmilesMask(tiny_model, **options).fit(s, y) for s in (plain, written)]
    for a, b in zip(*(m.token_weights(plain[:5]) for m in masks)):
        np.testing.assert_array_equal(a, b)
    options = dict(hidden=8, n_layers=1, n_coalitions=1, max_epochs=1, verbose=False)
    explainers = [cx.SmilesShapley(tiny_model, **options).fit(s) for s in (plain, written)]
    for a, b in zip(*(e.atom_values(plain[:5])[0] for e in explainers)):
        np.testing.assert_array_equal(a, b)


def test_a_canonical_rewrite_carries_the_molecule_as_parsing_it_would_give():
    # explain reads the renumbered molecule instead of parsing the canonical SMILES again
    from chemexplain.chem.graph_features import adjacency, atom_features
    from chemexplain.chem.tokenizer import tokenize

    for smiles in ["O=N(=O)c1ccc(C)cc1", "OC(=O)C1CCCCC1", "[nH]1ccc2ccccc12", "C(Cl)(Cl)(Cl)Cl"]:
        form = readable_form(
            smiles, Chem.MolFromSmiles(smiles), True, aromatic=True, canonical=True
        )
        parsed = Chem.MolFromSmiles(form.smiles)
        assert form.changed and form.smiles == Chem.MolToSmiles(parsed)
        np.testing.assert_array_equal(atom_features(form.mol), atom_features(parsed))
        np.testing.assert_array_equal(adjacency(form.mol), adjacency(parsed))
        tokens = [tokenize(form.smiles, "char", mol=m) for m in (form.mol, parsed)]
        assert [t.atom for t in tokens[0]] == [t.atom for t in tokens[1]]
    # a stereo or Kekulé rewrite has none: the service parses its SMILES
    stereo = "O[C@@H](C)c1ccccc1"
    assert readable_form(stereo, Chem.MolFromSmiles(stereo), False, canonical=True).mol is None


def test_a_canonical_rewrite_hands_on_the_input_canonical_smiles_only_when_it_is_that():
    """``input_canonical`` saves the service writing the SMILES again: it must be exactly
    ``Chem.MolToSmiles(mol)`` whenever it is given, and it is not given where the rewrite
    took something off (brackets: isotopes, explicit hydrogens) or wrote another form."""
    given = 0
    for smiles in list(cx.load_esol().smiles[:300]) + [
        "OC(C)c1ccccc1",  # rewritten to CC(O)c1ccccc1
        "CC(O)c1ccccc1",  # already canonical: the form is the input itself
        "O[C@@H](C)c1ccccc1",  # stereo kept (the model reads it here)
        "C1=CC=CC=C1O",  # Kekulé written
        "[13CH3]O",
        "[2H]C([2H])([2H])O",
        "OC[C@@H](O)[C@H](O)CO |&1:2|",
    ]:
        mol = Chem.MolFromSmiles(smiles)
        for reads, canonical in ((True, True), (False, True), (True, False)):
            form = readable_form(smiles, mol, reads, aromatic=True, canonical=canonical)
            if form.input_canonical is not None:
                given += 1
                assert form.input_canonical == Chem.MolToSmiles(mol), smiles
                assert "[" not in smiles and canonical
    assert given > 300
    labelled = "[13CH3]O"
    form = readable_form(labelled, Chem.MolFromSmiles(labelled), True, canonical=True)
    assert form.smiles == "CO" and form.input_canonical is None
