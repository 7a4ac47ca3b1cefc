"""chemexplain: why does a neural network predict what it predicts about a molecule?

The main nouns::

    import chemexplain as cx
    data = cx.load_esol()                         # smiles, logS (log10 mol/L)
    model = cx.SmilesRegressor("paper").fit(data.smiles, data.logS)
    model.predict(["CCO"])                        # log10 mol/L
    cx.tokenize("CC(=O)Cl", scheme="atom")        # tokens with RDKit atom indices
    mask = cx.SmilesMask(model).fit(data.smiles, data.logS)   # explanation mask
    mask.atom_weights(["CCO"])                    # per-atom weights
    e = cx.explain("CCO")                         # bundled pretrained model + mask
    e.prediction, e.top_atoms(), e.draw("ethanol.svg")
"""

__version__ = "0.1.0"

from chemexplain.chem import InvalidSmilesError, Token, tokenize
from chemexplain.chem.drawing import draw_explanation, draw_grid
from chemexplain.chem.explanation import Explanation, ExplanationList, explain
from chemexplain.chem.masking import SmilesMask
from chemexplain.chem.standardize import standardize_smiles
from chemexplain.chem.view3d import view3d
from chemexplain.data import load_csv, load_esol, load_freesolv, split_indices
from chemexplain.errors import ChemexplainError, DatasetNotFoundError, ModelFileError
from chemexplain.io import score_file
from chemexplain.mask import MaskExplainer
from chemexplain.models import SmilesClassifier, SmilesRegressor, load_model, train_on_frame
from chemexplain.models.pretrained import model_card, pretrained
from chemexplain.vocabulary import Vocabulary

__all__ = [
    "ChemexplainError",
    "DatasetNotFoundError",
    "Explanation",
    "ExplanationList",
    "InvalidSmilesError",
    "MaskExplainer",
    "ModelFileError",
    "SmilesClassifier",
    "SmilesMask",
    "SmilesRegressor",
    "Token",
    "Vocabulary",
    "__version__",
    "draw_explanation",
    "draw_grid",
    "explain",
    "load_csv",
    "load_esol",
    "load_freesolv",
    "load_model",
    "model_card",
    "pretrained",
    "score_file",
    "split_indices",
    "standardize_smiles",
    "tokenize",
    "train_on_frame",
    "view3d",
]
