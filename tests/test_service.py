"""The explain service: per-atom weights, batch error handling, standardization."""

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem

import chemexplain as cx


def test_explanation_averages_mask_weights_per_atom(pair):
    model, mask = pair
    e = cx.explain("ClCC(=O)O", model, mask)
    tokens = mask.token_weights(["ClCC(=O)O"])[0]
    assert e.ok and e.tokens == list("ClCC(=O)O")
    assert e.atom_symbols == ["Cl", "C", "C", "O", "O"]
    # Cl's two characters both belong to atom 0 (their mean, so Cl does not count twice);
    # '(', '=', ')' belong to none
    expected = [(tokens[0] + tokens[1]) / 2, tokens[2], tokens[3], tokens[6], tokens[8]]
    np.testing.assert_allclose(e.atom_weights, expected, rtol=1e-6)
    assert e.prediction == pytest.approx(float(model.predict(["ClCC(=O)O"])[0]), abs=1e-6)
    assert e.units == ""  # tiny_model records no dataset; the bundled one says log10 mol/L
    top = e.top_atoms(2)
    assert [i for i, _, _ in top] == list(np.argsort(-e.atom_weights)[:2])
    assert e.canonical_smiles == Chem.MolToSmiles(Chem.MolFromSmiles("ClCC(=O)O"))


def test_invalid_single_smiles_raises_naming_it(pair):
    with pytest.raises(cx.InvalidSmilesError, match="C1CC"):
        cx.explain("C1CC", *pair)


def test_batch_on_invalid_modes_keep_order(pair):
    smiles = ["CCO", "C1CC", "", "c1ccccc1O"]
    with pytest.raises(cx.InvalidSmilesError, match=r"row 1"):
        cx.explain(smiles, *pair)
    kept = cx.explain(smiles, *pair, on_invalid="nan")
    assert [e.status for e in kept] == ["ok", "error", "error", "ok"]
    assert np.isnan(kept[1].prediction) and kept[2].error == "empty SMILES"
    skipped = cx.explain(smiles, *pair, on_invalid="skip")
    assert [e.input for e in skipped] == ["CCO", "c1ccccc1O"]
    frame = kept.to_frame()
    assert list(frame["input"]) == smiles and list(frame["status"])[1] == "error"


def test_standardize_keeps_largest_fragment_and_neutralizes(pair):
    e = cx.explain("CC(=O)[O-].[Na+]", *pair, standardize=True)
    assert e.smiles == "CC(=O)O" and e.input == "CC(=O)[O-].[Na+]"
    bad = cx.explain(["CC(=O)[O-].[Na+]"], *pair, on_invalid="nan")[0]
    assert "fragments" in bad.error


def test_a_dataframe_without_the_smiles_column_is_a_clear_error(pair):
    import pandas as pd

    frame = pd.DataFrame({"SMILES": ["CCO", "c1ccccc1O"], "name": ["a", "b"]})
    with pytest.raises(cx.DataFormatError, match=r"no column 'smiles'; its columns are \['SMILES'"):
        cx.explain(frame, *pair)
    explained = cx.explain(frame, *pair, smiles_col="SMILES")
    assert [e.input for e in explained] == ["CCO", "c1ccccc1O"]


def test_an_explanation_reads_as_one_line():
    signed = cx.explain("CC(=O)Nc1ccc(O)cc1")  # the bundled model's signed explainer
    up = ", ".join(f"{s}{i} ({w:+.2f})" for i, s, w in signed.raising())
    down = ", ".join(f"{s}{i} ({w:+.2f})" for i, s, w in signed.lowering())
    assert repr(signed) == (
        f"Explanation('CC(=O)Nc1ccc(O)cc1': {signed.prediction:.3f} log10 mol/L, shapley; "
        f"raise: {up}; lower: {down})"
    )
    assert up.startswith("O8 (+0.") and "\n" not in repr(signed)
    mask = cx.explain("CCO", method="mask")
    assert repr(mask).endswith("mask; " + mask.atoms_text() + ")")
    assert mask.atoms_text().startswith("top atoms: ") and "(+" not in mask.atoms_text()
    (bad,) = cx.explain(["C1CC"], on_invalid="nan")
    assert repr(bad) == f"Explanation('C1CC': error: {bad.error})"
    # what makes a prediction less sure ends the line, as under a drawing
    ion, chain = cx.explain(["C[NH3+]", "C" * 60])
    assert repr(ion).endswith(
        f"; outside the model's domain (Tanimoto {ion.max_similarity:.2f}); "
        "ions the model never saw)"
    )
    assert repr(chain).endswith(
        "; outside the model's domain (larger than its training molecules))"
    )
    # an atom whose value prints as 0.00 is listed neither way ("raise: C0 (+0.00), ...")
    flat = cx.Explanation(
        "CCO",
        smiles="CCO",
        atom_symbols=["C", "C", "O"],
        signed=True,
        method="shapley",
        atom_weights=np.array([0.004, -0.003, 0.2]),
    )
    assert flat.raising()[1][0] == 0 and flat.atoms_text() == "raise: O2 (+0.20); lower: none"


def test_a_model_without_an_explainer_is_explained_by_occlusion(tiny_model, tiny_pair_dir):
    from chemexplain.service import FALLBACK_METHOD, default_method

    assert FALLBACK_METHOD == "occlusion"
    # a fitted model object, as a chemist gets from fit(); a bare model folder
    for model in (tiny_model, tiny_pair_dir / "model"):
        e = cx.explain("OCC(=O)O", model)
        assert e.method == "occlusion" and e.signed
        by_name = cx.explain("OCC(=O)O", model, method="occlusion")
        np.testing.assert_array_equal(e.atom_weights, by_name.atom_weights)
    assert default_method(tiny_pair_dir) == "mask"  # a folder with mask/ keeps its mask
    assert default_method(None) == "shapley"  # the bundled model has its explainer


def test_the_object_pretrained_loaded_is_explained_as_its_folder_is():
    # model, mask = cx.pretrained(); cx.explain(s, model=model) was occlusion, and the pair
    # the mask, while cx.explain(s) gave the bundled explainer's signed contributions
    import copy

    from chemexplain.service import FALLBACK_METHOD

    model, _ = cx.pretrained()
    by_default = cx.explain("CC(=O)Nc1ccc(O)cc1")
    assert by_default.method == "shapley"
    for given in (model, cx.pretrained()):
        e = cx.explain("CC(=O)Nc1ccc(O)cc1", model=given)
        assert e.method == "shapley" and e.reference == by_default.reference
        np.testing.assert_array_equal(e.atom_weights, by_default.atom_weights)
    # a copy may be changed (randomized, refitted): no stored explainer is known to be its own
    assert cx.explain("CCO", model=copy.deepcopy(model)).method == FALLBACK_METHOD
    assert cx.explain("CCO", model=model, method="mask").method == "mask"


def test_a_wrong_method_or_input_type_is_one_clear_error():
    with pytest.raises(ValueError, match=r"unknown method 'foo'; use 'shapley', 'mask' or one of "):
        cx.explain("CCO", method="foo")
    with pytest.raises(
        TypeError, match="a SMILES string or RDKit molecule, a list of them or a DataFrame, not int"
    ):
        cx.explain(123)


def test_a_re_raised_error_row_does_not_repeat_invalid_smiles():
    with pytest.raises(cx.InvalidSmilesError) as error:
        cx.explain("C1CC")
    assert str(error.value) == "invalid SMILES 'C1CC': unclosed ring for input: 'C1CC'"


def test_a_classifiers_atom_values_are_in_log_odds_and_say_so(esol, tmp_path):
    """Its prediction is a probability; the methods explain the network's logit."""
    from tests.conftest import TINY

    part = esol.iloc[:200]
    model = cx.SmilesClassifier("paper", random_state=0, **TINY).fit(
        part.smiles, (part.logS > -3).astype(float)
    )
    e = cx.explain("OCC(O)CO", model=model, method="integrated_gradients")
    assert e.units == "probability of class 1" and e.value_units == "log-odds of class 1"
    logit = np.log(e.prediction / (1 - e.prediction))
    # IG's contributions add up to logit - reference (to its integration error), not to
    # prediction - reference
    assert e.atom_weights.sum() == pytest.approx(logit - e.reference, abs=0.05)
    assert abs(e.atom_weights.sum() - (e.prediction - e.reference)) > 0.05
    assert e.to_dict()["value_units"] == "log-odds of class 1"
    # in words too: '+3.24' beside a probability of 0.86 read as a probability
    assert e.atoms_text().startswith("raise: ") and e.atoms_text().endswith("(log-odds of class 1)")
    assert "mol/L" not in cx.explain("CCO").atoms_text()  # a regressor's: the prediction's
    e.draw(tmp_path / "a.svg")
    picture = (tmp_path / "a.svg").read_text()
    # the picture's description (its text is drawn as paths) gives both units
    assert f"{e.prediction:.2f} probability of class 1;" in picture
    assert "blue = -1 log-odds of class 1 or less" in picture
    from chemexplain.chem.drawing import _bar_label

    assert (
        _bar_label(e) == "integrated_gradients: contribution to the prediction, log-odds of class 1"
    )
    # the mask's weights have no units; a regressor's values are in the target's
    assert cx.explain("CCO", method="mask").value_units == ""
    assert cx.explain("CCO").value_units == "log10 mol/L"


def test_a_molecule_of_hydrogen_alone_is_an_error_row_not_a_crash():
    """'[H][H]' raised IndexError out of the whole batch; '[HH]' was predicted."""
    from chemexplain.chem.parsing import elements

    assert elements([Chem.MolFromSmiles("[HH]")]) == ["H"]
    assert elements([Chem.MolFromSmiles("[H]OC")]) == ["C", "O"]
    rows = cx.explain(["CCO", "[H][H]", "[HH]", "[H]", "OCC"], on_invalid="nan")
    assert [e.status for e in rows] == ["ok", "error", "error", "error", "ok"]
    assert rows[1].error == "no heavy atom: the model reads a molecule by its heavy atoms"
    fragment = cx.explain(["[*:1]c1ccccc1"], on_invalid="nan")[0]
    assert fragment.error.startswith("a dummy atom '*' (an attachment point)")
    model, _ = cx.pretrained()
    with pytest.warns(UserWarning, match=r"'\[H\]\[H\]' \(element H\)"):
        assert np.isfinite(model.predict(["[H][H]"])).all()


def test_a_reference_is_given_only_where_the_values_add_up_to_the_prediction_shown():
    """With test-time spellings, the Shapley values added up to the prediction of the SMILES
    as written (0.604 against 0.673 for paracetamol), and so did integrated gradients'."""
    smiles = "CC(=O)Nc1ccc(O)cc1"
    for n_test_augment in (0, 10, None):
        e = cx.explain(smiles, n_test_augment=n_test_augment)
        assert e.atom_weights.sum() == pytest.approx(e.prediction - e.reference, abs=1e-9)
    averaged, as_written = cx.explain(smiles, n_test_augment=10), cx.explain(smiles)
    assert abs(averaged.prediction - as_written.prediction) > 0.01
    ig = cx.explain(smiles, method="integrated_gradients")
    assert ig.atom_weights.sum() == pytest.approx(ig.prediction - ig.reference, abs=0.01)
    ig_averaged = cx.explain(smiles, method="integrated_gradients", n_test_augment=10)
    np.testing.assert_allclose(ig_averaged.atom_weights, ig.atom_weights)  # as written
    assert np.isnan(ig_averaged.reference) and ig_averaged.prediction == averaged.prediction


def test_results_of_a_dataframe_keep_its_index_so_columns_line_up(pair):
    """A filtered frame's index is not 0..n-1: assigning to_frame()'s columns to it gave NaN."""
    import pandas as pd

    frame = pd.DataFrame({"smiles": ["CCO", "C1CC", "OCC", "c1ccccc1"]}, index=[10, 20, 30, 40])
    frame["prediction"] = cx.explain(frame, *pair, on_invalid="nan").to_frame()["prediction"]
    expected = [cx.explain(s, *pair).prediction for s in ("CCO", "OCC", "c1ccccc1")]
    assert frame.prediction[[10, 30, 40]].tolist() == expected
    assert np.isnan(frame.prediction[20])
    kept = cx.explain(frame, *pair, on_invalid="skip")
    assert kept.to_frame().index.tolist() == [10, 30, 40]
    assert cx.explain(["CCO", "OCC"], *pair).to_frame().index.tolist() == [0, 1]


def test_ions_get_a_warning_that_names_them_when_the_model_saw_none():
    """ESOL has no ion (its only charges are nitro groups and an N-oxide): the bundled model
    predicts phenylalanine's zwitterion 1.8 log units below its neutral form, so a chemist
    must be told, and --standardize gives the neutral form's prediction."""
    zwitterion, neutral, nitro = cx.explain(
        ["[NH3+]C(Cc1ccccc1)C([O-])=O", "NC(Cc1ccccc1)C(=O)O", "Cc1ccc(cc1)[N+](=O)[O-]"]
    )
    assert "ionized atoms N0 (+1), O10 (-1): the model saw no ion" in zwitterion.warning
    assert neutral.warning == "" and nitro.warning == ""
    assert abs(zwitterion.prediction - neutral.prediction) > 1.0
    standardized = cx.explain("[NH3+]C(Cc1ccccc1)C([O-])=O", standardize=True)
    assert standardized.warning == ""
    assert standardized.prediction == pytest.approx(neutral.prediction, abs=1e-9)
    # a stereo warning and an ion warning stand side by side
    both = cx.explain("[NH3+][C@@H](Cc1ccccc1)C([O-])=O")
    assert both.warning.startswith("stereo ignored") and "ionized atoms N0 (+1)" in both.warning
    # chemexplain predict says the same
    from chemexplain.cli.predict import predict_rows

    rows = predict_rows(cx.pretrained().model, ["[NH3+]CC([O-])=O", "NCC(=O)O"])
    assert rows["warning"].tolist() == [
        zwitterion.warning.replace("N0 (+1), O10", "N0 (+1), O3"),
        "",
    ]


def test_a_model_trained_on_ions_gets_no_ion_warning(monkeypatch):
    domain = cx.pretrained().model.domain_
    assert cx.explain("C[NH3+]").warning.startswith("ionized atoms N1 (+1)")
    monkeypatch.setattr(domain, "saw_ions", lambda: True)
    assert cx.explain("C[NH3+]").warning == ""


def test_a_bad_row_of_a_dataframe_is_named_by_its_index_label_and_the_way_to_keep_the_rest():
    frame = pd.DataFrame({"smiles": ["CCO", np.nan]}, index=["ethanol", "missing"])
    with pytest.raises(cx.InvalidSmilesError) as error:
        cx.explain(frame)
    assert str(error.value) == (
        "invalid SMILES '' (row 'missing'): empty SMILES (on_invalid='nan' keeps every row)"
    )
    with pytest.raises(cx.InvalidSmilesError, match=r"\(row 1\): unclosed ring"):
        cx.explain(["CCO", "C1CC"])


NITROTOLUENE_SPELLINGS = [
    "Cc1ccc(cc1)N(=O)=O",
    "Cc1ccc([N+](=O)[O-])cc1",
    "O=N(=O)c1ccc(C)cc1",
    "[O-][N+](=O)c1ccc(C)cc1",
    "CC1=CC=C(C=C1)[N+]([O-])=O",
]


def test_every_spelling_of_a_molecule_gets_one_prediction_and_the_same_atom_values():
    # the bundled model was trained on random spellings, so it reads RDKit's canonical one;
    # as written, these five spellings were predicted -2.562, -2.576, -2.143, -2.491, -2.758
    out = cx.explain(NITROTOLUENE_SPELLINGS)
    assert max(e.prediction for e in out) - min(e.prediction for e in out) < 1e-12
    assert max(e.reference for e in out) - min(e.reference for e in out) < 1e-12
    assert {e.model_smiles for e in out} == {"Cc1ccc([N+](=O)[O-])cc1"}
    first = out[0]
    for e in out[1:]:  # atom k of each input is matched to the same atom of the first
        match = Chem.MolFromSmiles(e.input).GetSubstructMatch(Chem.MolFromSmiles(first.input))
        assert np.allclose(np.asarray(e.atom_weights)[list(match)], first.atom_weights, atol=1e-9)
    assert cx.pretrained().model.reads_canonical()


def test_predict_reads_every_spelling_as_explain_does():
    # predict read the SMILES as written: with the bundled model's 10 test-time spellings
    # these five gave -2.677 to -2.533, and -2.758 to -2.143 without them
    model = cx.pretrained().model
    for n_test_augment in (None, 0):
        predictions = model.predict(NITROTOLUENE_SPELLINGS, n_test_augment=n_test_augment)
        assert np.ptp(predictions) == 0.0
    single = model.predict(NITROTOLUENE_SPELLINGS[:1], n_test_augment=0)[0]
    assert single == pytest.approx(cx.explain(NITROTOLUENE_SPELLINGS[0]).prediction, abs=1e-12)


def test_a_model_trained_on_its_files_spellings_alone_reads_them_as_written(pair):
    model, _ = pair
    assert not model.reads_canonical()  # paper configuration: no random spellings
    e = cx.explain("O=N(=O)c1ccc(C)cc1", model=pair, method="occlusion")
    assert e.model_smiles == "O=N(=O)c1ccc(C)cc1"
    assert e.prediction == pytest.approx(model.predict(["O=N(=O)c1ccc(C)cc1"], n_test_augment=0)[0])


def test_an_rdkit_molecule_is_explained_in_its_own_atom_order():
    # paracetamol as an SDF might hold it: atoms in another order, hydrogens as atoms
    permutation = [5, 3, 0, 9, 1, 10, 2, 4, 6, 7, 8]  # atom i is atom permutation[i] of the SMILES
    smiles = "CC(=O)Nc1ccc(O)cc1"
    mol = Chem.AddHs(Chem.RenumberAtoms(Chem.MolFromSmiles(smiles), permutation))
    e, written = cx.explain(mol), cx.explain(smiles)
    assert e.prediction == pytest.approx(written.prediction, abs=1e-12)
    assert e.atom_weights == pytest.approx(np.asarray(written.atom_weights)[permutation], abs=1e-12)
    assert e.mol.GetNumAtoms() == 11  # the hydrogens removed, the order kept
    assert e.atom_symbols == [a.GetSymbol() for a in e.mol.GetAtoms()]
    raising = [atom[0] for atom in e.raising(3)]  # the same atoms, by the molecule's numbers
    assert raising == [permutation.index(atom[0]) for atom in written.raising(3)]
    # the hydroxyl O, the amide N and the carbonyl O (degree 1) of the SMILES' atoms 8, 3, 2
    assert sorted(raising) == [1, 6, 10] and e.mol.GetAtomWithIdx(6).GetDegree() == 1


def test_rdkit_molecules_in_a_list_or_dataframe_keep_their_rows():
    from rdkit.Chem import AllChem

    posed = Chem.AddHs(Chem.MolFromSmiles("OCc1ccccc1"))
    AllChem.EmbedMolecule(posed, randomSeed=7)  # a 3D pose, as a docking run writes one
    salt = Chem.MolFromSmiles("Cl.CN1CCCC1c1cccnc1")
    frame = pd.DataFrame({"ROMol": [posed, "CCO", salt]}, index=["a", "b", "c"])
    out = cx.explain(frame, smiles_col="ROMol", on_invalid="nan")
    assert [e.status for e in out] == ["ok", "ok", "error"] and list(out.index) == ["a", "b", "c"]
    assert "several fragments" in out[2].error
    assert cx.pretrained().model.predict([posed, "CCO"], n_test_augment=0) == pytest.approx(
        [out[0].prediction, out[1].prediction], abs=1e-6
    )
    assert out[0].draw().startswith("<?xml")  # drawn flat, from 2D coordinates
    from chemexplain.chem.drawing import _highlights

    drawn = _highlights(out[0], 1.0, 0.5)[0]
    assert out[0].mol.GetConformer().Is3D() and not drawn.GetNumConformers()
    from chemexplain.chem.view3d import conformer_molblock

    block = Chem.MolFromMolBlock(conformer_molblock(out[0].mol), removeHs=False)
    heavy = Chem.RemoveHs(posed).GetConformer().GetPositions()
    assert np.allclose(block.GetConformer().GetPositions()[: len(heavy)], heavy, atol=1e-4)


def test_a_standardized_rdkit_molecule_keeps_its_own_atom_numbers():
    salt = Chem.MolFromSmiles("Cl.CN1CCCC1c1cccnc1")  # the chloride is atom 0
    e = cx.explain(salt, standardize=True)
    parent = cx.explain("CN1CCCC1c1cccnc1")
    assert e.smiles == "CN1CCCC1c1cccnc1" and e.mol.GetNumAtoms() == 13
    assert e.atom_weights[0] == 0 and e.atom_symbols[0] == "Cl"
    assert e.atom_weights[1:] == pytest.approx(list(parent.atom_weights), abs=1e-12)


def test_an_ion_that_standardizing_keeps_is_not_sent_back_to_standardize():
    plain = cx.explain("C[N+](C)(C)C")
    assert plain.warning.endswith("(standardize=True or --standardize neutralizes what can be)")
    kept = cx.explain("C[N+](C)(C)C.[Cl-]", standardize=True)
    assert kept.warning == (
        "ionized atoms N1 (+1): the model saw no ion in training "
        "(standardizing cannot neutralize them)"
    )


def test_an_rdkit_molecules_ions_are_named_by_its_own_numbers():
    zwitterion = Chem.RenumberAtoms(Chem.MolFromSmiles("[NH3+]CC(=O)[O-]"), [4, 3, 2, 1, 0])
    e = cx.explain(zwitterion)  # the carboxylate O is atom 0 of the molecule, the N atom 4
    assert e.warning.startswith("ionized atoms N4 (+1), O0 (-1): the model saw no ion")
