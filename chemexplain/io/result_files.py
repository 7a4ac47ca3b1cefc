"""Write scored molecules to .csv, .parquet or .sdf, atomically and checked.

Rows go to a hidden temporary file beside the output (``.NAME.partial-PID``);
only :meth:`ResultWriter.commit` renames it to the output path, so a run that
is killed (even by SIGKILL) leaves nothing at the output path. Every format
checks what it wrote: files are flushed and fsynced before the rename (a full
disk raises there), Parquet's row count and SDF's record count are read back
and compared with the rows written. Any failure raises ``OutputError`` and
removes the temporary file. A run killed by SIGKILL leaves its temporary
file behind under its hidden name.

SDF output: one record per input row, in order, written by Python (RDKit's
``SDWriter`` swallows write errors). Valid rows hold the molecule with the
prediction, status and top atoms as SD properties and the per-atom weights as
the atom property list ``atom.dprop.weight`` (RDKit reads it back as the atom
property ``weight``); an error row is an empty molecule whose ``status`` and
``error`` properties say why. Line breaks inside values become spaces, so an
id can never end a record early.

From an SDF input, a valid row is written as the input's own structure (its
coordinates and hydrogen atoms; the ``molblocks`` the reader kept), with the
weights moved to the input's atom numbers and 0 on hydrogens, which the model
does not read. Where ``--standardize`` scored the input's largest fragment,
neutralized (a salt, a protonated pose from docking), the input's structure is
still written, its counter-ions at 0 too; where the scored molecule cannot be
found in the input's, the row's SMILES is written instead, as for other inputs.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from chemexplain.errors import DataFormatError, OutputError
from chemexplain.files import finish_file, temporary_path

__all__ = ["ResultWriter", "explanations_to_sdf", "OUTPUT_FORMATS", "RESULT_COLUMNS"]

OUTPUT_FORMATS = ("csv", "parquet", "sdf")
#: the columns a scored row adds to its input columns (plus ``standardized_smiles`` with
#: ``--standardize``)
RESULT_COLUMNS = [
    "prediction",
    "prediction_std",
    "top_atoms",
    "atom_weights",
    "method",
    "reference",
    "status",
    "error",
    "warning",
    "max_similarity",
    "nearest_training_smiles",
    "in_domain",
]


def _sd_value(value) -> str:
    """A property value on one line (SD values end at a blank line; ``$$$$`` ends a record)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return re.sub(r"[\r\n]+", " ", str(value))


def sdf_records(frame: pd.DataFrame, explanations, id_col: str | None, molblocks=None) -> str:
    """SDF text of one record per row of ``frame`` (columns of the result table);
    ``molblocks``: the input's structure per row ("" for none), from an SDF input."""
    from rdkit import Chem

    records = []
    blocks = [""] * len(frame) if molblocks is None else list(molblocks)
    for (_, row), e, block in zip(frame.iterrows(), explanations, blocks, strict=True):
        mol, weights, structure = Chem.Mol(), [], None
        if e.ok:
            structure = _input_structure(block, e.smiles) if block else None
            mol = Chem.Mol(e.mol) if structure is None else structure[0]
            weights = list(e.atom_weights)
            if structure is not None:  # atom k of e.smiles is input atom structure[1][k]
                weights = [0.0] * mol.GetNumAtoms()
                for k, index in enumerate(structure[1]):
                    weights[index] = float(e.atom_weights[k])
        numbered = {} if structure is None else _input_numbers(e, structure[1])
        if id_col:
            mol.SetProp("_Name", _sd_value(row[id_col]))
        for column, value in row.items():
            if column != "atom_weights":
                value = numbered.get(column, value)
                mol.SetProp(re.sub(r"[\r\n<>]+", "_", str(column)), _sd_value(value))
        if e.ok:
            mol.SetDoubleProp("prediction", float(e.prediction))
            for atom, weight in zip(mol.GetAtoms(), weights, strict=True):
                atom.SetDoubleProp("weight", float(weight))
            Chem.CreateAtomDoublePropertyList(mol, "weight")
        records.append(Chem.SDWriter.GetText(mol))
    return "".join(records)


def _input_numbers(e, numbers: list[int]) -> dict[str, str]:
    """``top_atoms`` and ``warning`` naming the scored molecule's atoms by the input
    structure's numbers (atom ``k`` of ``e.smiles`` is its atom ``numbers[k]``)."""
    from chemexplain.chem.standardize import renumber_ion_warning

    warning = renumber_ion_warning(e.warning, e.mol, numbers)
    return {"top_atoms": e.top_text(numbers), "warning": warning}


def _input_structure(block: str, smiles: str):
    """``(molecule with its hydrogens and coordinates, input atom index of each atom of
    smiles)`` when ``smiles`` is RDKit's SMILES of ``block``'s molecule or of its
    standardized form (:func:`~chemexplain.chem.standardize.atoms_of`), else None."""
    from rdkit import Chem

    from chemexplain.chem.standardize import atoms_of

    mol = Chem.MolFromMolBlock(block, removeHs=False)
    numbers = None if mol is None else atoms_of(mol, smiles)
    return None if numbers is None else (mol, numbers)


def _count_sdf_records(path: Path) -> int:
    with open(path, encoding="utf-8") as handle:
        return sum(1 for line in handle if line.rstrip("\r\n") == "$$$$")


class ResultWriter:
    """Append result chunks to a temporary file; ``commit()`` checks it and moves it into place."""

    def __init__(self, path: str | os.PathLike, id_col: str | None = None):
        self.path = Path(path)
        suffix = self.path.suffix.lower().lstrip(".")
        suffix = {"pq": "parquet", "sd": "sdf"}.get(suffix, suffix)
        if suffix not in OUTPUT_FORMATS:
            raise DataFormatError(
                f"{path}: unknown output type {self.path.suffix!r}; use .csv, .parquet or .sdf"
            )
        if not self.path.parent.is_dir():
            raise DataFormatError(f"the output folder {self.path.parent} does not exist")
        self.format, self.id_col = suffix, id_col
        self.temporary = temporary_path(self.path)
        self._handle = self._parquet = None
        self.rows = 0

    def _fail(self, error: OSError):
        self.abort()
        return OutputError(f"cannot write {self.path}: {error.strerror or error}")

    def write(self, frame: pd.DataFrame, explanations, molblocks=None) -> None:
        """Append ``frame`` (one row per explanation, in order); ``molblocks``: the
        input's structures for an SDF output (see the module docstring)."""
        try:
            if self.format == "parquet":
                import pyarrow as pa
                import pyarrow.parquet as pq

                table = pa.Table.from_pandas(frame, preserve_index=False)
                if self._parquet is None:
                    self._parquet = pq.ParquetWriter(self.temporary, table.schema)
                self._parquet.write_table(table.cast(self._parquet.schema))
            else:
                if self._handle is None:
                    self._handle = open(self.temporary, "w", newline="", encoding="utf-8")
                if self.format == "csv":
                    frame.to_csv(self._handle, header=self.rows == 0, index=False)
                else:
                    self._handle.write(sdf_records(frame, explanations, self.id_col, molblocks))
        except OSError as error:
            raise self._fail(error) from None
        self.rows += len(frame)

    def commit(self) -> None:
        """Finish, verify and rename the file to the output path (atomic on one filesystem)."""
        try:
            if self._parquet is not None:
                self._parquet.close()
                self._parquet = None
                import pyarrow.parquet as pq

                written = pq.ParquetFile(self.temporary).metadata.num_rows
                with open(self.temporary, "rb") as handle:
                    os.fsync(handle.fileno())
            else:
                if self._handle is None:
                    self._handle = open(self.temporary, "w", encoding="utf-8")
                finish_file(self._handle)
                self._handle = None
                written = _count_sdf_records(self.temporary) if self.format == "sdf" else self.rows
            if written != self.rows:
                self.abort()
                raise OutputError(
                    f"cannot write {self.path}: {written} of {self.rows} records read back"
                )
            os.replace(self.temporary, self.path)
        except OSError as error:
            if isinstance(error, OutputError):
                raise
            raise self._fail(error) from None
        except Exception as error:  # pyarrow reports a damaged file with its own errors
            self.abort()
            raise OutputError(f"cannot write {self.path}: {error}") from None

    def abort(self) -> None:
        """Close and delete the temporary file (errors while closing are ignored)."""
        for thing in (self._handle, self._parquet):
            if thing is not None:
                try:
                    thing.close()
                except Exception:  # the file is being thrown away
                    pass
        self._handle = self._parquet = None
        self.temporary.unlink(missing_ok=True)


def explanations_to_sdf(explanations, path: str | os.PathLike) -> None:
    """Write explanations to an SDF file (see the module docstring for its layout)."""
    from chemexplain.files import write_atomically

    frame = pd.DataFrame([e.to_dict() for e in explanations])
    write_atomically(path, sdf_records(frame, explanations, None))
