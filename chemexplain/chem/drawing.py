"""RDKit drawings of explanations on one fixed color scale, shared by every molecule.

The scale: an atom's weight ``w`` is drawn with color ``white -> red`` at
``t = clip(w / vmax, 0, 1)``; ``vmax`` defaults to :data:`DEFAULT_VMAX` = 2.0
for every molecule (never rescaled per molecule), so two drawings can be
compared by eye. For a mask, ``w = 1`` means the atom's characters pass into
the model unchanged (half-strength color), ``w = 0`` that they are removed,
and ``w >= 2`` saturates. A bond is colored when both its atoms have
``w >= highlight`` (default ``vmax / 2``). Every picture carries a color bar
naming the scale, and the prediction as its legend.

    svg = draw_explanation(e)                       # SVG text
    draw_explanation(e, "mol.png")                  # PNG file (Cairo)
    draw_grid(explanations, "grid.svg", mols_per_row=4)
    draw_explanation(e, style="contour")            # RDKit SimilarityMaps look
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import numpy as np
from rdkit import Geometry
from rdkit.Chem.Draw import rdMolDraw2D

from chemexplain.files import write_atomically

__all__ = [
    "DEFAULT_SIGNED_VMAX",
    "DEFAULT_VMAX",
    "draw_explanation",
    "draw_grid",
    "signed_color",
    "weight_color",
]

DEFAULT_VMAX = 2.0
#: Signed methods: contributions in the target's units drawn on [-1, +1] (log10 mol/L for ESOL).
DEFAULT_SIGNED_VMAX = 1.0
_LOW = np.array([1.0, 1.0, 1.0])
_HIGH = np.array([0.84, 0.15, 0.12])
_NEGATIVE = np.array([0.13, 0.40, 0.75])
_BAR_HEIGHT = 46


def weight_color(weight: float, vmax: float = DEFAULT_VMAX) -> tuple[float, float, float]:
    """RGB in [0, 1] of ``weight`` on the fixed white-to-red scale ``[0, vmax]``."""
    t = float(np.clip(weight / vmax, 0.0, 1.0)) if np.isfinite(weight) else 0.0
    return tuple(float(c) for c in _LOW * (1 - t) + _HIGH * t)


def signed_color(value: float, vmax: float = DEFAULT_SIGNED_VMAX) -> tuple[float, float, float]:
    """RGB of a signed ``value`` on the fixed diverging scale: blue -vmax, white 0, red +vmax."""
    t = float(np.clip(value / vmax, -1.0, 1.0)) if np.isfinite(value) else 0.0
    end = _HIGH if t >= 0 else _NEGATIVE
    return tuple(float(c) for c in _LOW * (1 - abs(t)) + end * abs(t))


def _vmax(e, vmax: float | None) -> float:
    return vmax if vmax is not None else DEFAULT_SIGNED_VMAX if e.signed else DEFAULT_VMAX


def _color(e, value: float, vmax: float):
    return signed_color(value, vmax) if e.signed else weight_color(value, vmax)


def _format(outfile, format: str | None) -> str:
    if format is None:
        format = Path(outfile).suffix.lstrip(".").lower() if outfile else "svg"
    if format not in ("svg", "png"):
        raise ValueError(f"unknown picture format {format!r}; use 'svg' or 'png'")
    return format


def _drawer(format: str, width: int, height: int, panel_w: int, panel_h: int):
    if format == "png":
        return rdMolDraw2D.MolDraw2DCairo(width, height, panel_w, panel_h)
    return rdMolDraw2D.MolDraw2DSVG(width, height, panel_w, panel_h)


def _flat(mol):
    """``mol`` without 3D coordinates (a molecule given with its own pose), so that RDKit
    draws it from 2D coordinates rather than the pose seen from one side."""
    if mol.GetNumConformers() and mol.GetConformer().Is3D():
        mol.RemoveAllConformers()
    return mol


def _highlights(e, vmax: float, highlight: float):
    mol = _flat(e.mol)
    weights = np.asarray(e.atom_weights, dtype=float)
    atoms = list(range(mol.GetNumAtoms()))
    atom_colors = {i: _color(e, weights[i], vmax) for i in atoms}
    bonds, bond_colors = [], {}
    for bond in mol.GetBonds():
        a, b = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
        if e.signed:  # both atoms strong and of one sign: the weaker one's color
            strong = min(abs(weights[a]), abs(weights[b])) >= highlight
            if strong and np.sign(weights[a]) == np.sign(weights[b]):
                bonds.append(bond.GetIdx())
                weaker = weights[a] if abs(weights[a]) < abs(weights[b]) else weights[b]
                bond_colors[bond.GetIdx()] = signed_color(weaker, vmax)
        elif weights[a] >= highlight and weights[b] >= highlight:
            bonds.append(bond.GetIdx())
            bond_colors[bond.GetIdx()] = weight_color(min(weights[a], weights[b]), vmax)
    return mol, atoms, atom_colors, bonds, bond_colors


def _legend(e, label: str | None = None) -> str:
    """The prediction (or the error), under ``label`` when one is given, over the caveats
    a chemist must see with it (``Explanation.caveats``)."""
    text = f"error: {e.error}" if not e.ok else f"{e.prediction:.2f} {e.units}".strip()
    caveats = e.caveats() if e.ok else ""
    if caveats:
        text += "\n" + caveats
    return text if label is None else f"{label}\n{text}"


def _short(text: str, limit: int = 36) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _description(e, vmax: float, n: int = 1) -> str:
    what = _legend(e).replace("\n", "; ") if n == 1 else f"{n} molecules"
    if e.signed:
        return (
            f"chemexplain: {what}; atoms colored by their {e.method} contribution on a fixed "
            f"scale, blue = -{vmax:g} {e.value_units} or less (lowers), white = 0, red = +{vmax:g} or "
            "more (raises)"
        )
    return (
        f"chemexplain: {what}; atoms colored by {e.method} weight on a fixed scale, "
        f"white = 0 to red = {vmax:g} or more"
    )


def _bar_label(e) -> str:
    if e.signed:
        return f"{e.method}: contribution to the prediction, {e.value_units or 'target units'}"
    return f"{e.method} weight per atom (fixed scale)"


def _color_bar(drawer, width: int, top: int, vmax: float, label: str, signed: bool = False) -> None:
    """A horizontal color bar with its scale (white-to-red, or blue-white-red when signed)."""
    left, right, steps = 20, width - 20, 40
    span = (right - left) / steps
    low = -vmax if signed else 0.0
    drawer.SetFillPolys(True)
    for i in range(steps):
        value = low + (i + 0.5) / steps * (vmax - low)
        drawer.SetColour(signed_color(value, vmax) if signed else weight_color(value, vmax))
        drawer.DrawRect(
            Geometry.Point2D(left + i * span, top + 4),
            Geometry.Point2D(left + (i + 1) * span + 0.5, top + 16),
            True,
        )
    drawer.SetFillPolys(False)
    drawer.SetColour((0.3, 0.3, 0.3))
    drawer.DrawRect(Geometry.Point2D(left, top + 4), Geometry.Point2D(right, top + 16), True)
    drawer.SetColour((0.0, 0.0, 0.0))
    drawer.SetFontSize(12)
    if signed:
        drawer.DrawString(f"-{vmax:g} (lowers)", Geometry.Point2D(left, top + 28), 1, True)
        drawer.DrawString("0", Geometry.Point2D((left + right) / 2, top + 28), 0, True)
        drawer.DrawString(f"(raises) +{vmax:g}", Geometry.Point2D(right, top + 28), 2, True)
    else:
        drawer.DrawString("0", Geometry.Point2D(left, top + 28), 1, True)
        drawer.DrawString(f"{vmax / 2:g}", Geometry.Point2D((left + right) / 2, top + 28), 0, True)
        drawer.DrawString(f"≥{vmax:g}", Geometry.Point2D(right, top + 28), 2, True)
    drawer.DrawString(label, Geometry.Point2D((left + right) / 2, top + 40), 0, True)


def _finish(drawer, format: str, outfile, description: str = ""):
    drawer.FinishDrawing()
    picture = drawer.GetDrawingText()
    if format == "svg" and description:  # RDKit writes text as paths; say it in words too
        head, sep, rest = picture.partition("<svg")
        tag, close, body = rest.partition(">")
        picture = f"{head}{sep}{tag}{close}\n<desc>{html.escape(description)}</desc>{body}"
    if outfile is not None:
        write_atomically(outfile, picture)
    return picture


def draw_explanation(
    e,
    outfile: str | os.PathLike | None = None,
    *,
    format: str | None = None,
    size: tuple[int, int] = (420, 320),
    vmax: float | None = None,
    highlight: float | None = None,
    style: str = "atoms",
    colorbar: bool = True,
) -> str | bytes:
    """Draw one :class:`~chemexplain.chem.explanation.Explanation`.

    Returns the SVG text (``format="svg"``, the default) or the PNG bytes, and
    writes them to ``outfile`` when given (its suffix picks the format).
    ``style="contour"`` draws RDKit's SimilarityMaps Gaussians on the same scale.
    ``vmax``: the end of the fixed scale (default 2.0 for a mask's weights,
    1.0 target unit for a signed method's contributions, drawn blue-white-red).
    """
    format = _format(outfile, format)
    vmax = _vmax(e, vmax)
    width, height = size
    total = height + (_BAR_HEIGHT if colorbar else 0)
    drawer = _drawer(format, width, total, width, height)
    options = drawer.drawOptions()
    options.legendFontSize = 16
    highlight = vmax / 2 if highlight is None else highlight
    if style == "contour":
        from rdkit.Chem.Draw import SimilarityMaps

        mol = _flat(e.mol)
        white = tuple(float(c) for c in _LOW)
        SimilarityMaps.GetSimilarityMapFromWeights(
            mol,
            [float(w) for w in e.atom_weights],
            draw2d=drawer,
            colorMap=[
                tuple(float(c) for c in _NEGATIVE) if e.signed else white,
                white,
                tuple(float(c) for c in _HIGH),
            ],
            scale=vmax,
            contourLines=0,
        )
        drawer.SetColour((0.0, 0.0, 0.0))
        drawer.SetFontSize(16)
        for line, text in enumerate(reversed(_legend(e).split("\n"))):
            drawer.DrawString(text, Geometry.Point2D(width / 2, height - 12 - 18 * line), 0, True)
    elif style == "atoms":
        mol, atoms, atom_colors, bonds, bond_colors = _highlights(e, vmax, highlight)
        drawer.DrawMolecule(
            mol,
            highlightAtoms=atoms,
            highlightAtomColors=atom_colors,
            highlightBonds=bonds,
            highlightBondColors=bond_colors,
            legend=_legend(e),
        )
    else:
        raise ValueError(f"unknown style {style!r}; use 'atoms' or 'contour'")
    if colorbar:
        _color_bar(drawer, width, height, vmax, _bar_label(e), e.signed)
    return _finish(drawer, format, outfile, _description(e, vmax))


def draw_grid(
    explanations,
    outfile: str | os.PathLike | None = None,
    *,
    format: str | None = None,
    mols_per_row: int = 4,
    sub_size: tuple[int, int] = (300, 240),
    vmax: float | None = None,
    highlight: float | None = None,
    labels=None,
) -> str | bytes:
    """Many explanations in one picture, all on the same fixed scale, with one color bar.

    Each panel is labelled with ``labels[i]`` (ids, say; default: the input
    SMILES, shortened to 36 characters) above its prediction. Error rows are
    drawn as empty panels whose legend says why. About 160 KB of SVG for 12
    small molecules.
    """
    from rdkit import Chem

    format = _format(outfile, format)
    explanations = list(explanations)
    if not explanations:
        raise ValueError("draw_grid needs at least one explanation")
    labels = [e.input for e in explanations] if labels is None else list(labels)
    first = next((e for e in explanations if e.ok), explanations[0])
    vmax = _vmax(first, vmax)
    highlight = vmax / 2 if highlight is None else highlight
    if len(labels) != len(explanations):
        raise ValueError(f"{len(labels)} labels for {len(explanations)} explanations")
    rows = -(-len(explanations) // mols_per_row)
    cols = min(mols_per_row, len(explanations))
    width, height = cols * sub_size[0], rows * sub_size[1]
    drawer = _drawer(format, width, height + _BAR_HEIGHT, *sub_size)
    drawer.drawOptions().legendFontSize = 14
    drawer.drawOptions().legendFraction = 0.2
    mols, atoms, atom_colors, bonds, bond_colors = [], [], [], [], []
    for e in explanations:
        if e.ok:
            mol, a, ac, b, bc = _highlights(e, vmax, highlight)
        else:
            mol, a, ac, b, bc = Chem.Mol(), [], {}, [], {}
        mols.append(mol)
        atoms.append(a)
        atom_colors.append(ac)
        bonds.append(b)
        bond_colors.append(bc)
    drawer.DrawMolecules(
        mols,
        highlightAtoms=atoms,
        highlightAtomColors=atom_colors,
        highlightBonds=bonds,
        highlightBondColors=bond_colors,
        legends=[_legend(e, _short(str(label))) for e, label in zip(explanations, labels)],
    )
    drawer.SetColour((0.0, 0.0, 0.0))
    drawer.SetFontSize(13)
    for i, (e, label) in enumerate(zip(explanations, labels)):
        if not e.ok:  # RDKit draws no legend under an empty molecule: say why in the panel
            x, y = (i % cols + 0.5) * sub_size[0], (i // cols + 0.5) * sub_size[1]
            drawer.DrawString(_short(str(label)), Geometry.Point2D(x, y - 10), 0, True)
            drawer.DrawString(_short(f"error: {e.error}", 44), Geometry.Point2D(x, y + 10), 0, True)
    _color_bar(drawer, min(width, 520), height, vmax, _bar_label(first), first.signed)
    panels = "; ".join(
        _legend(e, str(label)).replace("\n", ": ") for e, label in zip(explanations, labels)
    )
    description = f"{_description(first, vmax, len(explanations))}. Panels: {panels}"
    return _finish(drawer, format, outfile, description)
