"""Torch modules (no RDKit): the SMILES2vec network."""

from chemexplain.nn.smiles2vec import (
    Smiles2Vec,
    Smiles2VecConfig,
    length_mask,
    pad_ids,
    reinitialize,
)

__all__ = ["Smiles2Vec", "Smiles2VecConfig", "length_mask", "pad_ids", "reinitialize"]
