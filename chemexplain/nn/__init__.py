"""Torch modules and helpers (no RDKit): the generic pieces and the SMILES2vec network."""

from chemexplain.nn.core import Batch, length_mask, pad_ids, reinitialize
from chemexplain.nn.smiles2vec import Smiles2Vec, Smiles2VecConfig

__all__ = ["Batch", "Smiles2Vec", "Smiles2VecConfig", "length_mask", "pad_ids", "reinitialize"]
