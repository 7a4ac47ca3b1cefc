"""Read molecule files in chunks: .csv, .smi, .sdf and .parquet, with bounded memory.

Every reader yields ``pandas.DataFrame`` chunks holding the SMILES column
(as text, exactly as written), the id column when there is one and the
file's other columns (all, or those named in ``columns``), plus a
``_read_error`` column that is non-empty for a record the file itself could
not give (an SDF block RDKit cannot read). Row order is the file's order,
one row per record: a blank CSV line is a row (with an empty SMILES).

- ``.csv``: every column, as text (``smiles_col``, default ``smiles``); comma-,
  semicolon- (ChEMBL's exports) or tab-separated, as the header line shows
  (:func:`~chemexplain.data.datasets.csv_separator`). ``.tsv``: tab-separated; so is
  ``.cxsmiles`` (a header line, then CXSMILES and ids, as Enamine ships REAL).
- ``.smi``: one molecule per line, ``SMILES [name]`` separated by whitespace,
  no header; columns ``smiles`` and ``name`` (a byte that is not UTF-8, as in a
  Latin-1 name, reads as U+FFFD; SMILES are ASCII).
- ``.sdf``: the molecule written as SMILES by RDKit (canonical, hydrogens
  implicit); ``id_col`` names an SD property (default: the title line, as
  ``name``); every SD property of the file is a column (text; one named like the
  title, the ``smiles`` or a result column is renamed ``sd_<name>``), empty where a record lacks
  it. The hidden ``_molblock`` column keeps each record's structure (coordinates,
  hydrogens) for an SDF output.
- ``.parquet``: columns as in .csv, with their types, read in row batches with pyarrow.

Text formats may be compressed, as ZINC, Enamine and ChEMBL ship them (``.smi.gz``,
``.csv.gz``, ``.sdf.gz``, ``.tsv.bz2``, ...): they are decompressed as they are read, and a
damaged one is one ``DataFormatError`` naming the file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from chemexplain.chem.parsing import CXSMILES_EXTENSION
from chemexplain.data.datasets import (
    compressed_errors_named,
    compression,
    csv_separator,
    did_you_mean,
    open_text,
    plain_suffix,
)
from chemexplain.errors import DataFormatError

__all__ = [
    "FORMATS",
    "HIDDEN_COLUMNS",
    "MOLBLOCK",
    "MoleculeFile",
    "file_format",
    "read_chunks",
    "count_rows",
    "read_rows",
]

FORMATS = ("csv", "smi", "sdf", "parquet")
READ_ERROR = "_read_error"
#: an SDF record's molecule block (up to ``M  END``): the structure an SDF output writes back
MOLBLOCK = "_molblock"
#: columns a reader adds for the scorer, never written out
HIDDEN_COLUMNS = [READ_ERROR, MOLBLOCK]


def file_format(path: str | os.PathLike) -> str:
    """The format named by a file's suffix (``.csv``, ``.tsv`` or ``.cxsmiles``, ``.smi``,
    ``.sdf``, ``.parquet``), the text ones compressed or not (``.smi.gz``, ``.csv.bz2``)."""
    suffix = plain_suffix(path).lstrip(".")
    aliases = {
        "smiles": "smi",
        "txt": "smi",
        "sd": "sdf",
        "pq": "parquet",
        "tsv": "csv",  # tables that csv_separator reads by tabs
        "cxsmiles": "csv",
    }
    suffix = aliases.get(suffix, suffix)
    if suffix not in FORMATS or (suffix == "parquet" and compression(path)):
        raise DataFormatError(
            f"{path}: unknown file type {''.join(Path(path).suffixes[-2:])!r}; use one of "
            ".csv, .tsv, .cxsmiles, .smi, .sdf, .parquet (the text ones may be compressed: "
            ".smi.gz, .smi.bz2)"
        )
    return suffix


def _select_columns(found, path, smiles_col: str, id_col: str | None, keep) -> list[str]:
    """The input columns to read: id, SMILES, then ``keep`` (None: every other column)."""
    found = [str(c) for c in found]
    wanted = [c for c in (id_col, smiles_col) if c]
    missing = [c for c in [*wanted, *(keep or [])] if c not in found]
    if missing:
        raise DataFormatError(
            f"{path} has no column {missing[0]!r}; its columns are {found} "
            f"(choose with --smiles-col / --id-col / --columns){did_you_mean(missing[0], found)}"
        )
    others = found if keep is None else keep
    return wanted + [c for c in others if c not in wanted]


def _csv_header(path, sep: str) -> list[str]:
    try:
        return [str(c) for c in pd.read_csv(path, nrows=0, sep=sep).columns]
    except pd.errors.EmptyDataError:
        raise DataFormatError(f"{path} is empty: a CSV input needs a header line") from None
    except UnicodeDecodeError:
        raise DataFormatError(f"{path} is not UTF-8 text; save it as UTF-8 CSV") from None
    except pd.errors.ParserError as error:
        raise DataFormatError(f"cannot read {path} as CSV: {error}") from None


#: ``pd.read_csv`` options that read a molecule table as written: every cell as text
#: ("NA" or "None" is a name, not a missing value), a blank line as a row of its own
#: (one output row per input row)
_AS_WRITTEN = {"dtype": str, "keep_default_na": False, "skip_blank_lines": False}


def _csv_chunks(path, columns, chunk_size, sep: str) -> Iterator[pd.DataFrame]:
    reader = pd.read_csv(path, sep=sep, usecols=columns, chunksize=chunk_size, **_AS_WRITTEN)
    try:
        for chunk in reader:
            chunk = chunk.fillna("")
            chunk[READ_ERROR] = ""
            yield chunk[columns + [READ_ERROR]].reset_index(drop=True)
    except UnicodeDecodeError:
        raise DataFormatError(f"{path} is not UTF-8 text; save it as UTF-8 CSV") from None
    except pd.errors.ParserError as error:
        raise DataFormatError(f"cannot read {path} as CSV: {error}") from None


#: a .smi line: the SMILES, its CXSMILES extension ``|...|`` if any, then the name
_SMI_LINE = re.compile(rf"(\S*)(?:\s+({CXSMILES_EXTENSION}))?(?:\s+(.*))?")


def _smi_chunks(path, chunk_size) -> Iterator[pd.DataFrame]:
    rows: list[tuple[str, str]] = []
    with open_text(path, errors="replace") as handle:  # a Latin-1 name: U+FFFD, row kept
        for line in handle:
            smiles, extension, name = _SMI_LINE.fullmatch(line.strip()).groups()
            smiles = f"{smiles} {extension}" if extension else smiles  # "C[C@H](O)CC |&1:1|"
            rows.append((smiles, name or ""))
            if len(rows) == chunk_size:
                yield pd.DataFrame(rows, columns=["smiles", "name"]).assign(**{READ_ERROR: ""})
                rows = []
    if rows:
        yield pd.DataFrame(rows, columns=["smiles", "name"]).assign(**{READ_ERROR: ""})


def _sdf_records(handle) -> Iterator[list[str]]:
    """The lines of each SDF record (up to its ``$$$$`` line), in order; a trailing
    record without ``$$$$`` counts unless it is only blank lines."""
    lines: list[str] = []
    for line in handle:
        line = line.rstrip("\r\n")
        if line == "$$$$":
            yield lines
            lines = []
        else:
            lines.append(line)
    if any(line.strip() for line in lines):
        yield lines


def _sd_properties(lines: list[str]) -> dict[str, str]:
    """SD data items after ``M  END``: ``> <name>`` then value lines up to a blank line."""
    properties: dict[str, str] = {}
    try:
        start = next(i for i, line in enumerate(lines) if line.startswith("M  END")) + 1
    except StopIteration:
        return properties
    name, value = None, []
    for line in lines[start:] + [""]:
        if name is None:
            match = re.match(r">.*<([^>]*)>", line)
            if match:
                name, value = match.group(1), []
        elif line.strip() == "":
            properties[name] = "\n".join(value)
            name = None
        else:
            value.append(line)
    return properties


def _sdf_columns(path, id_col: str | None) -> dict[str, str]:
    """{column: SD property} for every property name in the file, in order of first
    appearance (one pass over the text); a property named like the title, the ``smiles``
    column or a result column (an SDF that ``score`` wrote) becomes ``sd_<name>``."""
    from chemexplain.io.result_files import RESULT_COLUMNS

    found: dict[str, str] = {}
    taken = {id_col or "name", "smiles", "standardized_smiles", *RESULT_COLUMNS}
    with open_text(path, errors="replace") as handle:
        in_data = False
        for line in handle:
            if line.startswith("M  END"):
                in_data = True
            elif line.startswith("$$$$"):
                in_data = False
            elif in_data and line.startswith(">") and (match := re.match(r">.*<([^>]*)>", line)):
                prop = match.group(1)
                if prop != id_col:
                    found.setdefault(f"sd_{prop}" if prop in taken else prop, prop)
    return found


def _sdf_chunks(path, id_col, chunk_size, properties: dict[str, str]) -> Iterator[pd.DataFrame]:
    """One row per SDF record, empty and damaged ones included (with their reason):
    id, SMILES, the ``properties`` ({column: SD property}), the read error, the molblock."""
    from rdkit import Chem

    from chemexplain.chem.parsing import RDLogger  # noqa: F401  (silences RDKit)

    columns = [id_col or "name", "smiles", *properties, READ_ERROR, MOLBLOCK]
    rows: list[tuple] = []
    with open_text(path, errors="replace") as handle:
        for record, lines in enumerate(_sdf_records(handle), start=1):
            found = _sd_properties(lines)
            ident = found.get(id_col, "") if id_col else (lines[0] if lines else "")
            values = [found.get(prop, "") for prop in properties.values()]
            end = next((i for i, line in enumerate(lines) if line.startswith("M  END")), None)
            block = "\n".join(lines if end is None else lines[: end + 1]) + "\n"
            if not any(line.strip() for line in lines):
                smiles, error = "", f"SDF record {record} is empty"
            elif (mol := Chem.MolFromMolBlock(block)) is None:
                smiles, error = "", f"SDF record {record} could not be read by RDKit"
            elif mol.GetNumAtoms() == 0:
                smiles, error = "", f"SDF record {record} holds no atoms"
            else:
                smiles, error = Chem.MolToSmiles(mol), ""
            rows.append((ident, smiles, *values, error, "" if error else block))
            if len(rows) == chunk_size:
                yield pd.DataFrame(rows, columns=columns)
                rows = []
    if rows:
        yield pd.DataFrame(rows, columns=columns)


def _selected(chunks: Iterator[pd.DataFrame], columns: list[str]) -> Iterator[pd.DataFrame]:
    for chunk in chunks:
        yield chunk[columns + HIDDEN_COLUMNS]


def _parquet_file(path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as error:
        raise DataFormatError(f"cannot read {path} as Parquet: {error}") from None


def _parquet_chunks(source, columns, chunk_size) -> Iterator[pd.DataFrame]:
    for batch in source.iter_batches(batch_size=chunk_size, columns=columns):
        chunk = batch.to_pandas()
        chunk[READ_ERROR] = ""
        yield chunk


@dataclass
class MoleculeFile:
    """A molecule file opened for chunked reading (see :func:`read_chunks`)."""

    chunks: Iterator[pd.DataFrame]
    smiles_col: str
    id_col: str | None
    columns: list[str]  # input columns of every chunk, id and SMILES first


def read_chunks(
    path: str | os.PathLike,
    *,
    smiles_col: str = "smiles",
    id_col: str | None = None,
    columns: list[str] | None = None,
    chunk_size: int = 2048,
) -> MoleculeFile:
    """Open a molecule file for reading in chunks of ``chunk_size`` rows.

    ``columns``: the other input columns to keep (None: all of a CSV's or
    Parquet file's, every SD property of an SDF; a .smi file gives only its SMILES
    and name).
    A missing column or an unreadable header raises ``DataFormatError`` here,
    before any chunk is read.
    """
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(f"no input file at {path}")
    if chunk_size < 1:
        raise DataFormatError(f"the chunk size must be 1 or more, got {chunk_size}")
    if id_col is not None and id_col == smiles_col:
        raise DataFormatError(f"the id column and the SMILES column are both {id_col!r}")
    kind = file_format(path)
    with compressed_errors_named(path):  # a plain file's errors pass unchanged
        source = _open_chunks(path, kind, smiles_col, id_col, columns, chunk_size)
    if compression(path):
        source.chunks = _decompressed(source.chunks, path)
    return source


def _decompressed(chunks: Iterator[pd.DataFrame], path) -> Iterator[pd.DataFrame]:
    """``chunks`` of a compressed file, its damage as one ``DataFormatError``."""
    with compressed_errors_named(path):
        yield from chunks


def _open_chunks(path: Path, kind: str, smiles_col, id_col, columns, chunk_size) -> MoleculeFile:
    """:func:`read_chunks` once its arguments are checked."""
    if kind == "csv":
        sep = csv_separator(path)  # the header line, read once
        selected = _select_columns(_csv_header(path, sep), path, smiles_col, id_col, columns)
        chunks = _csv_chunks(path, selected, chunk_size, sep)
        return MoleculeFile(chunks, smiles_col, id_col, selected)
    if kind == "parquet":
        source = _parquet_file(path)
        selected = _select_columns(source.schema_arrow.names, path, smiles_col, id_col, columns)
        chunks = _parquet_chunks(source, selected, chunk_size)
        return MoleculeFile(chunks, smiles_col, id_col, selected)
    if kind == "smi":
        return MoleculeFile(_smi_chunks(path, chunk_size), "smiles", "name", ["name", "smiles"])
    name, properties = id_col or "name", _sdf_columns(path, id_col)
    selected = _select_columns([name, "smiles", *properties], path, "smiles", name, columns)
    chunks = _selected(_sdf_chunks(path, id_col, chunk_size, properties), selected)
    return MoleculeFile(chunks, "smiles", name, selected)


def count_rows(
    path: str | os.PathLike, *, smiles_col: str = "smiles", id_col: str | None = None
) -> int:
    """How many rows :func:`read_chunks` gives for ``path``, without parsing any molecule.

    CSV: parsed rows of the SMILES column (a blank line counts, as in
    ``read_chunks``); .smi: lines; .sdf: records (as ``read_chunks`` splits
    them); .parquet: the row count of its metadata.
    """
    source = read_chunks(path, smiles_col=smiles_col, id_col=id_col, columns=[], chunk_size=65536)
    kind = file_format(path)
    if kind == "parquet":
        return _parquet_file(path).metadata.num_rows
    with compressed_errors_named(path):
        if kind == "smi":
            with open_text(path, errors="replace") as handle:
                return sum(1 for _ in handle)
        if kind == "sdf":
            with open_text(path, errors="replace") as handle:
                return sum(1 for _ in _sdf_records(handle))
    return sum(len(chunk) for chunk in source.chunks)  # the id and SMILES columns only


def read_rows(
    path: str | os.PathLike,
    start: int,
    stop: int,
    *,
    smiles_col: str = "smiles",
    id_col: str | None = None,
    columns: list[str] | None = None,
    chunk_size: int = 2048,
) -> Iterator[pd.DataFrame]:
    """Rows ``start`` to ``stop - 1`` (counting from 0) of ``path``, in chunks of at most
    ``chunk_size``, exactly as :func:`read_chunks` gives them.

    The rows before ``start`` are read and dropped (a CSV has no row index to
    seek to), which costs far less than scoring them.
    """
    source = read_chunks(
        path, smiles_col=smiles_col, id_col=id_col, columns=columns, chunk_size=chunk_size
    )
    offset = 0
    for chunk in source.chunks:
        low, high = max(start - offset, 0), min(stop - offset, len(chunk))
        offset += len(chunk)
        if low < high:
            yield chunk.iloc[low:high].reset_index(drop=True)
        if offset >= stop:
            break
