"""Estimators (fit / predict / save / load), named configs and dataset training.

Names load on first use, so ``chemexplain.models.configs`` and
``chemexplain.models.pretrained`` import without torch.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "configs": ["CONFIGS"],
        "estimator": ["SmilesClassifier", "SmilesRegressor", "load_model"],
        "training": ["train_on_frame"],
    },
)
