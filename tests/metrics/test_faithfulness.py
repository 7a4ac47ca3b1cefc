"""Deletion / insertion curves: a faithful ranking beats its reverse; the resampled baseline."""

import pytest
import torch

from chemexplain.attribution import METHODS
from chemexplain.metrics.faithfulness import area, deletion_insertion_curves


def test_deletion_tells_a_faithful_ranking_from_its_reverse(tiny_model, inputs):
    embedded, lengths = inputs
    model = tiny_model.module_
    occlusion = METHODS["occlusion"](model)
    scores = occlusion.token_scores(occlusion.attribute(embedded, lengths)).abs()
    good = deletion_insertion_curves(model.forward_embedded, embedded, lengths, scores)
    bad = deletion_insertion_curves(model.forward_embedded, embedded, lengths, -scores)
    assert good["deletion"][0] == 0.0 and good["insertion"][-1] == pytest.approx(0.0, abs=1e-6)
    # deleting the most influential tokens first moves the output sooner than deleting them last
    assert area(good["fractions"], good["deletion"]) > area(bad["fractions"], bad["deletion"])


def test_deletion_with_a_resampled_baseline_replaces_removed_tokens():
    from chemexplain.metrics.faithfulness import resampled_baseline

    # a "model" that sums its inputs: removing a unit moves the output by exactly what replaces it
    def forward(embedded, lengths):
        return embedded.sum(dim=(1, 2))

    embedded = torch.tensor([[[1.0], [2.0], [0.0]], [[4.0], [5.0], [6.0]]])
    lengths = torch.tensor([2, 3])
    scores = torch.tensor([[2.0, 1.0, 0.0], [3.0, 2.0, 1.0]])
    table = torch.tensor([[10.0], [20.0]])  # token 0 embeds to 10, token 1 to 20
    only_token_1 = torch.tensor([0.0, 1.0])
    base = resampled_baseline(
        lambda ids: table[ids], lengths, only_token_1, torch.Generator().manual_seed(0)
    )
    assert base[:, :, 0].tolist() == [[20.0, 20.0, 0.0], [20.0, 20.0, 20.0]]  # zero at padding
    zeroed = deletion_insertion_curves(forward, embedded, lengths, scores, fractions=(0.0, 1.0))
    swapped = deletion_insertion_curves(
        forward, embedded, lengths, scores, fractions=(0.0, 1.0), baseline=base
    )
    # all deleted: zeroing moves the outputs by 3 and 15; replacing by 20s by 37 and 45
    assert zeroed["deletion"] == [0.0, pytest.approx(9.0)]
    assert swapped["deletion"] == [0.0, pytest.approx(41.0)]
    assert swapped["insertion"] == [pytest.approx(41.0), 0.0]
