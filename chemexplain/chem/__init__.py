"""Chemistry adapter: everything that needs RDKit (parsing, tokenizing, atom mapping).

Names load on first use, so the command line's ``--help`` needs no RDKit.
"""

import lazy_loader

#: Longer SMILES are refused: ESOL's longest is 98 characters, and a recurrent
#: model's prediction 3x beyond its training lengths is not worth reporting.
MAX_SMILES_LENGTH = 200

__getattr__, __dir__, _names = lazy_loader.attach(
    __name__,
    submod_attrs={
        "parsing": ["InvalidSmilesError", "canonical_smiles", "parse_smiles", "randomize_smiles"],
        "tokenizer": ["SMILES_REGEX", "Token", "split_smiles", "tokenize"],
    },
)
__all__ = [*_names, "MAX_SMILES_LENGTH"]
