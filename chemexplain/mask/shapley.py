"""An amortized Shapley explainer (FastSHAP, Jethani et al. 2022) over groups of tokens.

Torch only. The players are groups of input units (for SMILES: an atom's
characters with its attached bond, branch and ring characters), given per
batch as ``players`` (B, L) long: the player of each unit, -1 for a unit that
belongs to none (always kept). A coalition S keeps the units of its players
and removes the others; its value is the frozen model's output. Two ways to
remove (``removal=``):

- ``"zero"``: the removed units' embeddings are set to 0 and the input keeps
  its length, ``v(S) = model.forward_embedded(embedded * keep(S), lengths)``.
  The reference v(empty) is the model's output for an all-zero input of the
  molecule's length, which depends on that length (for a GRU, it can swing
  with it: ``scripts/compare_removal_games.py``).
- ``"delete"``: the removed units are taken out and the kept ones close up,
  in order, into a shorter input. v(empty) is the model's output for the
  empty input (length 0), one constant for every input.

The explainer network gives every player a raw value in one forward pass:
either :class:`UnitValueNetwork`, which reads the embedded input and sums
its units' values per player, or :class:`PlayerGraphNetwork`, which reads
per-player features and the players' adjacency (for molecules: atoms and
bonds, the same whatever the spelling). One forward pass of the explainer
then gives every player's contribution, made exactly efficient by FastSHAP's
additive normalization::

    phi_i <- phi_i + (v(all) - v(empty) - sum_j phi_j) / n

so the values add up to ``v(all) - v(empty)``: the model's output minus its
output for the input with every player removed (the reference). Training
minimizes, over coalitions drawn from the Shapley kernel (sizes s with
probability proportional to (n - 1) / (s (n - s)), each with its complement),
``(v(S) - v(empty) - sum_{i in S} phi_i)^2``, whose minimizer is the Shapley
value. No labels are used: only the frozen model.
"""

from __future__ import annotations

import torch
from torch import nn

from chemexplain.errors import NotFittedError
from chemexplain.nn.core import (
    EarlyStopping,
    TrainingSchedule,
    constructor_arguments,
    length_mask,
    module_device,
    store_parameters,
)

__all__ = [
    "AmortizedShapley",
    "PlayerGraphNetwork",
    "REMOVALS",
    "UnitValueNetwork",
    "closed_up",
    "player_sums",
]

#: How a coalition removes the units of its absent players (see the module docstring).
REMOVALS = ("zero", "delete")


class UnitValueNetwork(nn.Module):
    """(B, L, E) embedded sequence + lengths -> (B, L) unbounded values, 0 at padding.

    A two-layer bidirectional GRU reads the whole sequence, so a unit's value
    can depend on its context (a hydroxyl on a long chain is not one on a sugar).
    """

    def __init__(self, embedding_dim: int = 50, hidden: int = 64, n_layers: int = 2):
        super().__init__()
        self.config = constructor_arguments(locals())
        self.gru = nn.GRU(
            embedding_dim, hidden, num_layers=n_layers, batch_first=True, bidirectional=True
        )
        self.head = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.SELU(), nn.Linear(hidden, 1))

    def forward(self, embedded: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = nn.utils.rnn.pack_padded_sequence(
            embedded, lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        out, _ = self.gru(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(
            out, batch_first=True, total_length=embedded.shape[1]
        )
        real = length_mask(lengths.to(embedded.device), embedded.shape[1]).to(embedded.dtype)
        return self.head(out).squeeze(-1) * real


class PlayerGraphNetwork(nn.Module):
    """(B, P, F) player features + (B, P, P) 0/1 adjacency + (B,) player counts -> (B, P) values.

    ``n_layers`` rounds of message passing with residual updates,
    ``h <- h + SELU(W_self h + W_nb mean_neighbours(h))``, then a head that reads each
    player's state beside the mean state of its input (its context). Values are
    0 at padding. Players are matched by the adjacency, never by their order, so
    reordering the players reorders the values and changes nothing else.
    """

    def __init__(self, n_features: int, hidden: int = 128, n_layers: int = 4):
        super().__init__()
        self.config = constructor_arguments(locals())
        self.embed = nn.Linear(n_features, hidden)
        self.own = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(n_layers))
        self.neighbours = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(n_layers))
        self.head = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.SELU(), nn.Linear(hidden, 1))

    def forward(
        self, features: torch.Tensor, adjacency: torch.Tensor, n_players: torch.Tensor
    ) -> torch.Tensor:
        width = features.shape[1]
        valid = torch.arange(width, device=features.device).unsqueeze(0) < n_players.unsqueeze(1)
        valid = valid.to(features.dtype).unsqueeze(-1)
        degree = adjacency.sum(-1, keepdim=True).clamp(min=1)
        h = nn.functional.selu(self.embed(features)) * valid
        for own, neighbours in zip(self.own, self.neighbours):
            h = h + nn.functional.selu(own(h) + neighbours(adjacency @ h / degree)) * valid
        context = h.sum(1) / n_players.clamp(min=1).to(h.dtype).unsqueeze(-1)
        both = torch.cat([h, context.unsqueeze(1).expand_as(h)], -1)
        return self.head(both).squeeze(-1) * valid.squeeze(-1)


def player_sums(unit_values: torch.Tensor, players: torch.Tensor, n_players: int) -> torch.Tensor:
    """(B, L) unit values + (B, L) player index (-1: none) -> (B, n_players) player sums."""
    index = players.clamp(min=0)
    owned = (players >= 0).to(unit_values.dtype)
    out = torch.zeros(
        unit_values.shape[0], n_players, dtype=unit_values.dtype, device=unit_values.device
    )
    return out.scatter_add(1, index, unit_values * owned)


def closed_up(embedded: torch.Tensor, keep: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, L, E) units + (B, L) 0/1 keep -> the kept units moved to the front in their
    order, zeros after them (B, L, E), and their number per row (B,) long."""
    kept = keep > 0
    # a stable sort of (not kept) puts the kept positions first, in order
    order = (~kept).to(torch.int8).argsort(dim=1, stable=True)
    moved = embedded.gather(1, order.unsqueeze(-1).expand_as(embedded))
    lengths = kept.sum(1)
    real = torch.arange(keep.shape[1], device=keep.device).unsqueeze(0) < lengths.unsqueeze(1)
    return moved * real.unsqueeze(-1).to(embedded.dtype), lengths


def _kernel_sizes(n: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """One coalition size per row, from the Shapley kernel over 1..n-1 (rows with n >= 2)."""
    sizes = [1] * len(n)  # drawn on the CPU, then put where ``n`` is
    for row, count in enumerate(n.tolist()):
        if count < 2:
            continue
        s = torch.arange(1, count, dtype=torch.float64)
        weights = (count - 1) / (s * (count - s))
        sizes[row] = int(torch.multinomial(weights, 1, generator=generator)) + 1
    return torch.tensor(sizes, dtype=n.dtype, device=n.device)


class AmortizedShapley:
    """Train and apply a FastSHAP explainer over a frozen model (see the module docstring).

    Parameters
    ----------
    model : the frozen model, with ``embed`` / ``forward_embedded`` (not trained here).
    network : maps (embedded, lengths) to (B, L) unit values (default :class:`UnitValueNetwork`).
    n_coalitions : coalitions drawn per molecule per step (each with its complement).
    removal : ``"zero"`` or ``"delete"``: how a coalition removes its absent players'
        units (see the module docstring); ``"delete"`` needs a model that takes inputs
        of length 0.
    schedule : learning rate, epochs, patience, seed and verbosity of :meth:`fit`
        (default: learning rate 2e-3, 40 epochs, patience 6, seed 0, silent).
    """

    def __init__(
        self,
        model: nn.Module,
        network: nn.Module | None = None,
        *,
        n_coalitions: int = 16,
        removal: str = "zero",
        schedule: TrainingSchedule | None = None,
    ):
        if removal not in REMOVALS:
            raise ValueError(f"removal={removal!r}: use one of {', '.join(REMOVALS)}")
        store_parameters(self, locals(), skip=("network", "schedule"))
        self.schedule = (
            schedule
            if schedule is not None
            else TrainingSchedule(learning_rate=2e-3, verbose=False)
        )
        torch.manual_seed(self.schedule.random_state)
        self.network = (
            network if network is not None else UnitValueNetwork(model.config.embedding_dim)
        ).to(module_device(model))  # batches come on the model's device
        for parameter in self.model.parameters():
            parameter.requires_grad_(False)

    # ----------------------------------------------------------------- values
    def _value(self, embedded, lengths, keep: torch.Tensor) -> torch.Tensor:
        """v(keep), (B,): the model's output with the units where ``keep`` (B, L) is 0
        removed, zeroed or deleted (``removal``); ``keep`` is 0 at padding."""
        with torch.no_grad():
            if self.removal == "zero":
                return self.model.forward_embedded(embedded * keep.unsqueeze(-1), lengths)
            return self.model.forward_embedded(*closed_up(embedded, keep))

    @staticmethod
    def _keep(players: torch.Tensor, chosen: torch.Tensor, dtype) -> torch.Tensor:
        """(B, L) 0/1: units of the chosen players (B, P bool), plus units of no player."""
        index = players.clamp(min=0)
        kept = torch.gather(chosen, 1, index) | (players < 0)
        return kept.to(dtype)

    def _raw(self, embedded, lengths, players, width: int, features) -> torch.Tensor:
        """(B, width) raw player values: from ``features`` (the network's own inputs) when
        given, else from the embedded units summed per player."""
        if features is not None:
            return self.network(*features)[:, :width]
        return player_sums(self.network(embedded, lengths), players, width)

    def attribute(
        self, embedded, lengths, players, n_players, features=None, full=None, empty=None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(player values (B, P) adding up to v(all) - v(empty), reference v(empty) (B,)).

        ``features``: the network's inputs when it does not read ``embedded``
        (e.g. ``(player features, adjacency, n_players)`` for PlayerGraphNetwork).
        ``full`` / ``empty``: v(all) / v(empty) when the caller has them already (the
        model's prediction; a reference cached per input length).
        """
        n = n_players.to(embedded.dtype)
        width = int(n_players.max())
        everything = torch.ones(embedded.shape[0], width, dtype=torch.bool, device=embedded.device)
        real = length_mask(lengths.to(embedded.device), embedded.shape[1]).to(embedded.dtype)
        if full is None:
            full = self._value(embedded, lengths, real)
        if empty is None:
            removed = self._keep(players, ~everything, real.dtype) * real
            empty = self._value(embedded, lengths, removed)
        raw = self._raw(embedded, lengths, players, width, features)
        valid = torch.arange(width, device=embedded.device).unsqueeze(0) < n_players.unsqueeze(1)
        raw = raw * valid.to(raw.dtype)
        gap = (full - empty - raw.sum(1)) / n.clamp(min=1)
        return (raw + gap.unsqueeze(1)) * valid.to(raw.dtype), empty

    # ----------------------------------------------------------------- training
    def _loss(self, batch, generator) -> torch.Tensor:
        embedded, lengths, players, n_players, *features = batch
        values, empty = self.attribute(
            embedded, lengths, players, n_players, features[0] if features else None
        )
        width = values.shape[1]
        device = embedded.device
        real = length_mask(lengths.to(device), embedded.shape[1]).to(embedded.dtype)
        total, count = 0.0, 0
        for _ in range(self.n_coalitions):
            sizes = _kernel_sizes(n_players, generator)
            # drawn on the CPU (the same coalitions on any device)
            scores = torch.rand(embedded.shape[0], width, generator=generator).to(device)
            valid = torch.arange(width, device=device).unsqueeze(0) < n_players.unsqueeze(1)
            scores[~valid] = 2.0  # never chosen
            ranks = scores.argsort(1).argsort(1)
            chosen = ranks < sizes.unsqueeze(1)
            for coalition in (chosen, valid & ~chosen):  # paired: S and its complement
                keep = self._keep(players, coalition, real.dtype) * real
                target = self._value(embedded, lengths, keep) - empty
                predicted = (values * coalition.to(values.dtype)).sum(1)
                usable = (n_players >= 2).to(values.dtype)
                total = total + (((target - predicted) ** 2) * usable).sum()
                count += int(usable.sum())
        return total / max(count, 1)

    def fit(self, train, val) -> list[dict]:
        """Train the network on batches ``(embedded, lengths, players, n_players[, features])``.

        ``train`` is a callable returning an iterable of batches per epoch (so
        that each epoch can draw new SMILES spellings); ``val`` a fixed list.
        Early-stops on the validation loss; returns the history.
        """
        schedule = self.schedule
        generator = torch.Generator().manual_seed(schedule.random_state)
        optimizer = torch.optim.Adam(self.network.parameters(), lr=schedule.learning_rate)
        self.history_, stopping = [], EarlyStopping(self.network, schedule.patience)
        self.model.eval()
        for epoch in range(1, schedule.max_epochs + 1):
            self.network.train()
            losses = []
            for batch in train():
                loss = self._loss(batch, generator)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(float(loss.detach()))
            self.network.eval()
            val_generator = torch.Generator().manual_seed(schedule.random_state + 1)
            with torch.no_grad():
                val_loss = sum(float(self._loss(b, val_generator)) for b in val) / max(len(val), 1)
            self.history_.append(
                {
                    "epoch": epoch,
                    "train_loss": sum(losses) / max(len(losses), 1),
                    "val_loss": val_loss,
                }
            )
            if schedule.verbose:
                print(
                    f"epoch {epoch}: train {self.history_[-1]['train_loss']:.4f} val {val_loss:.4f}"
                )
            if stopping.step(val_loss, epoch):
                break
        stopping.restore()
        self.best_epoch_ = stopping.best_epoch
        self.fitted_ = True
        return self.history_

    def check_fitted(self) -> None:
        if not getattr(self, "fitted_", False):
            raise NotFittedError("this AmortizedShapley is not fitted: call fit() or load it")
