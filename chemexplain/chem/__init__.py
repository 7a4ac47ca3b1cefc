"""Chemistry adapter: everything that needs RDKit (parsing, tokenizing, atom mapping)."""

from chemexplain.chem.parsing import (
    InvalidSmilesError,
    canonical_smiles,
    parse_smiles,
    randomize_smiles,
)
from chemexplain.chem.tokenizer import SMILES_REGEX, Token, split_smiles, tokenize

__all__ = [
    "InvalidSmilesError",
    "SMILES_REGEX",
    "Token",
    "canonical_smiles",
    "parse_smiles",
    "randomize_smiles",
    "split_smiles",
    "tokenize",
]
