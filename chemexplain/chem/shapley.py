"""Signed per-atom contributions in one forward pass: the SMILES adapter of AmortizedShapley.

    explainer = SmilesShapley(model).fit(train_smiles)        # no labels: the frozen model only
    values, reference = explainer.atom_values(["CC(=O)Nc1ccc(O)cc1"])
    values[0].sum() == prediction - reference[0]             # log10 mol/L, exactly

The players are atoms: an atom's characters together with its attached bond,
branch and ring characters (``rule="attached"`` of
:mod:`chemexplain.chem.atom_attribution`) are removed and kept together.
Training draws a new random spelling of every molecule each epoch, so that an
atom's contribution does not depend on how the molecule is written. The
explainer network (``network=``) is either ``"graph"`` (default): a
message-passing network over the atoms' features and bonds
(:mod:`chemexplain.chem.graph_features`), which sees the same input whatever
the spelling, so that it learns each atom's contribution averaged over
spellings; or ``"sequence"``: a bidirectional GRU over the SMILES characters
(the first version, kept for comparison: its values follow the spelling). The
reference is the model's prediction for the molecule with every atom removed, in
the target's units. How an atom is removed (``removal=``): ``"delete"`` (default)
takes its characters out, so the reference is the model's output for the empty
SMILES, the same for every molecule; ``"zero"`` sets its characters' embeddings
to 0 and keeps the SMILES' length, so the reference is the output for an
all-zero input of that length, and moves with it (the bundled model's swings by
3 log units over ESOL; measured side by side in ``scripts/compare_removal_games.py``
and ``benchmark_shapley.py --compare-removals``).

Atoms that are one atom in another resonance form (a nitro group's two oxygens:
RDKit charges whichever it writes second, so ``[N+](=O)[O-]`` and
``[N+]([O-])=O`` are two spellings of one molecule) share their mean value
(:func:`~chemexplain.chem.graph_features.resonance_classes`): their sum, and so
the efficiency, is kept, and the picture no longer depends on the spelling.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import torch

from chemexplain.chem.atom_attribution import owner_atoms
from chemexplain.chem.explainer_files import SavedExplainer
from chemexplain.chem.graph_features import (
    N_ATOM_FEATURES,
    adjacency,
    atom_features,
    resonance_classes,
)
from chemexplain.chem.parsing import parse_smiles, randomize_smiles, strip_cxsmiles
from chemexplain.chem.tokenizer import tokenize
from chemexplain.data.splits import holdout
from chemexplain.mask.shapley import (
    REMOVALS,
    AmortizedShapley,
    PlayerGraphNetwork,
    UnitValueNetwork,
)
from chemexplain.nn.core import (
    FIXED_BATCH_ROWS,
    TrainingSchedule,
    fixed_shape_groups,
    full_float32,
    length_batches,
    module_device,
    store_parameters,
)

__all__ = ["SHAPLEY_FORMAT", "SmilesShapley"]

SHAPLEY_FORMAT = "chemexplain-smiles-shapley"
NETWORKS = ("graph", "sequence")
_BATCH = 32
_ATOM_BUCKET = 8  # the graph network's batches: atoms rounded up to a multiple
_EMPTY_GROUP = 8  # v(empty) of the all-zero inputs is computed for 8 lengths at once


class SmilesShapley(SavedExplainer):
    """FastSHAP over a fitted SMILES model; ``fit`` returns self (scikit-learn style)."""

    def __init__(
        self,
        model,
        *,
        network: str = "graph",
        hidden: int = 64,
        n_layers: int = 2,
        n_coalitions: int = 16,
        removal: str = "delete",
        learning_rate: float = 2e-3,
        max_epochs: int = 40,
        patience: int = 6,
        random_state: int = 0,
        verbose: bool = True,
    ):
        if network not in NETWORKS:
            raise ValueError(f"network={network!r}: use one of {', '.join(NETWORKS)}")
        if removal not in REMOVALS:
            raise ValueError(f"removal={removal!r}: use one of {', '.join(REMOVALS)}")
        store_parameters(self, locals())

    def _build_core(self) -> AmortizedShapley:
        torch.manual_seed(self.random_state)
        if self.network == "graph":
            network = PlayerGraphNetwork(N_ATOM_FEATURES, self.hidden, self.n_layers)
        else:
            network = UnitValueNetwork(
                self.model.module_.config.embedding_dim, self.hidden, self.n_layers
            )
        return AmortizedShapley(
            copy.deepcopy(self.model.module_).float().eval(),
            network,
            n_coalitions=self.n_coalitions,
            removal=self.removal,
            schedule=TrainingSchedule.of(self),
        )

    # ------------------------------------------------------------------ batches
    def _players(self, smiles: str, parsed=None) -> tuple[list[int], int, object]:
        """(player of each token, number of atoms, molecule); ``parsed``: (molecule,
        tokens) of ``smiles`` when the caller has them."""
        if parsed is None:
            mol = parse_smiles(smiles)
            tokens = tokenize(smiles, self.model.params_["scheme"], mol=mol)
        else:
            mol, tokens = parsed
        owners = owner_atoms(tokens, "attached")
        return [-1 if o is None else o for o in owners], mol.GetNumAtoms(), mol

    def _graph(self, mols: list, n_players: torch.Tensor, dtype, width: int | None = None) -> tuple:
        """(features (B, P, F), adjacency (B, P, P), n_players) of a batch, zero-padded
        to ``P = width`` (default: the most atoms) and to ``B = len(n_players)`` rows."""
        width = int(n_players.max()) if width is None else width
        features = torch.zeros(len(n_players), width, N_ATOM_FEATURES, dtype=dtype)
        bonds = torch.zeros(len(n_players), width, width, dtype=dtype)
        for i, mol in enumerate(mols):
            n = mol.GetNumAtoms()
            features[i, :n] = torch.from_numpy(atom_features(mol)).to(dtype)
            bonds[i, :n, :n] = torch.from_numpy(adjacency(mol)).to(dtype)
        return features, bonds, n_players

    def _batches(
        self, smiles: Sequence[str], module, dtype=torch.float32, mapped=None, features=True
    ) -> list:
        """[(embedded, lengths, players, n_players, features, rows)] in length order
        (``features`` None for the sequence network or when not asked for; ``mapped``:
        :meth:`_players` of each SMILES when the caller has them)."""
        ids, _ = self.model.encode(smiles)
        if mapped is None:
            mapped = [self._players(s) for s in smiles]
        device = module_device(module)  # everything but the lengths goes where the model is
        out = []
        for rows, token_ids, lengths in length_batches(ids, _BATCH):
            players = torch.full(token_ids.shape, -1, dtype=torch.long)
            for i, r in enumerate(rows):
                players[i, : len(mapped[r][0])] = torch.tensor(mapped[r][0])
            n_players = torch.tensor([mapped[r][1] for r in rows])
            with torch.no_grad():
                embedded = module.embed(token_ids.to(device)).to(dtype)
            graph = None
            if self.network == "graph" and features:
                graph = self._graph([mapped[r][2] for r in rows], n_players, dtype)
                graph = tuple(t.to(device) for t in graph)
            players, n_players = players.to(device), n_players.to(device)
            out.append((embedded, lengths, players, n_players, graph, rows))
        return out

    # ------------------------------------------------------------------ fit
    def fit(self, smiles: Sequence[str], val_smiles: Sequence[str] | None = None) -> SmilesShapley:
        """Train on ``smiles`` (a new random spelling of each per epoch); early-stop on
        ``val_smiles`` (default: a seeded 10% of ``smiles``); a CXSMILES is read as its
        SMILES. Returns self."""
        smiles = strip_cxsmiles(smiles)
        rng = np.random.default_rng(self.random_state)
        if val_smiles is None:
            train, val = holdout(len(smiles), rng)
            val_smiles, smiles = [smiles[i] for i in val], [smiles[i] for i in train]
        val_smiles = strip_cxsmiles(val_smiles)
        core = self._build_core()
        module = core.model

        def train():
            spelled = [randomize_smiles(s, 1, rng)[0] for s in smiles]
            batches = self._batches(spelled, module)
            return [self._trim(batches[i]) for i in rng.permutation(len(batches))]

        val = [self._trim(b) for b in self._batches(list(val_smiles), module)]
        core.fit(train, val)
        self.explainer_, self.history_ = core, core.history_
        self._inference = None
        return self

    @staticmethod
    def _trim(batch: tuple) -> tuple:
        """A training batch: the model's inputs, players and (when there are) features."""
        embedded, lengths, players, n_players, features, _ = batch
        return (embedded, lengths, players, n_players) + (() if features is None else (features,))

    # ------------------------------------------------------------------ use
    def _inference_core(self) -> AmortizedShapley:
        """A float64 copy (a molecule's values never depend on its batch), made once; the
        graph network stays float32 (:meth:`_graph_values` runs it on fixed shapes)."""
        if not hasattr(self, "explainer_"):
            from chemexplain.errors import NotFittedError

            raise NotFittedError("this SmilesShapley is not fitted: call fit() or load() first")
        if getattr(self, "_inference", None) is None:
            copied = copy.deepcopy(self.explainer_)
            copied.model.double()
            if self.network != "graph":
                copied.network.double()
            self._inference = copied
        return self._inference

    def _empty(self, core, embedded, lengths, players) -> torch.Tensor:
        """v(empty) per row: the model's output with every atom removed. When every
        character belongs to an atom, that input depends on its length only (all
        zeros, looked up in :meth:`_empty_of_lengths`) or, with ``removal="delete"``,
        on nothing (the empty SMILES, computed once). Otherwise it is computed alone
        (batch-independent)."""
        out = torch.empty(len(lengths), dtype=embedded.dtype, device=embedded.device)
        for i, length in enumerate(lengths.tolist()):
            if bool((players[i, :length] >= 0).all()):
                out[i] = self._looked_up_empty(core, length, embedded)
                continue
            keep = (players[i : i + 1, :length] < 0).to(embedded.dtype)
            out[i] = core._value(embedded[i : i + 1, :length], lengths[i : i + 1], keep)[0]
        return out

    def _looked_up_empty(self, core, length: int, like: torch.Tensor) -> torch.Tensor:
        """v(empty) of a SMILES of ``length`` characters that all belong to atoms: the
        all-zero input of that length, or with ``removal="delete"`` the empty SMILES (one
        value); cached per length (``like``: see :meth:`_empty_of_lengths`)."""
        cache = self.__dict__.setdefault("_empty_by_length", {})
        key = 0 if core.removal == "delete" else length  # 0: the empty SMILES
        if key not in cache:
            cache.update(self._empty_of_lengths(core, key, like))
        return cache[key]

    @staticmethod
    def _empty_of_lengths(core, length: int, like: torch.Tensor) -> dict[int, torch.Tensor]:
        """``{L: v(all-zero input of length L)}`` for the 8 lengths of ``length``'s group
        (1-8, 9-16, ...), in one batch whose shape depends on the group alone, so a
        molecule's reference never depends on what else is explained (``like``: a tensor
        of the embedded inputs' dtype, device and width). Length 0: ``{0: v(empty input)}``."""
        if length == 0:
            nothing = like.new_zeros(1, 1, like.shape[-1])
            return {0: core._value(nothing, torch.zeros(1, dtype=torch.long), nothing[..., 0])[0]}
        first = (length - 1) // _EMPTY_GROUP * _EMPTY_GROUP + 1
        group = torch.arange(first, first + _EMPTY_GROUP)
        width = first + _EMPTY_GROUP - 1
        zeros = like.new_zeros(_EMPTY_GROUP, width, like.shape[-1])
        values = core._value(zeros, group, like.new_zeros(_EMPTY_GROUP, width))
        return dict(zip(group.tolist(), values))

    def atom_values(
        self, smiles: Sequence[str], outputs: np.ndarray | None = None, parsed=None
    ) -> tuple[list[np.ndarray], np.ndarray]:
        """Signed contribution of every atom (RDKit order of each SMILES, target units) and the
        reference each molecule's contributions add up from: ``sum = prediction - reference``.

        ``outputs``: the model's raw outputs for ``smiles`` as written (float64, the
        scale it was trained on) when the caller has them, to skip computing them again;
        ``parsed``: (RDKit molecule, tokens) of each SMILES, as
        :func:`~chemexplain.chem.tokenizer.tokenize` gives them with the model's
        scheme, to skip parsing and tokenizing again.
        """
        smiles = list(smiles)
        core = self._inference_core()
        if outputs is None:  # v(all) is the model's prediction, computed as predict() does
            outputs = self.model._raw_outputs(smiles)
        scale = float(getattr(self.model, "target_std_", 1.0))
        parsed = [None] * len(smiles) if parsed is None else parsed
        mapped = [self._players(s, p) for s, p in zip(smiles, parsed)]
        if self.network == "graph":
            return self._graph_values(mapped, smiles, outputs, core, scale)
        values: list = [None] * len(smiles)
        reference = np.zeros(len(smiles))
        with torch.no_grad():
            for embedded, lengths, players, n_players, features, rows in self._batches(
                smiles, core.model, torch.float64, mapped
            ):
                full = torch.as_tensor(outputs[rows], dtype=torch.float64, device=embedded.device)
                empty = self._empty(core, embedded, lengths, players)
                phi, empty = core.attribute(
                    embedded, lengths, players, n_players, features, full=full, empty=empty
                )
                empty_units = self.model.inverse_transform_target(empty.cpu().numpy())
                for i, r in enumerate(rows):
                    values[r] = phi[i, : int(n_players[i])].cpu().numpy() * scale
                    reference[r] = empty_units[i]
        return [_resonance_averaged(v, m[2]) for v, m in zip(values, mapped)], reference

    def _graph_values(self, mapped, smiles, outputs, core, scale):
        """:meth:`atom_values` of the graph network. The reference v(empty) comes from the
        float64 model (per molecule); the network's raw values run in float32 on batches of a
        fixed shape (:func:`~chemexplain.nn.core.fixed_shape_groups`: 32 molecules, atoms
        rounded up to 8), so a molecule gets the same bits alone or in any batch; FastSHAP's
        additive step (values add up to v(all) - v(empty)) is then done per molecule."""
        empty = self._references(core, smiles, mapped)
        with torch.no_grad():
            network = self.explainer_.network.eval()
            device = module_device(network)
            raw: list = [None] * len(smiles)
            sizes = [m[1] for m in mapped]
            for rows, width in fixed_shape_groups(sizes, FIXED_BATCH_ROWS, _ATOM_BUCKET):
                n_players = torch.zeros(FIXED_BATCH_ROWS, dtype=torch.long)
                n_players[: len(rows)] = torch.tensor([sizes[r] for r in rows])
                graph = self._graph([mapped[r][2] for r in rows], n_players, torch.float32, width)
                with full_float32(device):
                    out = network(*(t.to(device) for t in graph)).double().cpu().numpy()
                for i, r in enumerate(rows):
                    raw[r] = out[i, : sizes[r]]
        values = []
        for r, phi in enumerate(raw):
            gap = (outputs[r] - empty[r] - phi.sum()) / max(len(phi), 1)
            values.append(_resonance_averaged((phi + gap) * scale, mapped[r][2]))
        return values, self.model.inverse_transform_target(empty)

    def _references(self, core, smiles: Sequence[str], mapped) -> np.ndarray:
        """v(empty) of each molecule, (n,) float64 on the model's raw scale. Where every
        character belongs to an atom (``rule="attached"`` leaves none out) it depends on
        the SMILES' length alone, or with ``removal="delete"`` on nothing: looked up
        (:meth:`_looked_up_empty`) without embedding the molecule; else computed by
        :meth:`_empty`."""
        empty = np.zeros(len(smiles))
        model = core.model
        like = torch.zeros(1, 1, model.config.embedding_dim, dtype=torch.float64)
        like = like.to(module_device(model))
        others = []
        for r, (players, _, _) in enumerate(mapped):
            if not players or min(players) < 0:
                others.append(r)
                continue
            empty[r] = float(self._looked_up_empty(core, len(players), like))
        if others:
            batches = self._batches(
                [smiles[r] for r in others],
                model,
                torch.float64,
                [mapped[r] for r in others],
                features=False,
            )
            with torch.no_grad():
                for embedded, lengths, players, _, _, rows in batches:
                    found = self._empty(core, embedded, lengths, players).cpu().numpy()
                    empty[[others[i] for i in rows]] = found
        return empty

    # ------------------------------------------------------------------ files
    _FORMAT = SHAPLEY_FORMAT
    _SAVED = (
        "network",
        "hidden",
        "n_layers",
        "n_coalitions",
        "removal",
        "learning_rate",
        "max_epochs",
        "patience",
        "random_state",
    )
    _BOUNDS = {"hidden": (1, 4096), "n_layers": (1, 16)}

    @staticmethod
    def _params_from_file(params: dict) -> dict:
        # the first files had no network, and those before "delete" no removal
        return {"network": "sequence", "removal": "zero", **params}

    def _after_load(self) -> None:
        self._inference = None


def _resonance_averaged(values: np.ndarray, mol) -> np.ndarray:
    """``values`` (n_atoms,) with each resonance class's atoms given their mean (same sum)."""
    classes = resonance_classes(mol)
    if classes is None:
        return values
    sums = np.bincount(classes, weights=values)
    return sums[classes] / np.bincount(classes)[classes]
