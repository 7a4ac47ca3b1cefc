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
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from chemexplain.errors import DataFormatError, OutputError
from chemexplain.io.output_paths import finish_file, temporary_path

__all__ = ["ResultWriter", "explanations_to_sdf", "OUTPUT_FORMATS"]

OUTPUT_FORMATS = ("csv", "parquet", "sdf")


def _sd_value(value) -> str:
    """A property value on one line (SD values end at a blank line; ``$$$$`` ends a record)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return re.sub(r"[\r\n]+", " ", str(value))


def sdf_records(frame: pd.DataFrame, explanations, id_col: str | None) -> str:
    """SDF text of one record per row of ``frame`` (columns of the result table)."""
    from rdkit import Chem

    records = []
    for (_, row), e in zip(frame.iterrows(), explanations, strict=True):
        mol = Chem.Mol(e.mol) if e.ok else Chem.Mol()
        if id_col:
            mol.SetProp("_Name", _sd_value(row[id_col]))
        for column, value in row.items():
            if column != "atom_weights":
                mol.SetProp(re.sub(r"[\r\n<>]+", "_", str(column)), _sd_value(value))
        if e.ok:
            mol.SetDoubleProp("prediction", float(e.prediction))
            for atom, weight in zip(mol.GetAtoms(), e.atom_weights, strict=True):
                atom.SetDoubleProp("weight", float(weight))
            Chem.CreateAtomDoublePropertyList(mol, "weight")
        records.append(Chem.SDWriter.GetText(mol))
    return "".join(records)


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

    def write(self, frame: pd.DataFrame, explanations) -> None:
        """Append ``frame`` (one row per explanation, in order)."""
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
                    self._handle.write(sdf_records(frame, explanations, self.id_col))
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
    from chemexplain.io.output_paths import write_text_atomically

    frame = pd.DataFrame([e.to_dict() for e in explanations])
    write_text_atomically(path, sdf_records(frame, explanations, None))
