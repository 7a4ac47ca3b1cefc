"""The py3Dmol view of an explanation."""

import numpy as np

import chemexplain as cx
from chemexplain.chem.drawing import weight_color


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
