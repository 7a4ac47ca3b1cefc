"""Contract of every attribution method, LRP conservation, and the faithfulness metric."""

import copy

import numpy as np
import pytest
import torch

from chemexplain.attribution import METHODS, MaskAttribution
from chemexplain.attribution.lrp import lrp_forward
from chemexplain.metrics.faithfulness import area, deletion_insertion_curves
from chemexplain.nn.core import pad_ids

SMILES = ["CCO", "c1ccccc1Cl", "CC(=O)Nc1ccc(O)cc1", "OCC(O)CO"]
FAST = {
    "integrated_gradients": {"n_steps": 8},
    "smoothgrad": {"n_samples": 4},
    "vargrad": {"n_samples": 4},
    "lime": {"n_samples": 30},
    "kernel_shap": {"n_samples": 30},
}


def _without_biases(module):
    """A copy of ``module`` with every bias set to 0 (relevance is then conserved)."""
    model = copy.deepcopy(module)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "bias" in name:
                parameter.zero_()
    return model


@pytest.fixture(scope="module")
def inputs(tiny_model):
    ids, _ = tiny_model.encode(SMILES)
    token_ids, lengths = pad_ids(ids)
    with torch.no_grad():
        return tiny_model.module_.embed(token_ids), lengths


@pytest.mark.parametrize("name", sorted(METHODS))
def test_every_method_keeps_the_contract(name, tiny_model, inputs):
    embedded, lengths = inputs
    method = METHODS[name](tiny_model.module_, **FAST.get(name, {}))
    first = method.attribute(embedded, lengths)
    assert first.shape == embedded.shape and torch.isfinite(first).all()
    scores = method.token_scores(first)
    for i, n in enumerate(lengths):
        assert torch.all(scores[i, int(n) :] == 0)  # padding gets nothing
    # deterministic, and a molecule alone gets what it gets in the batch
    again = method.attribute(embedded, lengths)
    torch.testing.assert_close(first, again)
    if not method.signed:
        assert (scores >= 0).all()
    if not method.stochastic:
        alone = method.attribute(embedded[2:3, : int(lengths[2])], lengths[2:3])
        torch.testing.assert_close(alone[0], first[2, : int(lengths[2])], atol=1e-4, rtol=1e-3)


def test_integrated_gradients_completeness(tiny_model, inputs):
    """IG's scores sum to f(x) - f(0) (Sundararajan et al.'s completeness)."""
    embedded, lengths = inputs
    model = tiny_model.module_
    attr = METHODS["integrated_gradients"](model, n_steps=200).attribute(embedded, lengths)
    with torch.no_grad():
        gap = model.forward_embedded(embedded, lengths) - model.forward_embedded(
            0 * embedded, lengths
        )
    torch.testing.assert_close(attr.sum((1, 2)), gap, atol=2e-3, rtol=2e-2)


def test_lrp_conserves_relevance_without_biases(tiny_model, inputs):
    embedded, lengths = inputs
    model = _without_biases(tiny_model.module_)
    with torch.no_grad():
        # the re-implemented forward matches the module's own
        torch.testing.assert_close(
            lrp_forward(model, embedded, lengths, 0.0),
            model.forward_embedded(embedded, lengths),
            atol=1e-5,
            rtol=1e-4,
        )
        output = model.forward_embedded(embedded, lengths)
    relevance = METHODS["lrp_epsilon"](model, eps=1e-9).attribute(embedded, lengths)
    torch.testing.assert_close(relevance.sum((1, 2)), output, atol=1e-4, rtol=1e-3)


def test_mask_attribution_returns_the_mask(tiny_pair_dir, inputs):
    import chemexplain as cx

    model, mask = cx.pretrained(tiny_pair_dir)
    ids, _ = model.encode(SMILES)
    token_ids, lengths = pad_ids(ids)
    embedded = model.module_.embed(token_ids).detach()
    method = MaskAttribution(mask.explainer_)
    scores = method.token_scores(method.attribute(embedded, lengths))
    for i, weights in enumerate(mask.token_weights(SMILES)):
        np.testing.assert_allclose(scores[i, : len(weights)].numpy(), weights, rtol=1e-5, atol=1e-6)


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


def test_alpha_beta_step_by_hand():
    from chemexplain.attribution.lrp import alpha_beta

    # one output fed by contributions +3, +1, -2; relevance 4
    c = torch.tensor([[3.0], [1.0], [-2.0]])
    r = torch.tensor([4.0])
    torch.testing.assert_close(alpha_beta(c, r, 1.0, 0.0), torch.tensor([3.0, 1.0, 0.0]))
    # alpha 2, beta 1: positives share 2R, the negative takes -R; the total stays R
    torch.testing.assert_close(alpha_beta(c, r, 2.0, 1.0), torch.tensor([6.0, 2.0, -4.0]))
    # no negative contribution (e.g. the GRU's (1 - z) n + z h sum): the positives take R, not 2R
    positive_only = torch.tensor([[3.0], [1.0]])
    torch.testing.assert_close(alpha_beta(positive_only, r, 2.0, 1.0), torch.tensor([3.0, 1.0]))
    # no positive contribution: alpha 1 beta 0 passes R to the negatives instead of losing it
    negative_only = torch.tensor([[-3.0], [-1.0]])
    torch.testing.assert_close(alpha_beta(negative_only, r, 1.0, 0.0), torch.tensor([3.0, 1.0]))


def test_alpha1_beta0_relevance_keeps_the_output_sign(tiny_model, inputs):
    """alpha = 1, beta = 0 only ever splits relevance in non-negative shares."""
    from chemexplain.attribution.lrp import LRPAlphaBeta, lrp_alpha_beta

    embedded, lengths = inputs
    model = _without_biases(tiny_model.module_)
    with torch.no_grad():
        output = model.forward_embedded(embedded, lengths)
    relevance = lrp_alpha_beta(model, embedded, lengths, 1.0, 0.0)
    assert relevance.shape == embedded.shape and torch.isfinite(relevance).all()
    for i, n in enumerate(lengths):
        assert torch.all(relevance[i, int(n) :] == 0)
    # alpha 1 beta 0 never creates relevance of the other sign than the output's
    signs = torch.sign(output).view(-1, 1, 1)
    assert torch.all(relevance * signs >= -1e-6)
    # and, with every neuron's relevance passed on, it sums to the output
    torch.testing.assert_close(relevance.sum((1, 2)), output.view(-1), atol=1e-4, rtol=1e-3)
    with pytest.raises(ValueError, match="alpha - beta = 1"):
        LRPAlphaBeta(model, alpha=2.0, beta=0.5)


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


@pytest.fixture(scope="module")
def images():
    """A small untrained ResidualCNN (seeded) and 4 random 8x8 images."""
    from chemexplain.image import ResidualCNN

    torch.manual_seed(0)
    return ResidualCNN().eval(), torch.rand(4, 1, 8, 8)


@pytest.mark.parametrize("name", sorted(n for n, m in METHODS.items() if m.fixed_size_inputs))
def test_every_fixed_size_method_keeps_the_contract_on_images(name, images):
    """The same classes explain images (lengths=None, a class target): input's shape,
    finite, deterministic, one image alone as in the batch."""
    model, x = images
    target = model(x).argmax(1)
    method = METHODS[name](model, **FAST.get(name, {}))
    first = method.attribute(x, target=target)
    assert first.shape == x.shape and torch.isfinite(first).all()
    torch.testing.assert_close(first, method.attribute(x, target=target))
    if not method.signed:
        assert (first >= 0).all()
    if not method.stochastic:
        alone = method.attribute(x[1:2], target=target[1:2])
        torch.testing.assert_close(alone[0], first[1], atol=1e-5, rtol=1e-4)


def test_sequence_only_methods_refuse_a_fixed_size_input(images):
    model, x = images
    names = sorted(n for n, m in METHODS.items() if not m.fixed_size_inputs)
    assert {"occlusion", "lime", "kernel_shap", "lrp_epsilon", "random"} <= set(names)
    for name in names:
        with pytest.raises(ValueError, match="lengths"):
            METHODS[name](model).attribute(x, target=0)
