"""Attribution baselines at the embedding layer (torch + Captum; no RDKit).

``METHODS`` maps each method's name to its class; every class takes the
model (``embed`` / ``forward_embedded``) in ``__init__`` except
``MaskAttribution``, which takes a fitted ``MaskExplainer``.
"""

from chemexplain.attribution.base import TokenAttribution
from chemexplain.attribution.lrp import LRPAlpha2Beta1, LRPAlphaBeta, LRPEpsilon
from chemexplain.attribution.methods import (
    GradientXInput,
    IntegratedGradients,
    KernelShap,
    Lime,
    MaskAttribution,
    Occlusion,
    RandomAttribution,
    Saliency,
    SmoothGrad,
    VarGrad,
)

METHODS = {
    cls.name: cls
    for cls in (
        Saliency,
        GradientXInput,
        IntegratedGradients,
        SmoothGrad,
        VarGrad,
        Occlusion,
        Lime,
        KernelShap,
        LRPEpsilon,
        LRPAlphaBeta,
        LRPAlpha2Beta1,
        RandomAttribution,
    )
}

__all__ = [
    "METHODS",
    "GradientXInput",
    "IntegratedGradients",
    "KernelShap",
    "LRPAlpha2Beta1",
    "LRPAlphaBeta",
    "LRPEpsilon",
    "Lime",
    "MaskAttribution",
    "Occlusion",
    "RandomAttribution",
    "Saliency",
    "SmoothGrad",
    "TokenAttribution",
    "VarGrad",
]
