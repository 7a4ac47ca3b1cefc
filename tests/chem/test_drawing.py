"""Drawings of explanations: colours, fixed scale, grids."""

import re

import numpy as np
import pytest

import chemexplain as cx
from chemexplain.chem.drawing import _highlights, weight_color


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


def test_a_notebook_shows_an_explanation_list_as_one_grid(pair):
    import re as regex

    import chemexplain as cx
    from chemexplain.chem.explanation import NOTEBOOK_DRAWN

    many = cx.explain(["CCO", "C1CC", "<b>"] + ["OCC"] * NOTEBOOK_DRAWN, *pair, on_invalid="nan")
    page = many._repr_html_()
    assert page.startswith(f"<p>{NOTEBOOK_DRAWN + 3} explanations: {NOTEBOOK_DRAWN + 1} ok, 2 ")
    assert f"the first {NOTEBOOK_DRAWN} drawn" in page and "<?xml" not in page
    assert page.count("<svg") == 1  # one grid, one scale
    description = regex.search("<desc>(.*)</desc>", page).group(1)
    assert f"{NOTEBOOK_DRAWN} molecules" in description
    # one explanation: its input escaped, its value with units
    single = cx.explain(["<b>"], *pair, on_invalid="nan")[0]._repr_html_()
    assert "<code>&lt;b&gt;</code>: error:" in single


def test_a_picture_carries_the_caveats_of_its_prediction(tmp_path):
    """A chemist reads the picture, not the warning column: an ion the model never saw,
    ignored stereo and a molecule outside the model's domain are written under it (RDKit
    draws text as paths; the SVG's description holds the same legend as text)."""
    import html

    zwitterion, benzene, paracetamol = cx.explain(
        ["[NH3+][C@@H](Cc1ccccc1)C([O-])=O", "c1ccccc1", "CC(=O)Nc1ccc(O)cc1"]
    )
    assert zwitterion.in_domain and not benzene.in_domain and paracetamol.in_domain
    svg = html.unescape(zwitterion.draw(tmp_path / "z.svg"))
    assert "-3.02 log10 mol/L; ions the model never saw; stereo ignored;" in svg
    for style in ("atoms", "contour"):
        svg = html.unescape(benzene.draw(tmp_path / f"b_{style}.svg", style=style))
        assert "-1.55 log10 mol/L; outside the model's domain (Tanimoto 0.33);" in svg
    svg = html.unescape(paracetamol.draw(tmp_path / "p.svg"))
    assert "<desc>chemexplain: -1.66 log10 mol/L; atoms colored" in svg


@pytest.mark.parametrize("name", ["ethanol.png", "ethanol.svg", "ethanol.html"])
def test_a_picture_is_written_whole_or_not_at_all(pair, tmp_path, monkeypatch, name):
    # a full disk at the last moment: before, the half-written picture stayed at its name
    import errno
    import os

    from chemexplain.errors import OutputError

    e = cx.explain("CCO", *pair)

    def full_disk(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OutputError, match=f"cannot write .*{name}: No space left on device"):
        if name.endswith(".html"):
            e.view3d(outfile=tmp_path / name)
        else:
            e.draw(tmp_path / name)
    assert list(tmp_path.iterdir()) == []  # neither the picture nor a temporary file


def test_a_cxsmiles_enhanced_stereo_is_drawn_as_it_says(pair):
    # '&1' is "this centre or its mirror image": RDKit draws "and1" beside the wedge when
    # the molecule carries the group; it was drawn as a plain, absolute wedge before
    from rdkit.Chem import StereoGroupType

    e = cx.explain("C[C@H](O)CC |&1:1|", *pair)
    groups = [
        (g.GetGroupType(), [a.GetIdx() for a in g.GetAtoms()]) for g in e.mol.GetStereoGroups()
    ]
    assert groups == [(StereoGroupType.STEREO_AND, [1])]
    laid_out = cx.explain("CCO |(0,0,;1.5,0,;2.2,1.3,)|", *pair).mol  # the file's 2D layout
    assert laid_out.GetConformer().GetPositions()[2].tolist() == [2.2, 1.3, 0.0]
    assert not cx.explain("C[C@H](O)CC", *pair).mol.GetStereoGroups()
