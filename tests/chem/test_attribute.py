"""Per-atom values of any attribution method (chemexplain.chem.attribute) and signed explanations."""

import numpy as np
import pytest
from rdkit import Chem

import chemexplain as cx
from chemexplain.attribution import METHODS
from chemexplain.chem.attribute import atom_attributions
from chemexplain.chem.drawing import _highlights, signed_color
from chemexplain.cli.common import ATTRIBUTION_METHODS

MOLECULES = ["CC(=O)Nc1ccc(O)cc1", "OCC(O)CO", "Clc1ccc(Cl)cc1", "CCO", "c1ccccc1C(=O)O"]


def test_the_cli_lists_every_registered_method():
    assert ATTRIBUTION_METHODS == tuple(sorted(METHODS))


def test_integrated_gradients_add_up_to_prediction_minus_reference(pair):
    model, _ = pair
    values, reference = atom_attributions(MOLECULES, model, "integrated_gradients")
    predictions = model.predict(MOLECULES, n_test_augment=0)
    for smiles, v, r, p in zip(MOLECULES, values, reference, predictions):
        assert v.shape == (Chem.MolFromSmiles(smiles).GetNumAtoms(),)
        # completeness in the target's units (attached rule: no character is dropped)
        assert v.sum() == pytest.approx(p - r, abs=0.02 * max(1.0, abs(p - r)))
    # the empty input's prediction depends on the length only
    lengths = [len(s) for s in MOLECULES]
    assert reference[lengths.index(3)] != reference[lengths.index(8)]


@pytest.mark.parametrize("method", ["gradient_x_input", "occlusion", "lrp_epsilon", "smoothgrad"])
def test_a_molecule_gets_the_same_values_alone_and_in_a_batch(pair, method):
    model, _ = pair
    together, _ = atom_attributions(MOLECULES[::-1], model, method)
    for smiles, in_batch in zip(MOLECULES[::-1], together):
        alone, _ = atom_attributions([smiles], model, method)
        np.testing.assert_allclose(alone[0], in_batch, rtol=0, atol=1e-9)


def test_spelling_averaging_maps_back_to_the_input_atoms(pair):
    model, _ = pair
    written = "OCc1ccccc1"  # benzyl alcohol, O first
    other = "c1ccc(CO)cc1"  # the same molecule, O last
    a, _ = atom_attributions([written], model, "occlusion", spellings=6)
    b, _ = atom_attributions([other], model, "occlusion", spellings=6)
    # the canonical spelling and the random ones come from the molecule: same set, same values
    canonical_a = list(Chem.CanonicalRankAtoms(Chem.MolFromSmiles(written)))
    canonical_b = list(Chem.CanonicalRankAtoms(Chem.MolFromSmiles(other)))
    np.testing.assert_allclose(
        a[0][np.argsort(canonical_a)], b[0][np.argsort(canonical_b)], rtol=0, atol=1e-9
    )
    assert np.isnan(atom_attributions([written], model, "occlusion", spellings=2)[1][0])


def test_signed_explanation_names_raising_and_lowering_atoms(pair):
    e = cx.explain("CC(=O)Nc1ccc(O)cc1", *pair, method="integrated_gradients")
    assert e.signed and e.method == "integrated_gradients" and np.isfinite(e.reference)
    up, down = e.raising(2), e.lowering(2)
    assert all(w > 0 for _, _, w in up) and all(w < 0 for _, _, w in down)
    assert up[0][2] == e.atom_weights.max() and down[0][2] == e.atom_weights.min()
    strongest = e.top_atoms(1)[0]
    assert abs(strongest[2]) == np.abs(e.atom_weights).max()
    sign = "+" if strongest[2] > 0 else "-"
    assert e.to_dict()["top_atoms"].startswith(f"{sign}{strongest[1]}{strongest[0]}")
    mask = cx.explain("CC(=O)Nc1ccc(O)cc1", *pair)
    assert not mask.signed and mask.method == "mask" and np.isnan(mask.reference)


def test_signed_drawing_uses_the_diverging_scale(pair, tmp_path):
    e = cx.explain("CC(=O)Nc1ccc(O)cc1", *pair, method="integrated_gradients")
    svg = e.draw(tmp_path / "ig.svg")
    _, _, colors, _, _ = _highlights(e, 1.0, 0.5)
    low, high = int(np.argmin(e.atom_weights)), int(np.argmax(e.atom_weights))
    assert colors[high] == signed_color(e.atom_weights[high], 1.0)
    assert colors[high][0] > colors[high][2] and colors[low][2] > colors[low][0]  # red, blue
    assert signed_color(0.0) == (1.0, 1.0, 1.0) and signed_color(5.0) == signed_color(1.0)
    assert "blue = -1" in svg and "red = +1" in svg and "contribution" in svg


def test_score_and_explain_commands_take_a_method(tiny_pair_dir, tmp_path, capsys):
    import pandas as pd

    from chemexplain.cli import main

    assert main(["explain", "CCO", "--model", str(tiny_pair_dir), "--method", "occlusion"]) == 0
    line = capsys.readouterr().out.strip()
    assert "raise:" in line and "lower:" in line
    source, out = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_text("smiles\nCCO\nC1CC\n")
    argv = [
        "score",
        str(source),
        "-o",
        str(out),
        "--model",
        str(tiny_pair_dir),
        "--quiet",
        "--workers",
        "1",
        "--method",
        "integrated_gradients",
    ]
    assert main(argv) == 0
    frame = pd.read_csv(out, keep_default_na=False)
    assert frame["method"].tolist() == ["integrated_gradients"] * 2
    assert frame["reference"][0] != "" and frame["reference"][1] == ""
    assert frame["top_atoms"][0][0] in "+-"
