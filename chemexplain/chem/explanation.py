"""What the model predicts for a molecule and which atoms drive it: the ``Explanation`` object.

    import chemexplain as cx
    e = cx.explain("CCO")                 # the bundled ESOL model and its signed explainer
    e.prediction, e.units                  # 0.93, "log10 mol/L"
    e.top_atoms()                          # [(2, "O", 1.87), (1, "C", 0.81), (0, "C", 0.63)]
    e.draw("ethanol.svg")
    cx.explain(["CCO", "c1ccccc1"]).to_frame()   # one row per input, in order

Atom indices and ``atom_weights`` refer to ``e.mol``: ``Chem.MolFromSmiles(e.smiles)``,
the SMILES that was explained (the input, or its standardized form), or for an RDKit
molecule given in place of a SMILES, that molecule's own atoms (its hydrogens removed;
``e.smiles`` is then RDKit's SMILES of it, or with ``standardize`` of its largest
fragment, neutralized, whose atoms get the values and the counter-ions 0).
With ``method="mask"`` a per-atom weight is the mean of the mask weights of
that atom's characters (a sum would give ``Cl``, ``Br`` and bracket atoms double
or more by construction); mask weights multiply the atom's embedding, so 1
means "passed on unchanged" and 0 "removed". With ``method="integrated_gradients"`` (or another signed
method of ``chemexplain.attribution.METHODS``) each atom's value is its signed
contribution in the target's units (``e.signed``; ``e.reference`` is the
prediction they add up from, ``sum = prediction - reference``, and NaN where no
such reference holds), and ``e.raising()`` /
``e.lowering()`` name the atoms that push the prediction up or down.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from rdkit import Chem

from chemexplain.chem.domain import SIZE_WARNING_START
from chemexplain.chem.notation import STEREO_WARNING
from chemexplain.chem.parsing import drawn_molecule
from chemexplain.chem.standardize import ION_WARNING_START
from chemexplain.errors import InvalidSmilesError

__all__ = ["Explanation", "ExplanationList"]


@dataclass
class Explanation:
    """One molecule's prediction and per-token / per-atom weights.

    ``status`` is ``"ok"`` or ``"error"``; an error row keeps its input and
    says why in ``error``, with NaN prediction and empty weights.
    """

    input: str
    smiles: str | None = None
    canonical_smiles: str | None = None
    prediction: float = float("nan")
    #: the spread (sample std) of an ensemble's members' predictions; NaN for one model
    prediction_std: float = float("nan")
    units: str = ""
    tokens: list[str] = field(default_factory=list)
    token_weights: np.ndarray = field(default_factory=lambda: np.zeros(0))
    atom_symbols: list[str] = field(default_factory=list)
    atom_weights: np.ndarray = field(default_factory=lambda: np.zeros(0))
    method: str = "mask"
    signed: bool = False
    reference: float = float("nan")
    #: the units of ``atom_weights`` and ``reference`` for a signed method: the target's
    #: (``units``) for a regressor; for a classifier, whose ``prediction`` is a probability,
    #: "log-odds of class 1" (they add up to logit(prediction) - reference); "" for the mask
    value_units: str = ""
    status: str = "ok"
    error: str | None = None
    warning: str = ""
    #: the SMILES the model read: ``smiles`` itself, or its stereo-free form, etc.
    model_smiles: str | None = None
    #: largest Tanimoto similarity (Morgan r=2, 2048 bits) to the model's training molecules
    max_similarity: float = float("nan")
    nearest_training_smiles: str = ""
    #: max_similarity reaches the model's calibrated threshold and the molecule has no more
    #: heavy atoms than the largest training molecule (None: the model has no domain)
    in_domain: bool | None = None
    #: the RDKit molecule given in place of a SMILES (hydrogens removed), whose atom order
    #: the values follow; None for a SMILES input
    given_mol: Chem.Mol | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def mol(self) -> Chem.Mol:
        """The RDKit molecule whose atom indices ``atom_weights`` follows."""
        if not self.ok:
            raise InvalidSmilesError(self.input, self.error or "no molecule")
        if self.given_mol is not None:
            return Chem.Mol(self.given_mol)
        return drawn_molecule(self.smiles)  # a CXSMILES' enhanced stereo and coordinates too

    def top_atoms(self, k: int = 3) -> list[tuple[int, str, float]]:
        """The ``k`` strongest atoms as (index, symbol, value): highest weight first, or for
        a signed method the largest ``|value|`` first (see :meth:`raising`, :meth:`lowering`)."""
        weights = self._ranked()
        key = -np.abs(weights) if self.signed else -weights
        return self._atoms(np.argsort(key, kind="stable")[:k])

    def raising(self, k: int = 3) -> list[tuple[int, str, float]]:
        """Signed methods: the ``k`` atoms that raise the prediction most (value > 0)."""
        order = [i for i in np.argsort(-self._ranked(), kind="stable") if self.atom_weights[i] > 0]
        return self._atoms(order[:k])

    def lowering(self, k: int = 3) -> list[tuple[int, str, float]]:
        """Signed methods: the ``k`` atoms that lower the prediction most (value < 0)."""
        order = [i for i in np.argsort(self._ranked(), kind="stable") if self.atom_weights[i] < 0]
        return self._atoms(order[:k])

    def _ranked(self) -> np.ndarray:
        """Weights rounded to 1e-9 for ranking: a near-tie (values that differ by float64
        noise from batch to batch) goes to the lower atom index, whatever the batch."""
        return np.round(np.asarray(self.atom_weights, dtype=np.float64), 9)

    def _atoms(self, order) -> list[tuple[int, str, float]]:
        return [(int(i), self.atom_symbols[i], float(self.atom_weights[i])) for i in order]

    def top_text(self, numbers: Sequence[int] | None = None) -> str:
        """The ``top_atoms`` column: ``+O8 +O2 -C0`` (signed) or ``O8 O2 N3``; ``numbers``
        renumbers the atoms (atom i is written as ``numbers[i]``)."""
        atoms = [(i if numbers is None else numbers[i], s, w) for i, s, w in self.top_atoms()]
        if not self.signed:
            return " ".join(f"{s}{i}" for i, s, _ in atoms)
        return " ".join(f"{'+' if w > 0 else '-'}{s}{i}" for i, s, w in atoms)

    def atoms_text(self, k: int = 3) -> str:
        """The strongest atoms in words: ``raise: O8 (+0.71), ...; lower: C0 (-0.29), ...``
        for a signed method, else ``top atoms: O2 (1.07), ...`` (symbol + RDKit index).
        An atom whose value prints as 0.00 is neither raising nor lowering here. Values in
        other units than the prediction (a classifier's log-odds) name their units."""
        if not self.signed:
            return "top atoms: " + ", ".join(f"{s}{i} ({w:.2f})" for i, s, w in self.top_atoms(k))

        def listed(atoms) -> str:
            shown = [f"{s}{i} ({w:+.2f})" for i, s, w in atoms if round(abs(w), 2) > 0]
            return ", ".join(shown) or "none"

        text = f"raise: {listed(self.raising(k))}; lower: {listed(self.lowering(k))}"
        if self.value_units and self.value_units != self.units:
            text += f" ({self.value_units})"  # beside a probability, +3.24 needs its units
        return text

    def value_text(self, units: bool = True) -> str:
        """The prediction in words: ``-1.662 log10 mol/L``, or for an ensemble
        ``-1.662 ± 0.214 log10 mol/L`` (± ``prediction_std``); ``units=False`` leaves the
        units out."""
        spread = f" ± {self.prediction_std:.3f}" if np.isfinite(self.prediction_std) else ""
        return f"{self.prediction:.3f}{spread} {self.units if units else ''}".rstrip()

    def __repr__(self) -> str:
        """One line: input, prediction, method and strongest atoms (the fields stay readable
        one by one, and ``to_dict()`` gives them all)."""
        if not self.ok:
            return f"Explanation({self.input!r}: error: {self.error})"
        caveats = self.caveats()
        return (
            f"Explanation({self.input!r}: {self.value_text()}, {self.method}; {self.atoms_text()}"
            + (f"; {caveats})" if caveats else ")")
        )

    def caveats(self) -> str:
        """What makes the prediction less sure, short (the drawings and the repr show it):
        outside the model's domain, ions or stereo it never saw; the full text is
        ``warning``."""
        found = []
        if SIZE_WARNING_START in self.warning:
            found.append("outside the model's domain (larger than its training molecules)")
        elif self.in_domain is False:
            found.append(f"outside the model's domain (Tanimoto {self.max_similarity:.2f})")
        if ION_WARNING_START in self.warning:
            found.append("ions the model never saw")
        if STEREO_WARNING in self.warning:
            found.append("stereo ignored")
        return "; ".join(found)

    def to_dict(self) -> dict:
        """One flat row: prediction, units, top atoms and JSON lists of weights."""
        return {
            "input": self.input,
            "smiles": self.smiles,
            "canonical_smiles": self.canonical_smiles,
            "prediction": self.prediction,
            "prediction_std": self.prediction_std,
            "units": self.units,
            "value_units": self.value_units,
            "top_atoms": self.top_text() if self.ok else "",
            "atom_weights": json.dumps([round(float(w), 4) for w in self.atom_weights])
            if self.ok
            else "",
            "method": self.method,
            "reference": self.reference,
            "status": self.status,
            "error": self.error or "",
            "warning": self.warning,
            "max_similarity": self.max_similarity,
            "nearest_training_smiles": self.nearest_training_smiles,
            "in_domain": self.in_domain,
        }

    def to_frame(self) -> pd.DataFrame:
        """Per-atom table: index, symbol, weight."""
        return pd.DataFrame(
            {
                "atom": np.arange(len(self.atom_weights)),
                "symbol": self.atom_symbols,
                "weight": self.atom_weights,
            }
        )

    def draw(self, outfile=None, **options):
        """Draw the molecule with atoms colored by weight (see :func:`chemexplain.draw`)."""
        from chemexplain.chem.drawing import draw_explanation

        return draw_explanation(self, outfile=outfile, **options)

    def view3d(self, **options):
        """A py3Dmol view of a conformer colored by weight (see :func:`chemexplain.view3d`)."""
        from chemexplain.chem.view3d import view3d

        return view3d(self, **options)

    def _repr_html_(self) -> str:
        what = self.value_text(units=True) if self.ok else f"error: {self.error}"
        head = f"<p><code>{html.escape(self.input)}</code>: {html.escape(what)}</p>"
        return head + (_inline(self.draw()) if self.ok else "")


def _inline(svg: str) -> str:
    """SVG text without its XML declaration, to sit inside HTML."""
    return svg.split("?>", 1)[-1] if svg.startswith("<?xml") else svg


#: how many molecules of a list a notebook draws (12 small ones: about 160 KB of SVG)
NOTEBOOK_DRAWN = 12


class ExplanationList(list):
    """A list of :class:`Explanation` with ``to_frame()`` (one row per input, in order);
    a notebook shows the first :data:`NOTEBOOK_DRAWN` as a grid on one scale.

    ``index``: the input DataFrame's index of each row when :func:`chemexplain.explain` was
    given one (``to_frame()`` keeps it, so its columns line up with that frame's rows);
    None otherwise."""

    index: pd.Index | None = None

    def _repr_html_(self) -> str:
        n_ok = sum(e.ok for e in self)
        drawn = min(len(self), NOTEBOOK_DRAWN)
        head = (
            f"<p>{len(self)} explanations: {n_ok} ok, {len(self) - n_ok} with errors"
            + (f"; the first {drawn} drawn" if drawn < len(self) else "")
            + ". <code>.to_frame()</code> gives every row.</p>"
        )
        return head + _inline(ExplanationList(self[:drawn]).draw_grid()) if drawn else head

    def to_frame(self) -> pd.DataFrame:
        index = self.index if self.index is not None and len(self.index) == len(self) else None
        return pd.DataFrame([e.to_dict() for e in self], index=index)

    def draw_grid(self, outfile=None, **options):
        from chemexplain.chem.drawing import draw_grid

        return draw_grid(self, outfile=outfile, **options)
