"""LRP-epsilon and LRP-alpha-beta: relevance conservation, the alpha-beta step by hand, signs."""

import pytest
import torch

from chemexplain.attribution import METHODS
from chemexplain.attribution.lrp import lrp_forward
from tests.helpers import without_biases


def test_lrp_conserves_relevance_without_biases(tiny_model, inputs):
    embedded, lengths = inputs
    model = without_biases(tiny_model.module_)
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
    model = without_biases(tiny_model.module_)
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
