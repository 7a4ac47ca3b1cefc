"""Write scored molecules to .csv, .parquet or .sdf, atomically.

Rows go to a hidden temporary file beside the output (``.NAME.partial-PID``);
only :meth:`ResultWriter.commit` renames it to the output path, so a run that
is killed (even by SIGKILL) leaves nothing at the output path. A killed run's
temporary file stays behind under its hidden name.

SDF output: one record per input row, in order. Valid rows hold the molecule
with the prediction, status and top atoms as SD properties and the per-atom
weights as the atom property list ``atom.dprop.weight`` (RDKit reads it back
as the atom property ``weight``); an error row is an empty molecule whose
``status`` and ``error`` properties say why.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from chemexplain.errors import DataFormatError

__all__ = ["ResultWriter", "explanations_to_sdf"]

OUTPUT_FORMATS = ("csv", "parquet", "sdf")


def _sd_value(value) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def write_sdf_records(writer, frame: pd.DataFrame, explanations, id_col: str | None) -> None:
    """Append one SDF record per row of ``frame`` (columns of the result table)."""
    from rdkit import Chem

    for (_, row), e in zip(frame.iterrows(), explanations, strict=True):
        mol = Chem.Mol(e.mol) if e.ok else Chem.Mol()
        if id_col:
            mol.SetProp("_Name", _sd_value(row[id_col]))
        for column, value in row.items():
            if column != "atom_weights":
                mol.SetProp(str(column), _sd_value(value))
        if e.ok:
            mol.SetDoubleProp("prediction", float(e.prediction))
            for atom, weight in zip(mol.GetAtoms(), e.atom_weights, strict=True):
                atom.SetDoubleProp("weight", float(weight))
            Chem.CreateAtomDoublePropertyList(mol, "weight")
        writer.write(mol)


def explanations_to_sdf(explanations, path: str | os.PathLike) -> None:
    """Write explanations to an SDF file (see the module docstring for its layout)."""
    from rdkit import Chem

    frame = pd.DataFrame([e.to_dict() for e in explanations])
    writer = Chem.SDWriter(os.fspath(path))
    try:
        write_sdf_records(writer, frame, explanations, None)
    finally:
        writer.close()


class ResultWriter:
    """Append result chunks to a temporary file; ``commit()`` moves it into place."""

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
        self.temporary = self.path.parent / f".{self.path.name}.partial-{os.getpid()}"
        self._handle = self._parquet = self._sdf = None
        self.rows = 0

    def write(self, frame: pd.DataFrame, explanations) -> None:
        """Append ``frame`` (one row per explanation, in order)."""
        if self.format == "csv":
            if self._handle is None:
                self._handle = open(self.temporary, "w", newline="")
            frame.to_csv(self._handle, header=self.rows == 0, index=False)
        elif self.format == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(frame, preserve_index=False)
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self.temporary, table.schema)
            self._parquet.write_table(table.cast(self._parquet.schema))
        else:
            from rdkit import Chem

            if self._sdf is None:
                self._sdf = Chem.SDWriter(str(self.temporary))
            write_sdf_records(self._sdf, frame, explanations, self.id_col)
        self.rows += len(frame)

    def _close(self) -> None:
        for thing in (self._handle, self._parquet, self._sdf):
            if thing is not None:
                thing.close()
        self._handle = self._parquet = self._sdf = None

    def commit(self) -> None:
        """Finish the file and rename it to the output path (atomic on one filesystem)."""
        if self.rows == 0 and self.format == "csv":
            open(self.temporary, "w").close()
        if self.rows == 0 and self.format == "parquet":
            raise DataFormatError("the input holds no molecules; nothing to write")
        self._close()
        if self.format == "sdf" and not self.temporary.exists():
            open(self.temporary, "w").close()
        os.replace(self.temporary, self.path)

    def abort(self) -> None:
        """Close and delete the temporary file."""
        self._close()
        self.temporary.unlink(missing_ok=True)
