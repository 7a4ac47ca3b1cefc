"""Applicability domain: how close a molecule is to the molecules a model was trained on.

    domain = ApplicabilityDomain().fit(train_smiles)
    similarity, nearest = domain.nearest([mol])    # max Tanimoto (n,), nearest training SMILES
    domain.in_domain(similarity, heavy_atoms)      # similarity >= threshold, not larger

Fingerprints: Morgan, radius 2, 2048 bits (RDKit's ``MorganGenerator``);
similarity: the largest Tanimoto coefficient to any training molecule (RDKit
``BulkTanimotoSimilarity``). The threshold is calibrated by scaffold
cross-validation on ESOL (``python scripts/calibrate_domain.py``, figures in
``benchmarks/README.md``): molecules below it had measurably larger errors
on held-out scaffolds. A molecule with more heavy atoms than every training
molecule is out of domain too, whatever its similarity: Morgan bits do not
see chain length (every n-alkane from heptane on sets the same bits), and the
bundled model predicts C100 more soluble than C20. The domain is saved beside
the model (``domain/``, safetensors of packed fingerprint bits plus a JSON
config), so nothing is unpickled.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator

from chemexplain.errors import ModelFileError, NotFittedError

__all__ = [
    "ApplicabilityDomain",
    "DEFAULT_THRESHOLD",
    "DOMAIN_FORMAT",
    "SIZE_WARNING_START",
    "morgan_fingerprints",
]

DOMAIN_FORMAT = "chemexplain-applicability-domain"
#: calibrated on ESOL by 5-fold scaffold cross-validation (scripts/calibrate_domain.py)
DEFAULT_THRESHOLD = 0.35
RADIUS, N_BITS = 2, 2048
SIZE_WARNING_START = "larger than any training molecule"


def _generator(radius: int, n_bits: int):
    return rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)


def _on_bits(fingerprints, n_bits: int):
    """RDKit bit vectors as a sparse (n, n_bits) 0/1 int32 matrix (scipy CSR)."""
    from scipy import sparse

    on = [np.asarray(list(fp.GetOnBits()), dtype=np.int32) for fp in fingerprints]
    starts = np.cumsum([0] + [len(bits) for bits in on])
    columns = np.concatenate(on) if on else np.zeros(0, dtype=np.int32)
    ones = np.ones(len(columns), dtype=np.int32)
    return sparse.csr_matrix((ones, columns, starts), shape=(len(on), n_bits))


def morgan_fingerprints(mols: Sequence[Chem.Mol], radius: int = RADIUS, n_bits: int = N_BITS):
    """RDKit ``ExplicitBitVect`` Morgan fingerprints of ``mols`` (radius 2, 2048 bits)."""
    generator = _generator(radius, n_bits)
    return [generator.GetFingerprint(mol) for mol in mols]


class ApplicabilityDomain:
    """Nearest-training-molecule Tanimoto similarity and an in-domain threshold.

    ``fit(smiles)`` returns self and keeps ``smiles_`` and ``bits_``, the training
    fingerprints as a sparse (n, n_bits) 0/1 matrix (scipy CSR); ``fingerprints_`` gives
    them as RDKit bit vectors.
    """

    def __init__(
        self, threshold: float = DEFAULT_THRESHOLD, radius: int = RADIUS, n_bits: int = N_BITS
    ):
        self.threshold, self.radius, self.n_bits = threshold, radius, n_bits

    def fit(self, smiles: Sequence[str]) -> ApplicabilityDomain:
        """Fingerprint the training molecules (unparsable ones are left out)."""
        mols = [(s, Chem.MolFromSmiles(s)) for s in smiles]
        kept = [(s, m) for s, m in mols if m is not None]
        self._summary = None  # of the molecules replaced
        self.smiles_ = [s for s, _ in kept]
        fingerprints = morgan_fingerprints([m for _, m in kept], self.radius, self.n_bits)
        self.bits_ = _on_bits(fingerprints, self.n_bits)
        return self

    @property
    def fingerprints_(self) -> list:
        """The training fingerprints as RDKit ``ExplicitBitVect``s (built on each call)."""
        self._check_fitted()
        fingerprints = []
        for row in range(self.bits_.shape[0]):
            fp = DataStructs.ExplicitBitVect(self.n_bits)
            fp.SetBitsFromList(
                self.bits_.indices[self.bits_.indptr[row] : self.bits_.indptr[row + 1]].tolist()
            )
            fingerprints.append(fp)
        return fingerprints

    def _check_fitted(self) -> None:
        if not hasattr(self, "bits_"):
            raise NotFittedError("this ApplicabilityDomain is not fitted yet: call fit(smiles)")

    def nearest(self, mols: Sequence[Chem.Mol], block: int = 1024) -> tuple[np.ndarray, list[str]]:
        """(max Tanimoto similarity (n,), the nearest training molecule's SMILES) per molecule.

        The bits two fingerprints share are counted for all pairs at once, as a sparse
        product (scipy), then divided as RDKit's ``TanimotoSimilarity`` divides: the
        same numbers and the same first-most-similar molecule as a loop over RDKit's
        ``BulkTanimotoSimilarity``, 2-3x faster (``tests/chem/test_domain.py``);
        ``block`` molecules at a time, so memory stays bounded.
        """
        self._check_fitted()
        if not self.smiles_ or not len(mols):
            return np.zeros(len(mols)), [""] * len(mols)
        train = self.bits_
        best, similarities = np.zeros(len(mols), dtype=np.int64), np.zeros(len(mols))
        for start in range(0, len(mols), block):  # (block, n_train) floats at a time
            part = morgan_fingerprints(mols[start : start + block], self.radius, self.n_bits)
            queries = _on_bits(part, self.n_bits)
            common = (queries @ train.T).toarray()  # shared bits
            either = queries.getnnz(axis=1)[:, None] + train.getnnz(axis=1)[None, :] - common
            values = np.divide(common, either, out=np.zeros(common.shape), where=either > 0)
            best[start : start + block] = values.argmax(axis=1)  # the first most similar
            similarities[start : start + block] = values.max(axis=1)
        return similarities, [self.smiles_[i] for i in best]

    def _training_summary(self) -> dict:
        """What the checks need of the training molecules, from one parse, cached."""
        self._check_fitted()
        if getattr(self, "_summary", None) is None:
            from chemexplain.chem.standardize import isolated_charges

            mols = [m for m in map(Chem.MolFromSmiles, self.smiles_) if m is not None]
            self._summary = {
                "saw_ions": any(isolated_charges(m) for m in mols),
                "max_heavy_atoms": max((m.GetNumHeavyAtoms() for m in mols), default=0),
            }
        return self._summary

    def saw_ions(self) -> bool:
        """Whether any training molecule has an ion's charge (an ammonium, a carboxylate:
        :func:`~chemexplain.chem.standardize.isolated_charges`); a nitro group's is none."""
        return self._training_summary()["saw_ions"]

    def max_heavy_atoms(self) -> int:
        """The most heavy atoms of any training molecule (0 for none)."""
        return self._training_summary()["max_heavy_atoms"]

    def size_warning(self, mol: Chem.Mol) -> str:
        """A warning for a molecule larger than every training molecule; "" otherwise."""
        n, most = mol.GetNumHeavyAtoms(), self.max_heavy_atoms()
        if n <= most:
            return ""
        return f"{SIZE_WARNING_START}: {n} heavy atoms, the largest had {most}"

    def in_domain(
        self, similarity: np.ndarray, heavy_atoms: np.ndarray | None = None
    ) -> np.ndarray:
        """True where the similarity reaches the threshold and (given ``heavy_atoms``, one
        count per molecule) the molecule is no larger than the largest training molecule."""
        inside = np.asarray(similarity) >= self.threshold
        if heavy_atoms is not None:
            inside &= np.asarray(heavy_atoms) <= self.max_heavy_atoms()
        return inside

    def save(self, directory: str | os.PathLike) -> None:
        """``directory``: config.json (threshold, settings, SMILES) + packed bits (safetensors)."""
        from chemexplain.serialization import write_model_dir

        self._check_fitted()
        bits = self.bits_.toarray().astype(np.uint8)  # (n, n_bits) 0/1
        packed = torch.from_numpy(np.packbits(bits, axis=1))
        config = {
            "threshold": self.threshold,
            "radius": self.radius,
            "n_bits": self.n_bits,
            "smiles": self.smiles_,
        }
        write_model_dir(directory, config, {"fingerprints": packed}, fmt=DOMAIN_FORMAT)

    @classmethod
    def load(cls, directory: str | os.PathLike) -> ApplicabilityDomain:
        """Read what :meth:`save` wrote (checked; nothing unpickled)."""
        from chemexplain.serialization import bounded_float, bounded_int, read_model_dir

        config, tensors = read_model_dir(directory, fmt=DOMAIN_FORMAT)
        where = f"{Path(directory)}/config.json"
        domain = cls(
            bounded_float(config, "threshold", 0.0, 1.0, where),
            bounded_int(config, "radius", 0, 8, where),
            bounded_int(config, "n_bits", 8, 1 << 16, where),
        )
        smiles, packed = config.get("smiles"), tensors.get("fingerprints")
        n_bytes = domain.n_bits // 8
        if not isinstance(smiles, list) or not all(isinstance(s, str) for s in smiles):
            raise ModelFileError(f"{where}: 'smiles' must be a list of SMILES")
        if packed is None or tuple(packed.shape) != (len(smiles), n_bytes):
            raise ModelFileError(f"{directory}: the fingerprints do not match the SMILES list")
        from scipy import sparse

        bits = np.unpackbits(packed.numpy(), axis=1)[:, : domain.n_bits]
        domain.smiles_, domain._summary = smiles, None
        domain.bits_ = sparse.csr_matrix(bits.astype(np.int32))
        return domain
