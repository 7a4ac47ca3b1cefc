"""Image adapter: data, the residual CNN, the paper's image mask on MaskExplainer, heatmaps, prototypes."""

from __future__ import annotations

import pickle
import tarfile

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from chemexplain.attribution import METHODS, GradientXInput, LRPAlphaBeta, Saliency
from chemexplain.attribution.lrp_cnn import _alpha_beta, _conv, _linear, _pool
from chemexplain.errors import DataFormatError, DatasetNotFoundError
from chemexplain.image import (
    BottleneckImageMask,
    ResidualCNN,
    image_mask_explainer,
    load_cifar10,
    load_digits_splits,
    planted_patch_dataset,
    random_erase,
    random_shift,
)
from chemexplain.image.prototypes import GaussianMixtureExpert, activation_maximization
from chemexplain.mask import MaskExplainer
from chemexplain.metrics import accuracy, pixel_flipping
from chemexplain.nn.training import fit_classifier, make_batches, predict_logits
from tests.helpers import without_biases


@pytest.fixture(scope="module")
def digits():
    return load_digits_splits()


@pytest.fixture(scope="module")
def digits_model(digits):
    """A small CNN trained for a few epochs on the digits (seconds)."""
    torch.manual_seed(0)
    model = ResidualCNN(channels=8, bottleneck=16)
    train = make_batches(digits.train_x, digits.train_y, batch_size=64)
    val = make_batches(digits.val_x, digits.val_y, batch_size=256)
    fit_classifier(model, train, val, epochs=6, learning_rate=3e-3, random_state=0)
    return model


# ------------------------------------------------------------------ data
def test_digits_splits_are_disjoint_stratified_and_scaled(digits):
    sizes = [len(digits.train_x), len(digits.val_x), len(digits.test_x)]
    assert sum(sizes) == 1797 and sizes == [1257, 180, 360]
    assert digits.train_x.shape[1:] == (1, 8, 8)
    assert float(digits.train_x.min()) == 0.0 and float(digits.train_x.max()) == 1.0
    assert torch.bincount(digits.test_y).tolist() == pytest.approx([36] * 10, abs=1)
    train_rows = {tuple(x.flatten().tolist()) for x in digits.train_x}
    overlap = sum(tuple(x.flatten().tolist()) in train_rows for x in digits.test_x)
    assert overlap < 5  # only accidental duplicate images, if any


def test_planted_patch_decides_the_class():
    images, labels, patch = planted_patch_dataset(40, image_size=12, patch_size=4, random_state=3)
    assert images.shape == (40, 1, 12, 12) and patch.dtype == torch.bool
    assert patch.sum((1, 2, 3)).tolist() == [16] * 40
    for image, label, where in zip(images, labels, patch):
        square = image[where].view(4, 4)
        stripes = torch.tensor([1.0, -1.0, 1.0, -1.0])
        expected = stripes[:, None].expand(4, 4) if label == 0 else stripes[None].expand(4, 4)
        assert torch.equal(square, expected)


def test_random_erase_zeroes_one_square_in_about_rate_of_the_images():
    images = torch.ones(400, 2, 8, 8)
    erased = random_erase(images, torch.Generator().manual_seed(0), rate=0.5, max_size=3)
    zeros = (erased == 0).sum((1, 2, 3)) // 2  # per image, counted once over the 2 channels
    assert 0.4 < float((zeros > 0).float().mean()) < 0.6
    assert set(zeros.tolist()) <= {0, 1, 4, 9}  # squares of side 1 to 3, both channels
    assert torch.equal(images, torch.ones(400, 2, 8, 8))  # the input is not modified


def test_random_shift_moves_pixels_without_changing_the_shape():
    image = torch.zeros(1, 1, 8, 8)
    image[0, 0, 4, 4] = 1.0
    shifted = random_shift(image.repeat(50, 1, 1, 1), torch.Generator().manual_seed(0))
    assert shifted.shape == (50, 1, 8, 8) and shifted.sum().item() == 50
    positions = {tuple(torch.nonzero(s[0])[0].tolist()) for s in shifted}
    assert len(positions) > 3 and all(abs(r - 4) <= 1 and abs(c - 4) <= 1 for r, c in positions)


def _cifar_records(n, label_offset=0):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
    labels = (np.arange(n) + label_offset) % 10
    return pixels, labels


def test_cifar10_binary_folder_and_archive(tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    for name, offset in [(f"data_batch_{i}", i) for i in range(1, 6)] + [("test_batch", 0)]:
        pixels, labels = _cifar_records(3, offset)
        (folder / f"{name}.bin").write_bytes(
            np.concatenate([labels[:, None].astype(np.uint8), pixels], 1).tobytes()
        )
    x, y = load_cifar10(folder, split="train")
    assert x.shape == (15, 3, 32, 32) and y.tolist()[:3] == [1, 2, 3]
    pixels, _ = _cifar_records(3, 1)
    assert torch.allclose(x[0], torch.tensor(pixels[0].reshape(3, 32, 32) / 255.0).float())
    archive = tmp_path / "cifar-10-binary.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname="cifar-10-batches-bin")
    x2, y2 = load_cifar10(archive, split="test")
    assert x2.shape == (3, 3, 32, 32) and y2.tolist() == [0, 1, 2]


def test_cifar10_python_version_loads_arrays_and_refuses_code(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    pixels, labels = _cifar_records(4)
    batch = {b"data": pixels, b"labels": labels.tolist()}
    (folder / "test_batch").write_bytes(pickle.dumps(batch, protocol=2))
    x, y = load_cifar10(folder, split="test")
    assert x.shape == (4, 3, 32, 32) and y.tolist() == [0, 1, 2, 3]

    class Exploit:
        def __reduce__(self):
            return (print, ("pwned",))

    (folder / "test_batch").write_bytes(pickle.dumps({b"data": Exploit()}, protocol=2))
    with pytest.raises(DataFormatError, match=r"refusing to load \S*print"):
        load_cifar10(folder, split="test")


def test_cifar10_missing_says_where_it_looked_and_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("CHEMEXPLAIN_DATA", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(DatasetNotFoundError, match="cifar.html") as error:
        load_cifar10()
    assert str(tmp_path / "cifar-10-batches-bin") in str(error.value)


# ------------------------------------------------------------------ model and mask
def test_residual_cnn_shapes_and_square_bottleneck():
    model = ResidualCNN(in_channels=3, image_size=16, n_classes=4, channels=4, bottleneck=36)
    x = torch.rand(2, 3, 16, 16)
    assert model(x).shape == (2, 4) and model.features(x).shape == (2, 36)
    assert torch.equal(model.embed(x), x)
    with pytest.raises(ValueError, match="perfect square"):
        ResidualCNN(bottleneck=60)


def test_digits_model_learns(digits, digits_model):
    # six epochs of a tiny model; the full model reaches >= 97% (scripts/demo_image.py)
    assert (
        accuracy(*predict_logits(digits_model, make_batches(digits.test_x, digits.test_y))) > 0.85
    )


def test_image_mask_is_the_shared_mask_explainer_and_multiplies_every_channel():
    torch.manual_seed(0)
    model = ResidualCNN(in_channels=3, image_size=8, n_classes=3, channels=4, bottleneck=16)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    explainer = image_mask_explainer(
        model, 8, in_channels=3, channels=4, max_epochs=2, verbose=False, skip="image"
    )
    assert type(explainer) is MaskExplainer and isinstance(explainer.network, BottleneckImageMask)
    assert not any(k.startswith("_model") for k in explainer.network.state_dict())
    x, y = torch.rand(24, 3, 8, 8), torch.randint(0, 3, (24,))
    explainer.fit(make_batches(x[:16], y[:16], batch_size=8), make_batches(x[16:], y[16:]))
    mask = explainer.explain(x)
    assert mask.shape == (24, 1, 8, 8) and float(mask.min()) >= 0 and float(mask.max()) <= 1
    masked = explainer.predict_masked(x[:4])
    assert torch.allclose(masked, model(x[:4] * mask[:4]), atol=1e-6)
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key


def test_planted_patch_mask_finds_the_patch():
    """A short fit puts most of the mask's mass on the patch (a random mask: its area, 0.14)."""
    images, labels, patch = planted_patch_dataset(600, image_size=8, patch_size=3, random_state=0)
    torch.manual_seed(0)
    model = ResidualCNN(image_size=8, n_classes=2, channels=8, bottleneck=16)
    train = make_batches(images[:500], labels[:500], batch_size=16)
    val = make_batches(images[500:], labels[500:], batch_size=100)
    fit_classifier(model, train, val, epochs=8, learning_rate=3e-3, augment=random_erase)
    assert accuracy(*predict_logits(model, val)) > 0.95
    explainer = image_mask_explainer(
        model,
        8,
        channels=8,
        skip="features",
        l1=3e-3,
        learning_rate=3e-3,
        max_epochs=10,
        verbose=False,
    )
    explainer.fit(train, val)
    mask = explainer.explain(images[500:])
    inside = ((mask * patch[500:]).sum((1, 2, 3)) / mask.sum((1, 2, 3))).mean()
    assert float(inside) > 0.8


# ------------------------------------------------------------------ heatmaps
def test_every_heatmap_has_the_input_shape_and_is_deterministic(digits, digits_model):
    x = digits.test_x[:6]
    target = digits_model(x).argmax(1)
    for name in ("saliency", "gradient_x_input", "integrated_gradients", "lrp_alpha_beta",
                 "lrp_alpha2_beta1"):  # fmt: skip
        method = METHODS[name]
        first = method(digits_model).attribute(x, target=target)
        assert first.shape == x.shape and torch.isfinite(first).all(), name
        assert torch.equal(first, method(digits_model).attribute(x, target=target)), name


def test_sensitivity_and_taylor_match_autograd(digits, digits_model):
    x = digits.test_x[:3].clone().requires_grad_(True)
    digits_model(x)[:, 2].sum().backward()
    assert torch.allclose(Saliency(digits_model).attribute(x.detach(), target=2), x.grad**2)
    assert torch.allclose(
        GradientXInput(digits_model).attribute(x.detach(), target=2), x.grad * x.detach()
    )


@pytest.mark.parametrize("alpha,beta", [(1.0, 0.0), (2.0, 1.0)])
def test_lrp_conserves_the_target_logit_without_biases(digits, digits_model, alpha, beta):

    model = without_biases(digits_model)
    x = digits.test_x[:5]
    target = model(x).argmax(1)
    relevance = LRPAlphaBeta(model, alpha, beta).attribute(x, target=target)
    logits = model(x)[torch.arange(5), target]
    assert torch.allclose(relevance.sum((1, 2, 3)), logits.detach(), rtol=1e-3, atol=1e-5)
    if beta:
        assert (relevance < 0).any()  # beta > 0 gives negative evidence
    else:
        assert (relevance >= -1e-7).all()


def test_alpha1_beta0_layers_agree_with_captum_on_a_plain_network():
    """Captum's LRP has α1β0 (not α2β1); on a network without a residual sum ours is the same."""
    from captum.attr import LRP
    from captum.attr._utils.lrp_rules import Alpha1_Beta0_Rule, EpsilonRule

    torch.manual_seed(0)
    stem = torch.nn.Conv2d(1, 4, 3, padding=1, bias=False)
    pool, dense = torch.nn.AvgPool2d(2), torch.nn.Linear(64, 6, bias=False)
    head = torch.nn.Linear(6, 3, bias=False)

    class Plain(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.stem, self.pool, self.dense, self.head = stem, pool, dense, head

        def forward(self, x):
            return self.head(F.relu(self.dense(self.pool(F.relu(self.stem(x))).flatten(1))))

    model, x = Plain(), torch.rand(3, 1, 8, 8)
    out = model(x).detach()
    relevance = torch.zeros_like(out)
    relevance[:, 1] = out[:, 1]
    with torch.no_grad():
        a1 = F.relu(stem(x))
        flat = pool(a1).flatten(1)
        d = F.relu(dense(flat))
    r = _alpha_beta(_linear(head), d, relevance, 1, 0)
    r = _alpha_beta(_linear(dense), flat, r, 1, 0).view(3, 4, 4, 4)
    r = _alpha_beta(_pool(pool), a1, r, 1, 0)
    ours = _alpha_beta(_conv(stem), x, r, 1, 0)
    for module in (stem, dense, head):
        module.rule = Alpha1_Beta0_Rule()
    pool.rule = EpsilonRule(epsilon=1e-9)
    theirs = LRP(model).attribute(x, target=1).detach()
    assert torch.allclose(ours, theirs, atol=1e-6)


@pytest.mark.parametrize("baseline", ["noise", "zero"])
def test_pixel_flipping_falls_faster_for_each_pixels_own_effect(digits, digits_model, baseline):
    """Ranking pixels by what flipping each one alone costs beats a random ranking."""
    x = digits.test_x[:20]
    target = digits_model(x).argmax(1)
    flipped_to = (
        torch.rand(x.shape, generator=torch.Generator().manual_seed(0))
        if baseline == "noise"
        else torch.zeros_like(x)
    )
    with torch.no_grad():
        full = digits_model(x)[torch.arange(20), target]
        effect = torch.zeros_like(x)
        for pixel in range(64):
            changed = x.clone().view(20, -1)
            changed[:, pixel] = flipped_to.view(20, -1)[:, pixel]
            out = digits_model(changed.view_as(x))[torch.arange(20), target]
            effect.view(20, -1)[:, pixel] = full - out
    noise = torch.rand(x.shape, generator=torch.Generator().manual_seed(5))
    informed = pixel_flipping(digits_model, x, target, effect, steps=8, baseline=baseline)
    random = pixel_flipping(digits_model, x, target, noise, steps=8, baseline=baseline)
    assert informed["fractions"][0] == 0 and informed["fractions"][-1] == 1
    assert informed["logit"][0] == pytest.approx(float(full.mean()), rel=1e-5)
    assert informed["logit"][-1] == pytest.approx(random["logit"][-1])  # everything flipped
    assert informed["aopc"] > random["aopc"]


# ------------------------------------------------------------------ prototypes
def test_gaussian_mixture_expert_matches_scikit_learn(digits):
    expert = GaussianMixtureExpert(n_components=3, random_state=0).fit(digits.train_x)
    x = digits.test_x[:7]
    ours = expert.log_density(x).double().numpy()
    theirs = expert.mixture_.score_samples(x.reshape(7, -1).double().numpy())
    assert np.allclose(ours, theirs, rtol=1e-4, atol=1e-2)


def test_activation_maximization_raises_each_class_probability(digits, digits_model):
    start = digits.train_x.mean(0)
    before = F.softmax(digits_model(start.unsqueeze(0)), 1)[0]
    expert = GaussianMixtureExpert(n_components=3, random_state=0).fit(digits.train_x)
    for kwargs in ({}, {"expert": expert}):
        prototypes = activation_maximization(digits_model, range(10), start, steps=60, **kwargs)
        assert prototypes.shape == (10, 1, 8, 8)
        after = F.softmax(digits_model(prototypes), 1)[torch.arange(10), torch.arange(10)]
        assert (after > before).all() and float(after.mean()) > 0.5
    assert all(p.requires_grad for p in digits_model.parameters())  # flags restored
