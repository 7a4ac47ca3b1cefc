"""Explanation masks (Phillips, Goh & Hodas 2018): modality-agnostic, torch only."""

from chemexplain.mask.explainer import MaskExplainer
from chemexplain.mask.networks import ResidualConvMask

__all__ = ["MaskExplainer", "ResidualConvMask"]
