"""The contract of every registered attribution method, on token sequences and on images."""

import numpy as np
import pytest
import torch

from chemexplain.attribution import METHODS, MaskAttribution
from chemexplain.nn.core import pad_ids
from tests.helpers import ATTRIBUTION_SMILES, printed_in_a_fresh_process

FAST = {
    "integrated_gradients": {"n_steps": 8},
    "smoothgrad": {"n_samples": 4},
    "vargrad": {"n_samples": 4},
    "lime": {"n_samples": 30},
    "kernel_shap": {"n_samples": 30},
}


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


def test_mask_attribution_returns_the_mask(tiny_pair_dir, inputs):
    import chemexplain as cx

    model, mask = cx.pretrained(tiny_pair_dir)
    ids, _ = model.encode(ATTRIBUTION_SMILES)
    token_ids, lengths = pad_ids(ids)
    embedded = model.module_.embed(token_ids).detach()
    method = MaskAttribution(mask.explainer_)
    scores = method.token_scores(method.attribute(embedded, lengths))
    for i, weights in enumerate(mask.token_weights(ATTRIBUTION_SMILES)):
        np.testing.assert_allclose(scores[i, : len(weights)].numpy(), weights, rtol=1e-5, atol=1e-6)


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


def test_captum_is_imported_only_when_a_captum_method_runs():
    """Importing captum.attr takes about 0.8 s of every `chemexplain explain` otherwise."""
    code = (
        "import sys, chemexplain as cx; cx.explain('CCO'); print('captum' in sys.modules); "
        "cx.explain('CCO', method='occlusion'); print('captum' in sys.modules)"
    )
    assert printed_in_a_fresh_process(code) == ["False", "True"]
