"""mask.shapley, the torch core on toy models: the players' sums, FastSHAP's values on an
additive model, and the two ways of removing a player (zeroing, deleting)."""

import pytest
import torch

from chemexplain.mask.shapley import AmortizedShapley, closed_up, player_sums
from chemexplain.nn.core import TrainingSchedule


class _Additive(torch.nn.Module):
    """A toy model: output = sum over units of w . embedding (exactly additive)."""

    def __init__(self):
        super().__init__()
        self.config = type("C", (), {"embedding_dim": 4})()
        self.w = torch.nn.Parameter(torch.tensor([1.0, -2.0, 0.5, 0.0]))

    def forward_embedded(self, embedded, lengths):
        return (embedded * self.w).sum((1, 2))


def test_player_sums_adds_units_of_each_player():
    values = torch.tensor([[1.0, 2.0, 3.0, 4.0]])
    players = torch.tensor([[0, -1, 1, 0]])
    assert player_sums(values, players, 2).tolist() == [[5.0, 3.0]]


def test_fastshap_learns_the_exact_shapley_values_of_an_additive_model():
    torch.manual_seed(0)
    embedded = torch.randn(64, 6, 4)
    lengths = torch.full((64,), 6)
    players = torch.tensor([[0, 0, 1, 2, 2, -1]]).repeat(64, 1)
    n_players = torch.full((64,), 3)
    batches = [
        (embedded[i : i + 16], lengths[:16], players[:16], n_players[:16]) for i in (0, 16, 32)
    ]
    val = [(embedded[48:], lengths[:16], players[:16], n_players[:16])]
    schedule = TrainingSchedule(learning_rate=1e-2, max_epochs=60, patience=60, verbose=False)
    explainer = AmortizedShapley(_Additive(), n_coalitions=4, schedule=schedule)
    explainer.fit(lambda: batches, val)
    phi, empty = explainer.attribute(embedded[48:], lengths[:16], players[:16], n_players[:16])
    unit = (embedded[48:] * explainer.model.w).sum(-1)  # each unit's own contribution
    truth = torch.stack([unit[:, 0] + unit[:, 1], unit[:, 2], unit[:, 3] + unit[:, 4]], 1)
    assert torch.allclose(empty, unit[:, 5], atol=1e-5)  # the unowned unit is always kept
    assert float((phi - truth).abs().mean()) < 0.1 * float(truth.abs().mean())


def test_closed_up_moves_the_kept_units_to_the_front_in_order():
    embedded = torch.arange(1.0, 7.0).reshape(1, 6, 1).repeat(2, 1, 1)
    keep = torch.tensor([[1, 0, 1, 1, 0, 0], [0, 0, 0, 0, 0, 0]], dtype=torch.float64)
    moved, lengths = closed_up(embedded, keep)
    assert lengths.tolist() == [3, 0]
    assert moved[..., 0].tolist() == [[1, 3, 4, 0, 0, 0], [0, 0, 0, 0, 0, 0]]


class _Counting(torch.nn.Module):
    """A toy model that sees the length: output = sum of units + 0.5 * length."""

    def __init__(self):
        super().__init__()
        self.config = type("C", (), {"embedding_dim": 1})()

    def forward_embedded(self, embedded, lengths):
        return embedded.sum((1, 2)) + 0.5 * lengths.to(embedded.dtype)


def test_the_delete_game_shortens_the_input_and_its_reference_is_the_empty_input():
    embedded = torch.tensor([[[1.0], [2.0], [4.0], [0.0]]])
    lengths, players = torch.tensor([3]), torch.tensor([[0, 1, 1, -1]])
    keep = torch.tensor([[1.0, 0.0, 0.0, 0.0]])  # player 0 alone
    zero = AmortizedShapley(_Counting(), removal="zero")
    delete = AmortizedShapley(_Counting(), removal="delete")
    assert zero._value(embedded, lengths, keep).item() == 1.0 + 0.5 * 3  # length kept
    assert delete._value(embedded, lengths, keep).item() == 1.0 + 0.5 * 1  # shortened
    _, empty_zero = zero.attribute(embedded, lengths, players, torch.tensor([2]))
    _, empty_delete = delete.attribute(embedded, lengths, players, torch.tensor([2]))
    assert empty_zero.item() == 1.5 and empty_delete.item() == 0.0
    with pytest.raises(ValueError, match="removal"):
        AmortizedShapley(_Counting(), removal="mean")
