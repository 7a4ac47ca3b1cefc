"""Read molecule files in chunks: .csv, .smi, .sdf and .parquet, with bounded memory.

Every reader yields ``pandas.DataFrame`` chunks holding the SMILES column
(as text, exactly as written) and the id column when there is one, plus a
``_read_error`` column that is non-empty for a record the file itself could
not give (an SDF block RDKit cannot read). Row order is the file's order.

- ``.csv``: ``smiles_col`` (default ``smiles``) and ``id_col`` if given.
- ``.smi``: one molecule per line, ``SMILES [name]`` separated by whitespace,
  no header; columns ``smiles`` and ``name``.
- ``.sdf``: the molecule written as SMILES by RDKit; ``id_col`` names an SD
  property (default: the title line, as ``name``).
- ``.parquet``: columns as in .csv, read in row batches with pyarrow.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from chemexplain.errors import DataFormatError

__all__ = ["FORMATS", "file_format", "read_chunks"]

FORMATS = ("csv", "smi", "sdf", "parquet")
READ_ERROR = "_read_error"


def file_format(path: str | os.PathLike) -> str:
    """The format named by a file's suffix (``.csv``, ``.smi``, ``.sdf``, ``.parquet``)."""
    suffix = Path(path).suffix.lower().lstrip(".")
    aliases = {"smiles": "smi", "txt": "smi", "sd": "sdf", "pq": "parquet"}
    suffix = aliases.get(suffix, suffix)
    if suffix not in FORMATS:
        raise DataFormatError(
            f"{path}: unknown file type {Path(path).suffix!r}; use one of "
            + ", ".join(f".{f}" for f in FORMATS)
        )
    return suffix


def _check_columns(columns, path, smiles_col: str, id_col: str | None) -> None:
    missing = [c for c in (smiles_col, id_col) if c and c not in columns]
    if missing:
        raise DataFormatError(
            f"{path} has no column {missing[0]!r}; its columns are {list(columns)} "
            "(choose with --smiles-col / --id-col)"
        )


def _csv_chunks(path, smiles_col, id_col, chunk_size) -> Iterator[pd.DataFrame]:
    header = pd.read_csv(path, nrows=0).columns
    _check_columns(header, path, smiles_col, id_col)
    columns = [c for c in (id_col, smiles_col) if c]
    reader = pd.read_csv(
        path,
        usecols=columns,
        dtype={c: str for c in columns},
        keep_default_na=False,
        chunksize=chunk_size,
    )
    for chunk in reader:
        chunk[READ_ERROR] = ""
        yield chunk[columns + [READ_ERROR]].reset_index(drop=True)


def _smi_chunks(path, chunk_size) -> Iterator[pd.DataFrame]:
    rows: list[tuple[str, str]] = []
    with open(path) as handle:
        for line in handle:
            parts = line.rstrip("\n").strip().split(None, 1)
            rows.append((parts[0] if parts else "", parts[1] if len(parts) > 1 else ""))
            if len(rows) == chunk_size:
                yield pd.DataFrame(rows, columns=["smiles", "name"]).assign(**{READ_ERROR: ""})
                rows = []
    if rows:
        yield pd.DataFrame(rows, columns=["smiles", "name"]).assign(**{READ_ERROR: ""})


def _sdf_chunks(path, id_col, chunk_size) -> Iterator[pd.DataFrame]:
    from rdkit import Chem

    from chemexplain.chem.parsing import RDLogger  # noqa: F401  (silences RDKit)

    name = id_col or "name"
    rows: list[tuple[str, str, str]] = []
    with open(path, "rb") as handle:
        for record, mol in enumerate(Chem.ForwardSDMolSupplier(handle)):
            if mol is None:
                rows.append(("", "", f"SDF record {record + 1} could not be read by RDKit"))
            else:
                ident = mol.GetProp(id_col) if id_col and mol.HasProp(id_col) else None
                if ident is None and not id_col:
                    ident = mol.GetProp("_Name") if mol.HasProp("_Name") else ""
                rows.append((ident or "", Chem.MolToSmiles(mol), ""))
            if len(rows) == chunk_size:
                yield pd.DataFrame(rows, columns=[name, "smiles", READ_ERROR])
                rows = []
    if rows:
        yield pd.DataFrame(rows, columns=[name, "smiles", READ_ERROR])


def _parquet_chunks(path, smiles_col, id_col, chunk_size) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    source = pq.ParquetFile(path)
    _check_columns(source.schema_arrow.names, path, smiles_col, id_col)
    columns = [c for c in (id_col, smiles_col) if c]
    for batch in source.iter_batches(batch_size=chunk_size, columns=columns):
        chunk = batch.to_pandas()
        chunk[READ_ERROR] = ""
        yield chunk


def read_chunks(
    path: str | os.PathLike,
    *,
    smiles_col: str = "smiles",
    id_col: str | None = None,
    chunk_size: int = 2048,
) -> tuple[Iterator[pd.DataFrame], str, str | None]:
    """(chunk iterator, SMILES column name, id column name) for a molecule file."""
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(f"no input file at {path}")
    kind = file_format(path)
    if kind == "csv":
        return _csv_chunks(path, smiles_col, id_col, chunk_size), smiles_col, id_col
    if kind == "parquet":
        return _parquet_chunks(path, smiles_col, id_col, chunk_size), smiles_col, id_col
    if kind == "smi":
        return _smi_chunks(path, chunk_size), "smiles", "name"
    return _sdf_chunks(path, id_col, chunk_size), "smiles", id_col or "name"
