"""Exceptions that mean "the user gave something wrong", as opposed to a bug.

The CLI turns every :class:`ChemexplainError` into a one-line message and a
non-zero exit status; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

__all__ = [
    "ChemexplainError",
    "InvalidSmilesError",
    "DatasetNotFoundError",
    "DataFormatError",
    "ModelFileError",
    "MissingDependencyError",
    "NotFittedError",
    "OutputError",
]


class ChemexplainError(Exception):
    """Base class of every user-facing error raised by chemexplain."""


class InvalidSmilesError(ChemexplainError, ValueError):
    """A SMILES string that RDKit cannot parse, or that cannot be tokenized.

    ``smiles`` holds the offending string and ``row`` its position in a batch
    (``None`` for a single molecule).
    """

    def __init__(self, smiles: str, reason: str = "RDKit could not parse it", row=None):
        self.smiles = smiles
        self.row = row
        self.reason = reason.removeprefix("invalid SMILES: ")  # an error row's text, re-raised
        where = f" (row {row!r})" if row is not None else ""
        super().__init__(f"invalid SMILES {smiles!r}{where}: {self.reason}")


class DatasetNotFoundError(ChemexplainError, FileNotFoundError):
    """A dataset file could not be found locally nor downloaded."""


class DataFormatError(ChemexplainError, ValueError):
    """A data file lacks a required column or holds unusable values."""


class ModelFileError(ChemexplainError, ValueError):
    """A saved model directory is missing, truncated, edited or mismatched."""


class NotFittedError(ChemexplainError, ValueError, AttributeError):
    """An estimator was used before ``fit`` (or ``load``).

    A ValueError and an AttributeError, like scikit-learn's own ``NotFittedError``,
    so code written for scikit-learn estimators catches it.
    """


class OutputError(ChemexplainError, OSError):
    """An output path that would lose data (it is the input, or exists) or cannot be written."""


class MissingDependencyError(ChemexplainError, ImportError):
    """An optional dependency (an extra such as ``chemexplain[dask]``) is not installed."""
