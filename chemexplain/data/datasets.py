"""Find, verify and load the benchmark datasets (ESOL, FreeSolv) and user CSV files.

Files are looked up through an explicit path, then ``$CHEMEXPLAIN_DATA``, then
the user cache, then the copy shipped inside the package (ESOL and FreeSolv
are small: about 100 KB and 30 KB), and only when that copy is missing
downloaded from the public URL of the manifest. Every copy but an explicit
path is checked against the manifest's sha256. See ``datasets/README.md``.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import json
import os
import tempfile
import urllib.request
import warnings
import zlib
from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path

import pandas as pd

from chemexplain.errors import DataFormatError, DatasetNotFoundError
from chemexplain.serialization import sha256_of

__all__ = [
    "COMPRESSIONS",
    "MANIFEST",
    "cache_dir",
    "compressed_errors_named",
    "compression",
    "csv_separator",
    "find_dataset",
    "load_dataset",
    "load_esol",
    "load_freesolv",
    "load_csv",
    "open_text",
    "packaged_path",
    "plain_suffix",
    "sha256_of",
]

MANIFEST: dict[str, dict] = json.loads(
    resources.files("chemexplain.data").joinpath("manifest.json").read_text()
)


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/chemexplain`` or ``~/.cache/chemexplain`` (not created)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "chemexplain"


def _check(path: Path, entry: dict) -> Path:
    found = sha256_of(path)
    if found != entry["sha256"]:
        raise DatasetNotFoundError(
            f"{path} has sha256 {found}, expected {entry['sha256']}: the file is not the "
            f"MoleculeNet original (delete it, or pass it explicitly with path=... to use it anyway)"
        )
    return path


def _download(url: str, destination: Path, entry: dict) -> Path:
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=destination.parent, suffix=".part")
    os.close(handle)
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(partial, "wb") as out:
            while block := response.read(1 << 20):
                out.write(block)
        _check(Path(partial), entry)
        os.replace(partial, destination)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    return destination


def packaged_path(name: str) -> Path | None:
    """The copy of dataset ``name`` shipped inside the package, or None if it is absent."""
    relative = MANIFEST[name].get("packaged")
    if not relative:
        return None
    path = Path(str(resources.files("chemexplain.data").joinpath(relative)))
    return path if path.is_file() else None


def find_local_copy(path, names: Sequence[str], what: str, fix: str) -> Path:
    """A dataset the user keeps locally (never downloaded): ``path``, else one of
    ``names`` in ``$CHEMEXPLAIN_DATA``, else in the user cache.

    Raises ``DatasetNotFoundError`` listing every place looked and ``fix``.
    """
    candidates = [Path(path)] if path is not None else []
    if os.environ.get("CHEMEXPLAIN_DATA"):
        candidates += [Path(os.environ["CHEMEXPLAIN_DATA"]) / name for name in names]
    candidates += [cache_dir() / name for name in names]
    for candidate in candidates:
        if candidate.exists():
            return candidate
    looked = ", ".join(str(c) for c in candidates)
    raise DatasetNotFoundError(f"{what} not found; looked in: {looked}. Fix: {fix}")


def find_dataset(name: str, path: str | os.PathLike | None = None) -> Path:
    """Path of dataset ``name`` ("esol" or "freesolv"); see the module docstring for the order.

    Raises ``DatasetNotFoundError`` with instructions when every place fails.
    """
    if name not in MANIFEST:
        raise DatasetNotFoundError(f"unknown dataset {name!r}; known: {', '.join(MANIFEST)}")
    entry = MANIFEST[name]
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise DatasetNotFoundError(f"{path} does not exist")
        return path
    tried = []
    env = os.environ.get("CHEMEXPLAIN_DATA")
    if env:
        for candidate in (
            Path(env) / entry["subdir"] / entry["filename"],
            Path(env) / entry["filename"],
        ):
            if candidate.is_file():
                return _check(candidate, entry)
            tried.append(str(candidate))
    else:
        tried.append("$CHEMEXPLAIN_DATA (not set)")
    cached = cache_dir() / entry["filename"]
    if cached.is_file():
        return _check(cached, entry)
    tried.append(str(cached))
    packaged = packaged_path(name)
    if packaged is not None:
        return _check(packaged, entry)
    tried.append("the copy inside the package (missing: reinstall chemexplain)")
    if os.environ.get("CHEMEXPLAIN_OFFLINE"):
        tried.append(f"download from {entry['url']} (skipped: CHEMEXPLAIN_OFFLINE is set)")
    else:
        try:
            return _download(entry["url"], cached, entry)
        except DatasetNotFoundError:
            raise
        except Exception as error:  # network errors come in many types
            tried.append(f"download from {entry['url']} ({type(error).__name__}: {error})")
    raise DatasetNotFoundError(
        f"dataset {name!r} ({entry['filename']}) not found. Tried: {'; '.join(tried)}. "
        f"Fix: download {entry['url']} and set CHEMEXPLAIN_DATA to its folder, "
        f"or pass the file's path explicitly."
    )


#: compressed text read on the fly, by suffix: (its name, the bytes every such file starts with)
COMPRESSIONS = {".gz": ("gzip", b"\x1f\x8b"), ".bz2": ("bz2", b"BZh")}


def compression(path: str | os.PathLike) -> str | None:
    """``"gzip"`` or ``"bz2"`` when ``path`` is named as such a file (``library.smi.gz``,
    ``.csv.bz2``), else None."""
    found = COMPRESSIONS.get(Path(path).suffix.lower())
    return found[0] if found else None


def plain_suffix(path: str | os.PathLike) -> str:
    """The suffix that names the format, lowercase, a compression suffix aside: ``.csv``
    for ``a.CSV`` and for ``a.csv.gz``."""
    path = Path(path)
    return (path.with_suffix("") if compression(path) else path).suffix.lower()


def _opener(path: str | os.PathLike):
    """``open``, or gzip's or bz2's, as ``path`` is named."""
    return {"gzip": gzip.open, "bz2": bz2.open}.get(compression(path), open)


def open_text(path: str | os.PathLike, errors: str = "strict"):
    """A UTF-8 text handle on ``path``, decompressed on the fly when it is named ``.gz`` or
    ``.bz2``. A byte-order mark at the start (Windows Notepad's "UTF-8 with BOM") is
    dropped, not read as part of the first SMILES or title."""
    return _opener(path)(path, "rt", encoding="utf-8-sig", errors=errors)


@contextlib.contextmanager
def compressed_errors_named(path: str | os.PathLike) -> Iterator[None]:
    """Inside: a compressed file that is not what its name says, cut short or corrupt
    raises one ``DataFormatError`` naming it (a plain file's errors pass unchanged)."""
    kind = compression(path)
    if kind is None:
        yield
        return
    magic = COMPRESSIONS[Path(path).suffix.lower()][1]
    with open(path, "rb") as handle:
        if handle.read(len(magic)) != magic:
            raise DataFormatError(f"{path} is named {Path(path).suffix} but is not a {kind} file")
    try:
        yield
    except (EOFError, zlib.error, OSError) as error:  # gzip's and bz2's damage is an OSError
        raise DataFormatError(f"cannot read {path} as {kind}: {error}") from None


def csv_separator(path: str | os.PathLike) -> str:
    """The field separator of a CSV file (compressed or not): a tab for ``.tsv`` and
    ``.cxsmiles`` (Enamine's tab-separated tables, whose CXSMILES hold commas); else the one
    its header line holds: ``,`` when it holds one, else ``;`` (ChEMBL's CSV exports),
    else a tab."""
    if plain_suffix(path) in (".tsv", ".cxsmiles"):
        return "\t"
    try:
        with open_text(path, errors="replace") as handle:
            header = handle.readline()
    except (OSError, EOFError):  # the reader that follows reports it
        return ","
    return next((sep for sep in (",", ";", "\t") if sep in header), ",")


def read_csv_file(path: Path) -> pd.DataFrame:
    """``pd.read_csv`` (separator: :func:`csv_separator`) whose parse errors become
    ``DataFormatError``."""
    try:
        with compressed_errors_named(path):
            return pd.read_csv(path, sep=csv_separator(path))
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as error:
        raise DataFormatError(f"cannot read {path} as CSV: {error}") from None


def load_dataset(name: str, path: str | os.PathLike | None = None) -> pd.DataFrame:
    """Load a manifest dataset as a DataFrame with ``smiles``, the target and ``name``.

    The target column is renamed to the manifest's ``target_name`` (``logS`` in
    log10 mol/L for ESOL, ``dG_hydration`` in kcal/mol for FreeSolv). SMILES
    are whitespace-stripped; row order is the file's.
    """
    file = find_dataset(name, path)
    entry = MANIFEST[name]
    raw = read_csv_file(file)
    frame = _select(raw, entry["smiles_column"], entry["target_column"], file)
    frame = frame.rename(columns={entry["target_column"]: entry["target_name"]})
    if entry.get("name_column") in raw.columns:
        frame["name"] = raw[entry["name_column"]].astype(str).str.strip().to_numpy()
    return frame


def did_you_mean(column: str, found) -> str:
    """``"; did you mean 'Smiles'?"`` when one of ``found`` is ``column`` but for case
    (ChEMBL writes 'Smiles', PubChem 'SMILES'), else ``""``."""
    alike = [str(c) for c in found if str(c).lower() == column.lower()]
    return f"; did you mean {alike[0]!r}?" if len(alike) == 1 else ""


def _select(raw: pd.DataFrame, smiles_col: str, target_col: str | None, file) -> pd.DataFrame:
    for column in (smiles_col, target_col):
        if column is not None and column not in raw.columns:
            raise DataFormatError(
                f"{file} has no column {column!r}; its columns are: "
                f"{', '.join(map(str, raw.columns))}{did_you_mean(column, raw.columns)}"
            )
    frame = pd.DataFrame({"smiles": raw[smiles_col].astype("string").str.strip()})
    if target_col is not None:
        values = pd.to_numeric(raw[target_col].astype(str).str.strip(), errors="coerce")
        frame[target_col] = values.astype(float)
    return frame


def load_esol(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """ESOL (Delaney 2004): 1128 molecules, ``smiles`` and ``logS`` (log10 mol/L)."""
    return load_dataset("esol", path)


def load_freesolv(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """FreeSolv (Mobley & Guthrie 2014): 642 molecules, ``smiles`` and ``dG_hydration`` (kcal/mol)."""
    return load_dataset("freesolv", path)


def _read_sdf(path: Path) -> pd.DataFrame:
    """An SDF's readable records as rows: ``smiles``, ``name`` (the title) and the SD
    properties (text); a warning counts the records RDKit could not read."""
    from rdkit.Chem import PandasTools

    from chemexplain.chem.parsing import RDLogger  # noqa: F401  (silences RDKit)

    with compressed_errors_named(path):  # counted first: RDKit turns damage into SystemError
        with open_text(path, errors="replace") as handle:
            records = sum(1 for line in handle if line.rstrip("\r\n") == "$$$$")
        with _opener(path)(path, "rb") as handle:  # LoadSDF opens .gz by name, not .bz2
            frame = PandasTools.LoadSDF(handle, idName="name", molColName=None, smilesName="smiles")
    if len(frame) < records:
        warnings.warn(
            f"{path}: dropped {records - len(frame)} of {records} SDF records that RDKit "
            "cannot read",
            stacklevel=3,
        )
    return frame.reset_index(drop=True)


def load_csv(
    path: str | os.PathLike, smiles_col: str = "smiles", target_col: str | None = None
) -> pd.DataFrame:
    """Load a user CSV as ``smiles`` plus the (numeric) ``target_col``.

    An SDF (``.sdf``) works the same way: its SD properties are its columns and
    ``smiles`` is RDKit's SMILES of each record (RDKit ``PandasTools.LoadSDF``);
    records RDKit cannot read are dropped with a warning that counts them.

    Rows whose SMILES or target is missing, and rows whose SMILES RDKit cannot
    read, are dropped with a warning that counts them (and names the first
    unreadable ones by their line in the file); a missing column raises
    ``DataFormatError`` listing the columns.
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetNotFoundError(f"{path} does not exist")
    from chemexplain.chem.parsing import smiles_errors

    raw = _read_sdf(path) if plain_suffix(path) in (".sdf", ".sd") else read_csv_file(path)
    frame = _select(raw, smiles_col, target_col, path)
    missing = frame["smiles"].isna() | (frame["smiles"] == "")
    if target_col is not None:
        missing |= frame[target_col].isna()
    if missing.any():
        what = "no SMILES" + ("" if target_col is None else f" or no numeric {target_col!r}")
        warnings.warn(
            f"{path}: dropped {int(missing.sum())} of {len(frame)} rows with {what}", stacklevel=2
        )
        frame = frame[~missing]
    reasons = smiles_errors(frame["smiles"].tolist())
    unreadable = [
        (line, s, r) for line, s, r in zip(frame.index + 2, frame["smiles"], reasons) if r
    ]
    if unreadable:
        shown = "; ".join(f"line {line} {s!r}: {r}" for line, s, r in unreadable[:3])
        warnings.warn(
            f"{path}: dropped {len(unreadable)} of {len(frame)} rows whose SMILES RDKit cannot "
            f"read ({shown}{'; ...' if len(unreadable) > 3 else ''})",
            stacklevel=2,
        )
        frame = frame[[not r for r in reasons]]
    return frame.reset_index(drop=True)
