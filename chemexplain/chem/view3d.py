"""A py3Dmol 3D view of an explanation: a seeded ETKDG conformer with atoms colored by weight.

    view = view3d(e)                  # shows itself in a notebook
    view3d(e, outfile="mol.html")     # standalone HTML page

Colors follow the fixed scale of :mod:`chemexplain.chem.drawing`; hydrogens
added for the conformer are grey. The written page embeds 3Dmol.js (2.5.5,
about 540 KB, BSD-3-Clause, shipped in ``chemexplain/chem/static/`` with its
licence), so it opens offline; ``embed_js=False`` writes py3Dmol's small page
that loads the library from its CDN instead (it then needs a network).
"""

from __future__ import annotations

import os
from importlib import resources

from rdkit import Chem
from rdkit.Chem import AllChem

from chemexplain.chem.drawing import _color, _vmax
from chemexplain.files import write_atomically

__all__ = ["conformer_molblock", "view3d"]


def conformer_molblock(molecule: str | Chem.Mol, random_seed: int = 0xC0FFEE) -> str:
    """MolBlock of one ETKDGv3 conformer (with hydrogens, MMFF-relaxed when possible) of a
    SMILES or an RDKit molecule; a molecule's own 3D coordinates, when it has them, are
    kept instead (hydrogens placed on them).

    Heavy atoms keep the indices of ``Chem.MolFromSmiles(smiles)`` (or the molecule's);
    the hydrogens come after them.
    """
    from chemexplain.chem.parsing import parse_smiles

    given = isinstance(molecule, Chem.Mol)
    if given and molecule.GetNumConformers() and molecule.GetConformer().Is3D():
        return Chem.MolToMolBlock(Chem.AddHs(molecule, addCoords=True))
    mol = Chem.AddHs(Chem.Mol(molecule) if given else parse_smiles(molecule))
    mol.RemoveAllConformers()
    params = AllChem.ETKDGv3()
    params.randomSeed = random_seed
    if AllChem.EmbedMolecule(mol, params) != 0:
        params.useRandomCoords = True
        if AllChem.EmbedMolecule(mol, params) != 0:
            smiles = Chem.MolToSmiles(molecule) if given else molecule
            raise ValueError(f"RDKit could not embed a 3D conformer of {smiles!r}")
    if AllChem.MMFFHasAllMoleculeParams(mol):
        AllChem.MMFFOptimizeMolecule(mol, maxIters=500)
    return Chem.MolToMolBlock(mol)


def _offline_html(page: str) -> str:
    """py3Dmol's page with 3Dmol.js inline, so that it skips the CDN download."""
    library = resources.files("chemexplain.chem").joinpath("static/3Dmol-min.js").read_text()
    inline = (
        f"<script>\n{library}\n</script>\n<script>var $3Dmolpromise = Promise.resolve();</script>\n"
    )
    head, sep, rest = page.partition("<script>")
    if not sep:
        raise RuntimeError("unexpected py3Dmol page layout: no <script> to embed 3Dmol.js before")
    return head + inline + sep + rest


def _hex(rgb) -> str:
    return "#" + "".join(f"{round(255 * c):02x}" for c in rgb)


def view3d(
    e,
    outfile: str | os.PathLike | None = None,
    *,
    size: tuple[int, int] = (480, 360),
    vmax: float | None = None,
    random_seed: int = 0xC0FFEE,
    embed_js: bool = True,
):
    """A ``py3Dmol.view`` of ``e`` (an Explanation); writes HTML to ``outfile`` if given.

    ``embed_js`` (default): the page carries 3Dmol.js and opens offline.
    """
    import py3Dmol

    vmax = _vmax(e, vmax)
    view = py3Dmol.view(width=size[0], height=size[1])
    view.addModel(conformer_molblock(e.mol, random_seed), "mol")
    view.setStyle({}, {"stick": {"radius": 0.15, "color": "#bbbbbb"}})
    for index, weight in enumerate(e.atom_weights):
        color = _hex(_color(e, weight, vmax))
        view.setStyle(
            {"index": index},
            {
                "stick": {"radius": 0.15, "color": "#888888"},
                "sphere": {"scale": 0.35, "color": color},
            },
        )
    if e.signed:
        label = (
            f"{e.prediction:.2f} {e.units}; {e.method} ({e.value_units}): blue ≤-{vmax:g} "
            f"lowers, red ≥+{vmax:g} raises"
        )
    else:
        label = f"{e.prediction:.2f} {e.units}; {e.method} weight, white 0 to red ≥{vmax:g}"
    view.addLabel(label, {"position": {"x": 0, "y": 0, "z": 0}, "useScreen": True, "fontSize": 12})
    view.zoomTo()
    if outfile is not None:
        page = view.write_html()
        write_atomically(outfile, _offline_html(page) if embed_js else page)
    return view
