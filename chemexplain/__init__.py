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

Names load on first use (``lazy_loader``), so ``import chemexplain`` and the
command line's ``--help`` start without torch, RDKit or pandas.
"""

import lazy_loader

from chemexplain.version import __version__

_SUBPACKAGES = [
    "attribution",
    "chem",
    "cli",
    "data",
    "image",
    "io",
    "mask",
    "metrics",
    "models",
    "nn",
    "text",
]
__getattr__, __dir__, _names = lazy_loader.attach(
    __name__,
    submodules=_SUBPACKAGES,  # cx.chem, cx.io, ... load on first use too
    submod_attrs={
        "chem": ["InvalidSmilesError", "Token", "tokenize"],
        "chem.drawing": ["draw_explanation", "draw_grid"],
        "chem.explanation": ["Explanation", "ExplanationList"],
        "chem.masking": ["SmilesMask"],
        "chem.shapley": ["SmilesShapley"],
        "chem.standardize": ["standardize_smiles"],
        "chem.view3d": ["view3d"],
        "data": ["load_csv", "load_esol", "load_freesolv", "split_indices"],
        "errors": [
            "ChemexplainError",
            "DataFormatError",
            "DatasetNotFoundError",
            "ModelFileError",
        ],
        "io": ["score_file"],
        "mask": ["MaskExplainer"],
        "models": ["SmilesClassifier", "SmilesRegressor", "load_model", "train_on_frame"],
        "models.ensemble": ["SmilesEnsemble"],
        "models.pretrained": ["model_card", "pretrained"],
        "service": ["explain"],
        "vocabulary": ["Vocabulary"],
    },
)
__all__ = [*(n for n in _names if n not in _SUBPACKAGES), "__version__"]
