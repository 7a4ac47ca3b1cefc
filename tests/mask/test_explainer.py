"""mask.explainer and mask.networks, the torch core on a toy model: the paper's penalties,
a mask that learns which units the model reads, padding that stays zero."""

import pytest
import torch

from chemexplain.errors import NotFittedError
from chemexplain.mask import MaskExplainer, ResidualConvMask
from chemexplain.nn.core import TrainingSchedule


class _ReadsOnes(torch.nn.Module):
    """A toy model over tokens 0 (padding), 1 and 2: output = sum of the first embedding
    coordinate, which is 1 for token 1 and 0 for token 2; token 2 never matters."""

    def __init__(self):
        super().__init__()
        table = torch.tensor([[0.0, 0.0], [1.0, 0.5], [0.0, -0.5]])
        self.embedding = torch.nn.Embedding.from_pretrained(table, freeze=False)

    def embed(self, inputs):
        return self.embedding(inputs)

    def forward_embedded(self, embedded, lengths):
        return embedded[..., 0].sum(1)


class _Ones(torch.nn.Module):
    """A mask network that keeps everything: weight 1 on every unit."""

    def forward(self, embedded, lengths):
        return torch.ones(embedded.shape[:2], dtype=embedded.dtype)


def _batches(n_batches, seed):
    generator = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n_batches):
        inputs = torch.randint(1, 3, (16, 6), generator=generator)
        lengths = torch.randint(3, 7, (16,), generator=generator)
        inputs[torch.arange(6) >= lengths[:, None]] = 0
        out.append((inputs, lengths, None))
    return out


def test_penalties_are_sums_over_units_averaged_over_the_batch():
    inputs = torch.tensor([[1, 2, 1, 0], [2, 2, 0, 0]])
    lengths = torch.tensor([3, 2])
    explainer = MaskExplainer(_ReadsOnes(), _Ones(), target="model")
    losses = explainer._losses((inputs, lengths, None))
    assert losses["l1"].item() == pytest.approx((3 + 2) / 2)  # padding is not counted
    assert losses["l2"].item() == pytest.approx((3 + 2) / 2)
    assert losses["task"].item() == pytest.approx(0.0)  # a full mask changes nothing


def test_the_mask_keeps_the_units_the_model_reads_and_drops_the_others():
    model = _ReadsOnes()
    torch.manual_seed(0)
    network = ResidualConvMask(embedding_dim=2, channels=8, n_layers=2)
    schedule = TrainingSchedule(learning_rate=1e-2, max_epochs=40, patience=40, verbose=False)
    explainer = MaskExplainer(model, network, l1=0.2, l2=0.0, target="model", schedule=schedule)
    before = model.embedding.weight.clone()
    explainer.fit(_batches(8, 0), _batches(2, 1))
    assert torch.equal(model.embedding.weight, before)  # the frozen model never moves
    inputs, lengths, _ = _batches(1, 2)[0]
    weights = explainer.explain(inputs, lengths)
    real = torch.arange(6) < lengths[:, None]
    read, ignored = weights[real & (inputs == 1)], weights[real & (inputs == 2)]
    # untrained: 1.17 and 0.83; the model needs every token 1 whole to reproduce its output
    assert read.mean() > 0.85 and ignored.mean() < 0.35
    assert torch.all(weights[~real] == 0)


def test_a_sequence_gets_the_same_mask_whatever_its_batch_padding():
    torch.manual_seed(0)
    network = ResidualConvMask(embedding_dim=2, channels=8, n_layers=2).eval()
    explainer = MaskExplainer(_ReadsOnes(), network, target="model")
    explainer.fitted_ = True
    alone = explainer.explain(torch.tensor([[1, 2, 1]]), torch.tensor([3]))
    padded = explainer.explain(
        torch.tensor([[1, 2, 1, 0, 0, 0], [2, 1, 2, 1, 2, 1]]), torch.tensor([3, 6])
    )
    torch.testing.assert_close(padded[0, :3], alone[0])
    assert torch.all(padded[0, 3:] == 0)


def test_clear_errors_before_fit_and_for_unknown_settings():
    explainer = MaskExplainer(_ReadsOnes(), _Ones(), target="model")
    with pytest.raises(NotFittedError, match="not fitted"):
        explainer.explain(torch.tensor([[1]]), torch.tensor([1]))
    with pytest.raises(ValueError, match="target"):
        MaskExplainer(_ReadsOnes(), _Ones(), target="labels")
    with pytest.raises(ValueError, match="task"):
        MaskExplainer(_ReadsOnes(), _Ones(), task="ranking")
    with pytest.raises(ValueError, match="n_layers"):
        ResidualConvMask(n_layers=3)
