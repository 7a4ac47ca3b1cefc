"""Explanations: per-atom weights, batch error handling, drawings, 3D view and SDF output."""

import re

import numpy as np
import pytest
from rdkit import Chem

import chemexplain as cx
from chemexplain.chem.drawing import _highlights, weight_color


@pytest.fixture(scope="module")
def pair(tiny_pair_dir):
    return cx.pretrained(tiny_pair_dir)


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


def test_drawing_files_and_strongest_color_on_top_atom(pair, tmp_path):
    e = cx.explain("OCC(O)c1ccc(Cl)cc1", *pair)
    svg = e.draw(tmp_path / "m.svg")
    png = e.draw(tmp_path / "m.png")
    assert (tmp_path / "m.svg").read_text() == svg and svg.lstrip().startswith("<?xml")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and (tmp_path / "m.png").stat().st_size > 1000
    _, _, colors, _, _ = _highlights(e, 2.0, 1.0)
    top = int(np.argmax(e.atom_weights))
    # on the white-to-red scale, the strongest color has the lowest green channel
    assert min(colors, key=lambda i: colors[i][1]) == top
    # RDKit writes the color of each highlight; it rounds or truncates to 8 bits
    written = {"#" + "".join(f"{f(255 * c):02X}" for c in colors[top]) for f in (round, int)}
    assert any(h in svg.upper() for h in written)
    assert "fixed scale" in svg and "red = 2 or more" in svg
    bar_end = weight_color(39.5 / 40 * 2.0)  # the last step of the color bar
    assert any(
        "#" + "".join(f"{f(255 * c):02X}" for c in bar_end) in svg.upper() for f in (round, int)
    )


def test_color_scale_is_fixed_not_per_molecule():
    assert weight_color(0.0) == (1.0, 1.0, 1.0)
    assert weight_color(1.0) == weight_color(1.0, vmax=2.0)
    assert weight_color(5.0) == weight_color(2.0) != weight_color(1.0)


def test_grid_and_contour_style(pair, tmp_path):
    many = cx.explain(["CCO", "C1CC", "c1ccccc1Cl"], *pair, on_invalid="nan")
    svg = many.draw_grid(tmp_path / "grid.svg", mols_per_row=2)
    assert (tmp_path / "grid.svg").exists() and svg.count("<path") > 10
    png = cx.draw_explanation(many[0], tmp_path / "c.png", style="contour")
    assert png[:4] == b"\x89PNG"


def test_grid_labels_every_panel_and_stays_small(pair, tmp_path):
    smiles = [
        "CC(=O)Nc1ccc(O)cc1",
        "OCC(O)CO",
        "Clc1ccc(Cl)cc1",
        "CCO",
        "c1ccccc1",
        "CC(C)Cc1ccc(cc1)C(C)C(=O)O",
        "O=C(O)c1ccccc1O",
        "CCCCCCCC",
        "Nc1ccccc1",
        "CC(=O)Oc1ccccc1C(=O)O",
        "ClC(Cl)(Cl)Cl",
        "C1CC",
    ]
    many = cx.explain(smiles, *pair, on_invalid="nan")
    svg = many.draw_grid(tmp_path / "grid.svg")
    assert len(svg.encode()) < 300_000
    description = re.search("<desc>(.*)</desc>", svg).group(1)
    for e in many[:-1]:
        assert f"{e.input}: {e.prediction:.2f}" in description
    assert "C1CC: error: invalid SMILES: unclosed ring" in description
    labelled = many.draw_grid(labels=[f"id-{i}" for i in range(12)])
    assert "id-0: " in labelled and labelled.count("class='legend'") != svg.count("class='legend'")
    with pytest.raises(ValueError, match="2 labels for 12"):
        many.draw_grid(labels=["a", "b"])


def test_view3d_html_colors_atoms(pair, tmp_path):
    e = cx.explain("CC(=O)Nc1ccc(O)cc1", *pair)
    view = e.view3d(outfile=tmp_path / "v.html")
    html = (tmp_path / "v.html").read_text()
    top = int(np.argmax(e.atom_weights))
    color = "#" + "".join(f"{round(255 * c):02x}" for c in weight_color(e.atom_weights[top]))
    assert color in html and "addModel" in html
    assert view is not None
    # 3Dmol.js is inline and defined before py3Dmol's loader, which then skips its CDN
    library = html.index("For license information please see 3Dmol-min.js")
    assert library < html.index("var $3Dmolpromise = Promise.resolve()") < html.rindex("addModel")
    cdn = e.view3d(outfile=tmp_path / "cdn.html", embed_js=False)
    assert "3Dmol-min.js.LICENSE" not in (tmp_path / "cdn.html").read_text() and cdn is not None


def test_sdf_round_trip_with_atom_weights(pair, tmp_path):
    from chemexplain.io import explanations_to_sdf

    many = cx.explain(["CCO", "C1CC", "c1ccccc1Cl"], *pair, on_invalid="nan")
    explanations_to_sdf(many, tmp_path / "out.sdf")
    mols = list(Chem.SDMolSupplier(str(tmp_path / "out.sdf")))
    assert len(mols) == 3
    assert [m.GetProp("status") for m in mols] == ["ok", "error", "ok"]
    assert mols[2].GetDoubleProp("prediction") == pytest.approx(many[2].prediction)
    read = [a.GetDoubleProp("weight") for a in mols[2].GetAtoms()]
    np.testing.assert_allclose(read, many[2].atom_weights, rtol=1e-5)
    assert re.search("unclosed ring", mols[1].GetProp("error"))
