"""Attribution methods over a model's embedded input, wrapping Captum where it has the method.

Every class: ``Method(model).attribute(embedded (B, L, E), lengths (B,)) -> (B, L, E)``.
``Saliency``, ``GradientXInput``, ``IntegratedGradients`` and the LRP-αβ methods
also take a fixed-size input with ``lengths=None`` (images: ``model(images)``,
``target`` the class), which is how the image adapter's heatmaps are made.

============================  ======  ===============================================
method                        signed  what it is
============================  ======  ===============================================
``Saliency``                  no      squared gradient (Simonyan et al. 2014;
                                      Montavon et al.'s sensitivity analysis)
``GradientXInput``            yes     gradient x input (simple Taylor decomposition)
``IntegratedGradients``       yes     Sundararajan et al. 2017, zero baseline
``SmoothGrad``                yes     gradient x input averaged over noisy inputs
``VarGrad``                   no      variance of the gradient over noisy inputs
``Occlusion``                 yes     output drop when one token's embedding is zeroed
``Lime``                      yes     LIME over tokens (Ribeiro et al. 2016)
``KernelShap``                yes     Kernel SHAP over tokens (Lundberg & Lee 2017)
``LRPEpsilon``                yes     LRP-epsilon, GRU by Arras et al. 2017 (see lrp.py)
``MaskAttribution``           no      the trained explanation mask
``RandomAttribution``         no      uniform random scores, the floor to beat
============================  ======  ===============================================
"""

from __future__ import annotations

import torch

from chemexplain.attribution.base import (
    TokenAttribution,
    forward_args,
    forward_function,
    gradient_context,
)

__all__ = [
    "Saliency",
    "GradientXInput",
    "IntegratedGradients",
    "SmoothGrad",
    "VarGrad",
    "Occlusion",
    "Lime",
    "KernelShap",
    "MaskAttribution",
    "RandomAttribution",
]


def _captum(name: str):
    """Captum's attribution class ``name`` (``captum.attr.<name>``), imported when a method
    first runs: importing ``captum.attr`` takes about 0.8 s, which ``explain`` with the
    amortized explainer or the mask never needs (``scripts/benchmark_startup.py``)."""
    from captum import attr

    return getattr(attr, name)


class _CaptumGradient(TokenAttribution):
    """Gradient-based Captum methods called on the whole batch."""

    fixed_size_inputs = True

    def _method(self):
        raise NotImplementedError

    def _call(self, method, inputs, lengths, baselines, target, knobs):
        return method.attribute(
            inputs, target=target, additional_forward_args=forward_args(lengths), **knobs
        )

    def attribute(self, inputs, lengths=None, baselines=None, target=None, **knobs):
        if lengths is None:  # a fixed-size input (an image): a classifier, eval mode
            self.model.eval()
            if target is not None and not isinstance(target, int):
                target = torch.as_tensor(target).long()
        inputs = inputs.detach().clone().requires_grad_(True)
        with gradient_context(self._device()):
            out = self._call(self._method(), inputs, lengths, baselines, target, knobs)
        return self._zero_padding(out.detach(), lengths)


class Saliency(_CaptumGradient):
    name, signed = "saliency", False

    def _method(self):
        return _captum("Saliency")(forward_function(self.model))

    def _call(self, method, inputs, lengths, baselines, target, knobs):
        gradient = method.attribute(
            inputs, target=target, abs=False, additional_forward_args=forward_args(lengths)
        )
        return gradient**2


class GradientXInput(_CaptumGradient):
    name = "gradient_x_input"

    def _method(self):
        return _captum("InputXGradient")(forward_function(self.model))


class IntegratedGradients(_CaptumGradient):
    name = "integrated_gradients"

    def __init__(self, model, n_steps: int = 50):
        super().__init__(model)
        self.n_steps = n_steps

    def _method(self):
        return _captum("IntegratedGradients")(forward_function(self.model))

    def _call(self, method, inputs, lengths, baselines, target, knobs):
        knobs = {"n_steps": self.n_steps, "internal_batch_size": 256, **knobs}
        baselines = torch.zeros_like(inputs) if baselines is None else baselines
        return method.attribute(
            inputs,
            baselines=baselines,
            target=target,
            additional_forward_args=forward_args(lengths),
            **knobs,
        )


class _Noisy(_CaptumGradient):
    nt_type, stochastic = "smoothgrad", True
    base = "InputXGradient"  # the Captum method under the noise

    def __init__(self, model, n_samples: int = 20, stdev: float = 0.2, seed: int = 0):
        super().__init__(model)
        self.n_samples, self.stdev, self.seed = n_samples, stdev, seed

    def _method(self):
        return _captum("NoiseTunnel")(_captum(self.base)(forward_function(self.model)))

    def _call(self, method, inputs, lengths, baselines, target, knobs):
        torch.manual_seed(self.seed)  # the noise, so the same call gives the same numbers
        extra = {"abs": False} if self.base == "Saliency" else {}
        return method.attribute(
            inputs,
            nt_type=self.nt_type,
            nt_samples=self.n_samples,
            stdevs=self.stdev,
            target=target,
            additional_forward_args=forward_args(lengths),
            **extra,
            **knobs,
        )


class SmoothGrad(_Noisy):
    """Gradient x input averaged over ``n_samples`` inputs with Gaussian noise (Smilkov et al.)."""

    name, nt_type = "smoothgrad", "smoothgrad"


class VarGrad(_Noisy):
    """Variance of the gradient over noisy inputs (Adebayo et al. 2018); unsigned."""

    name, signed, nt_type, base = "vargrad", False, "vargrad", "Saliency"


def _token_feature_mask(inputs: torch.Tensor) -> torch.Tensor:
    """(1, L, E) long: every embedding dimension of token i is feature i."""
    length, dim = inputs.shape[1], inputs.shape[2]
    return torch.arange(length, device=inputs.device).view(1, length, 1).expand(1, length, dim)


class _PerMolecule(TokenAttribution):
    """Perturbation methods run one molecule at a time, on its real tokens only."""

    def _one(self, inputs, lengths, baselines, target, knobs):
        raise NotImplementedError

    def attribute(self, inputs, lengths=None, baselines=None, target=None, **knobs):
        self._need_lengths(lengths)
        out = torch.zeros_like(inputs)
        with torch.no_grad():
            for i in range(inputs.shape[0]):
                n = int(lengths[i])
                one = inputs[i : i + 1, :n]
                base = None if baselines is None else baselines[i : i + 1, :n]
                out[i, :n] = self._one(one, lengths[i : i + 1], base, target, knobs)[0]
        return out


class Occlusion(_PerMolecule):
    """Zero one token's embedding at a time; the output's drop is that token's score."""

    name = "occlusion"

    def _one(self, inputs, lengths, baselines, target, knobs):
        method = _captum("Occlusion")(forward_function(self.model))
        dim = inputs.shape[2]
        return (
            method.attribute(
                inputs,
                sliding_window_shapes=(1, dim),
                strides=(1, dim),
                baselines=0.0 if baselines is None else baselines,
                target=target,
                additional_forward_args=forward_args(lengths),
                perturbations_per_eval=64,
            )
            / dim
        )  # Captum gives every dimension the token's full drop; keep the sum = the drop


class _Surrogate(_PerMolecule):
    def __init__(self, model, n_samples: int = 200, seed: int = 0):
        super().__init__(model)
        self.n_samples, self.seed = n_samples, seed

    def _one(self, inputs, lengths, baselines, target, knobs):
        torch.manual_seed(self.seed)
        method = _captum(self.captum_class)(forward_function(self.model))
        dim = inputs.shape[2]
        attributions = method.attribute(
            inputs,
            baselines=0.0 if baselines is None else baselines,
            target=target,
            additional_forward_args=forward_args(lengths),
            feature_mask=_token_feature_mask(inputs),
            n_samples=self.n_samples,
            perturbations_per_eval=self.n_samples,
        )
        return attributions / dim  # one coefficient per token, spread over its dimensions


class Lime(_Surrogate):
    name, captum_class = "lime", "Lime"


class KernelShap(_Surrogate):
    name, captum_class = "kernel_shap", "KernelShap"


class MaskAttribution(TokenAttribution):
    """The trained explanation mask (a fitted :class:`~chemexplain.mask.MaskExplainer`)."""

    name, signed = "mask", False

    def __init__(self, explainer):
        super().__init__(explainer.model)
        self.explainer = explainer

    def attribute(self, inputs, lengths=None, baselines=None, target=None, **knobs):
        self._need_lengths(lengths)
        self.explainer.network.eval()
        with torch.no_grad():
            weights = self.explainer.weights(inputs, lengths)
        return weights.unsqueeze(-1).expand_as(inputs) / inputs.shape[2]


class RandomAttribution(TokenAttribution):
    """Uniform random token scores in [0, 1), seeded: what any method must beat."""

    name, signed, stochastic = "random", False, True

    def __init__(self, model, seed: int = 0):
        super().__init__(model)
        self.seed = seed

    def attribute(self, inputs, lengths=None, baselines=None, target=None, **knobs):
        self._need_lengths(lengths)
        generator = torch.Generator().manual_seed(self.seed)
        scores = torch.rand(inputs.shape[:2], generator=generator).to(inputs.device)
        out = scores.unsqueeze(-1).expand_as(inputs) / inputs.shape[2]
        return self._zero_padding(out, lengths)
