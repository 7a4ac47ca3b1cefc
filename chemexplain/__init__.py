"""chemexplain: why does a neural network predict what it predicts about a molecule?

The main nouns::

    import chemexplain as cx
    data = cx.load_esol()                         # smiles, logS (log10 mol/L)
    model = cx.SmilesRegressor("paper").fit(data.smiles, data.logS)
    model.predict(["CCO"])                        # log10 mol/L
    cx.tokenize("CC(=O)Cl", scheme="atom")        # tokens with RDKit atom indices
    mask = cx.SmilesMask(model).fit(data.smiles, data.logS)   # explanation mask
    mask.atom_weights(["CCO"])                    # per-atom weights
"""

__version__ = "0.1.0"

from chemexplain.chem import InvalidSmilesError, Token, tokenize
from chemexplain.chem.masking import SmilesMask
from chemexplain.data import load_csv, load_esol, load_freesolv, split_indices
from chemexplain.errors import ChemexplainError, DatasetNotFoundError, ModelFileError
from chemexplain.mask import MaskExplainer
from chemexplain.models import SmilesClassifier, SmilesRegressor, load_model, train_on_frame
from chemexplain.vocabulary import Vocabulary

__all__ = [
    "ChemexplainError",
    "DatasetNotFoundError",
    "InvalidSmilesError",
    "MaskExplainer",
    "ModelFileError",
    "SmilesClassifier",
    "SmilesMask",
    "SmilesRegressor",
    "Token",
    "Vocabulary",
    "__version__",
    "load_csv",
    "load_esol",
    "load_freesolv",
    "load_model",
    "split_indices",
    "tokenize",
    "train_on_frame",
]
