"""Score molecule files on a Dask cluster: one output part per input partition, resumable.

    from chemexplain.distributed import local_cluster, score_files

    with local_cluster(2) as client:  # or a Client on any Dask cluster
        summary = score_files(["library/*.csv"], "scored", client=client)

Each input file is cut into partitions of ``partition_rows`` rows. A Dask task
scores one partition, exactly as :func:`chemexplain.score_file` scores a chunk
(same columns, same row order, same values), adds ``input_file`` and
``input_row`` (the row's position in its file, from 0), and writes
``OUTDIR/part-NNNNN.parquet`` (or ``.csv``) atomically: a part is either whole
or absent. The client records each finished part in ``OUTDIR/_manifest.json``
(its rows and counts, the inputs' sha256 and the settings). Running the same
call again skips the recorded parts, so a run stopped by Ctrl-C, a dead client
or a dead worker resumes without losing or repeating a row; a part's content
depends only on its rows, so a task that Dask runs twice writes the same file.

The model (and the amortized explainer) is loaded once per worker process and
cached there; tasks carry only the model's folder name. Workers need
chemexplain installed and the input and output folders on a shared filesystem.
:func:`score_dataframe` is the same scoring on a dask DataFrame you already have.
"""

from __future__ import annotations

import glob
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from chemexplain.errors import DataFormatError, MissingDependencyError, OutputError
from chemexplain.io.scoring import explain_settings
from chemexplain.serialization import sha256_of

__all__ = [
    "score_files",
    "score_dataframe",
    "local_cluster",
    "expand_inputs",
    "plan_parts",
    "PART_FORMATS",
]

MANIFEST = "_manifest.json"
MANIFEST_FORMAT = "chemexplain-score-parts"
PART_FORMATS = ("parquet", "csv")
SOURCE_COLUMNS = ["input_file", "input_row"]


def require_dask():
    """``dask.distributed``, or one clear line on how to install it."""
    try:
        import dask.dataframe  # noqa: F401
        import distributed
    except ImportError:
        raise MissingDependencyError(
            "scoring on Dask needs it installed: pip install 'chemexplain[dask]'"
        ) from None
    return distributed


@dataclass(frozen=True)
class Part:
    """One partition of one input file: rows ``start`` to ``stop - 1`` (from 0)."""

    name: str  # the part's file name in OUTDIR, e.g. part-00003.parquet
    input: str  # absolute path of the input file
    start: int
    stop: int


@contextmanager
def environment_kept() -> Iterator[None]:
    """Put ``os.environ`` back as it was when the block ends, whatever the block set or removed."""
    saved = dict(os.environ)
    try:
        yield
    finally:
        for name in set(os.environ) - set(saved):
            del os.environ[name]
        for name, value in saved.items():
            if os.environ.get(name) != value:
                os.environ[name] = value


@contextmanager
def local_cluster(n_workers: int | None = None) -> Iterator:
    """A ``Client`` on a LocalCluster of ``n_workers`` single-threaded processes; closed on exit.

    ``n_workers`` defaults to the number of CPU cores. Dask's nanny sets
    ``OMP_NUM_THREADS=1`` (and MKL's, OpenBLAS's, ``MALLOC_TRIM_THRESHOLD_``) in
    the environment of the process that starts the cluster, before it spawns
    each worker, and leaves them there (``distributed.nanny.pre-spawn-environ``):
    every program this process started afterwards would run on one thread.
    Here the workers still get them, and this process's environment is put back
    when the cluster closes.
    """
    distributed = require_dask()
    with (
        environment_kept(),
        distributed.LocalCluster(
            n_workers=n_workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def expand_inputs(patterns: list[str | os.PathLike]) -> list[Path]:
    """Files named by ``patterns`` (paths or globs), in the order given, each once.

    A glob's matches are sorted; a pattern that matches nothing is an error.
    """
    found: list[Path] = []
    for pattern in patterns:
        text = os.fspath(pattern)
        matches = sorted(glob.glob(text)) if glob.has_magic(text) else [text]
        matches = [m for m in matches if Path(m).is_file()]
        if not matches:
            raise DataFormatError(f"no input file matches {text}")
        for match in matches:
            path = Path(match).resolve()
            if path not in found:
                found.append(path)
    return found


def plan_parts(
    paths: list[Path],
    partition_rows: int,
    part_format: str = "parquet",
    *,
    smiles_col: str = "smiles",
    id_col: str | None = None,
) -> tuple[list[Part], dict[str, int]]:
    """The parts of every file (in file order, then row order) and each file's row count."""
    from chemexplain.io.molecule_files import count_rows

    if partition_rows < 1:
        raise DataFormatError(f"the partition size must be 1 or more, got {partition_rows}")
    parts: list[Part] = []
    rows: dict[str, int] = {}
    for path in paths:
        n = count_rows(path, smiles_col=smiles_col, id_col=id_col)
        rows[str(path)] = n
        for start in range(0, n, partition_rows):
            name = f"part-{len(parts):05d}.{part_format}"
            parts.append(Part(name, str(path), start, min(start + partition_rows, n)))
    return parts, rows


# ---------------------------------------------------------------- worker side

_LOADED: dict = {}  # per worker process: (model folder, settings) -> (model, mask, settings)


def _generous_malloc() -> None:
    """Undo, in this worker process, the small glibc trim threshold that Dask's nanny sets
    (``MALLOC_TRIM_THRESHOLD_=65536``, to hand memory back to the OS quickly).

    Any explicit threshold also turns off glibc's adaptive mmap threshold, so
    every large tensor is mmapped and unmapped again: scoring ran 30% slower
    (247 against 369 molecules/s per process). Fixed thresholds (64 MiB mmap,
    256 MiB trim) give the speed back; memory stays bounded by the chunk size.
    """
    if not sys.platform.startswith("linux") or "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        return
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (musl): nothing to undo
        return
    libc.mallopt(-1, 256 << 20)  # M_TRIM_THRESHOLD
    libc.mallopt(-3, 64 << 20)  # M_MMAP_THRESHOLD


def _loaded(model: str | None, settings: dict):
    """The model pair and explain settings, loaded once per process (1 torch thread per task)."""
    key = (model, json.dumps(settings, sort_keys=True))
    if key not in _LOADED:
        import torch

        from chemexplain.io.scoring import with_shapley
        from chemexplain.service import resolve_model

        torch.set_num_threads(1)
        _generous_malloc()
        resolved = with_shapley(settings, model)  # method None: the model's default
        pair = resolve_model(model, None, need_mask=resolved["method"] == "mask")
        _LOADED[key] = (*pair, resolved)
    return _LOADED[key]


def _score_frame(frame: pd.DataFrame, smiles_col: str, model, settings: dict) -> pd.DataFrame:
    """``frame`` (with a read-error column) with the result columns of ``score``."""
    from chemexplain.io.scoring import chunk_smiles, result_frame
    from chemexplain.service import explain_batch

    model_obj, mask, explain_settings = _loaded(model, settings)
    explanations = explain_batch(
        chunk_smiles(frame, smiles_col), model_obj, mask, **explain_settings
    )
    return result_frame(frame, explanations, settings["standardize"]), explanations


def score_part(part: Part, outdir: str, options: dict) -> dict:
    """Score one partition and write its part file atomically (runs on a worker)."""
    from chemexplain.io.molecule_files import read_rows
    from chemexplain.io.result_files import ResultWriter
    from chemexplain.io.scoring import CHUNK_ROWS

    started = time.perf_counter()
    counts = {"rows": 0, "ok": 0, "error": 0}
    writer = ResultWriter(Path(outdir) / part.name, options["id_col"])
    try:
        for chunk in read_rows(
            part.input,
            part.start,
            part.stop,
            smiles_col=options["smiles_col"],
            id_col=options["id_col"],
            columns=options["columns"],
            chunk_size=CHUNK_ROWS,
        ):
            frame, explanations = _score_frame(
                chunk, options["smiles_col"], options["model"], options["settings"]
            )
            first = part.start + counts["rows"]
            frame["input_file"] = Path(part.input).name
            frame["input_row"] = range(first, first + len(frame))
            writer.write(frame, explanations)
            ok = int((frame["status"] == "ok").sum())
            counts = {
                "rows": counts["rows"] + len(frame),
                "ok": counts["ok"] + ok,
                "error": counts["error"] + len(frame) - ok,
            }
        if counts["rows"] != part.stop - part.start:
            raise DataFormatError(
                f"{part.input} changed while it was scored: rows {part.start}-{part.stop - 1} "
                f"gave {counts['rows']} rows"
            )
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    return {**counts, "seconds": time.perf_counter() - started, "pid": os.getpid()}


# ---------------------------------------------------------------- client side


def _model_identity(model, settings: dict) -> dict:
    """Check the model folder here, before any task, and name what it holds (parameter sha256)."""
    from chemexplain.io.scoring import with_shapley
    from chemexplain.serialization import module_sha256
    from chemexplain.service import resolve_model

    if model is not None and not isinstance(model, (str, os.PathLike)):
        raise ValueError("distributed scoring needs model=None (bundled) or a model directory")
    resolved = with_shapley(settings, model)  # a missing explainer fails here
    trained, mask = resolve_model(model, None, need_mask=resolved["method"] == "mask")
    identity = {
        "model": "bundled" if model is None else str(Path(model).resolve()),
        "model_sha256": module_sha256(trained.module_),
        "method": resolved["method"],
    }
    if resolved["method"] == "mask":
        identity["mask_sha256"] = module_sha256(mask.explainer_.network)
    if resolved["method"] == "shapley":
        identity["shapley_sha256"] = module_sha256(resolved["shapley"].explainer_.network)
    return identity


def _read_manifest(outdir: Path) -> dict | None:
    path = outdir / MANIFEST
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise OutputError(f"cannot read {path}: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise OutputError(f"{path} is not a chemexplain score manifest")
    return manifest


def _prepare_outdir(outdir: Path, run: dict, overwrite: bool) -> dict:
    """The manifest to continue: the folder's own (same run) or a new, empty one."""
    from chemexplain.io.output_paths import check_outputs

    if outdir.exists() and not outdir.is_dir():
        raise OutputError(f"the output {outdir} is a file; --dask writes a folder of parts")
    if not outdir.exists():
        check_outputs([outdir])  # its parent exists and is writable
        outdir.mkdir()
    manifest = _read_manifest(outdir)
    same = manifest is not None and {k: manifest.get(k) for k in run} == run
    if manifest is not None and not same and not overwrite:
        raise OutputError(
            f"{outdir} holds parts of another run (other inputs, input contents or settings): "
            "choose a new folder, or pass --overwrite (overwrite=True) to start again"
        )
    ours = ("part-", ".part-", f".{MANIFEST}.partial-")  # parts and temporary files
    foreign = [
        p.name for p in outdir.iterdir() if p.name != MANIFEST and not p.name.startswith(ours)
    ]
    if foreign:
        raise OutputError(
            f"{outdir} holds files that are not score parts ({foreign[0]}, ...): "
            "choose a new or empty folder"
        )
    if manifest is None and any(outdir.iterdir()) and not overwrite:
        raise OutputError(
            f"{outdir} holds parts but no {MANIFEST}: pass --overwrite (overwrite=True) "
            "to start again"
        )
    if not same:
        for stale in outdir.glob("part-*"):
            stale.unlink()
        manifest = {"format": MANIFEST_FORMAT, "version": 1, **run, "parts": {}}
    # left by killed tasks, or by a client killed while it rewrote the manifest
    for temporary in [*outdir.glob(".part-*.partial-*"), *outdir.glob(f".{MANIFEST}.partial-*")]:
        temporary.unlink(missing_ok=True)
    return manifest


def _finished(outdir: Path, manifest: dict, part: Part) -> bool:
    """Recorded in the manifest and its file still there with the recorded row count."""
    record = manifest["parts"].get(part.name)
    path = outdir / part.name
    if record is None or not path.is_file():
        return False
    if part.name.endswith(".parquet"):
        import pyarrow.parquet as pq

        try:
            return pq.ParquetFile(path).metadata.num_rows == record["rows"]
        except Exception:  # a damaged part is redone
            return False
    return True


def _connect(client):
    """``client``, or the current default Dask client."""
    distributed = require_dask()
    if client is not None:
        return client
    try:
        return distributed.get_client()
    except ValueError:
        raise ValueError(
            "no Dask client: pass client=..., or start one (dask.distributed.Client(...))"
        ) from None


def score_files(
    inputs: list[str | os.PathLike],
    outdir: str | os.PathLike,
    model=None,
    *,
    client=None,
    partition_rows: int = 50_000,
    part_format: str = "parquet",
    overwrite: bool = False,
    progress: bool = True,
    **options,
) -> dict:
    """Score every row of ``inputs`` (paths or globs) into parts in ``outdir`` on Dask.

    ``model``: None (bundled) or a model folder, read by every worker.
    ``partition_rows``: rows per task and per part file. ``overwrite``:
    discard the parts of a different earlier run in ``outdir`` (the same run
    always resumes). ``options``: how rows are read and explained, the keywords
    of :func:`chemexplain.score_file` named in ``io.scoring.ROW_OPTIONS``
    (``smiles_col``, ``id_col``, ``columns``, ``standardize``, ``method``,
    ``spellings``, ``n_test_augment``, ``max_length``, ``on_unknown``), with its defaults.
    Returns counts over all parts, the parts scored and skipped, and this
    run's molecules per second.
    """
    from tqdm.auto import tqdm

    from chemexplain.files import write_atomically
    from chemexplain.io.molecule_files import read_chunks
    from chemexplain.io.scoring import check_no_collision, row_options

    options = row_options(options)
    smiles_col, id_col, columns = options["smiles_col"], options["id_col"], options["columns"]
    if part_format not in PART_FORMATS:
        raise DataFormatError(f"part format {part_format!r}: use one of {', '.join(PART_FORMATS)}")
    client = _connect(client)
    outdir = Path(outdir).resolve()
    paths = expand_inputs(inputs)
    for path in paths:
        if path == outdir or outdir in path.parents:
            raise OutputError(f"the input {path} is inside the output folder {outdir}")
        source = read_chunks(path, smiles_col=smiles_col, id_col=id_col, columns=columns)
        check_no_collision(source.columns, options["standardize"])
        clash = [c for c in source.columns if c in SOURCE_COLUMNS]
        if clash:
            raise DataFormatError(f"{path}: the input column {clash[0]!r} is a result column")
    settings = explain_settings(options)
    parts, rows = plan_parts(
        paths, partition_rows, part_format, smiles_col=smiles_col, id_col=id_col
    )
    if not parts:
        raise DataFormatError("the inputs hold no molecules; nothing was written")
    run = {
        "inputs": [{"path": str(p), "sha256": sha256_of(p), "rows": rows[str(p)]} for p in paths],
        "settings": {
            **settings,
            "smiles_col": smiles_col,
            "id_col": id_col,
            "columns": columns,
            "partition_rows": partition_rows,
            "part_format": part_format,
            **_model_identity(model, settings),
        },
    }
    manifest = _prepare_outdir(outdir, run, overwrite)
    options = {
        "model": None if model is None else str(Path(model).resolve()),
        "settings": settings,
        "smiles_col": smiles_col,
        "id_col": id_col,
        "columns": columns,
    }
    todo = [p for p in parts if not _finished(outdir, manifest, p)]
    for part in todo:
        manifest["parts"].pop(part.name, None)
    manifest["complete"] = False
    manifest_path = outdir / MANIFEST
    write_atomically(manifest_path, json.dumps(manifest, indent=1))

    distributed = require_dask()
    started = time.perf_counter()
    scored_rows = 0
    futures = client.map(score_part, todo, outdir=str(outdir), options=options, pure=False)
    by_future = dict(zip(futures, todo))
    bar = tqdm(
        total=sum(p.stop - p.start for p in todo),
        desc="score (dask)",
        unit="mol",
        file=sys.stderr,
        disable=not progress,
        dynamic_ncols=True,
    )
    try:
        for future in distributed.as_completed(futures):
            part = by_future[future]
            result = future.result()  # a task's own error (not a bad row) stops the run
            manifest["parts"][part.name] = {
                **asdict(part),
                **{k: result[k] for k in ("rows", "ok", "error")},
                "seconds": round(result["seconds"], 3),
            }
            write_atomically(manifest_path, json.dumps(manifest, indent=1))
            scored_rows += result["rows"]
            bar.update(result["rows"])
    except BaseException:
        client.cancel(futures)
        raise
    finally:
        bar.close()
    seconds = time.perf_counter() - started
    manifest["complete"] = True
    write_atomically(manifest_path, json.dumps(manifest, indent=1))
    records = manifest["parts"].values()
    return {
        "parts": len(parts),
        "parts_scored": len(todo),
        "parts_skipped": len(parts) - len(todo),
        "rows": sum(r["rows"] for r in records),
        "ok": sum(r["ok"] for r in records),
        "error": sum(r["error"] for r in records),
        "rows_scored": scored_rows,
        "seconds": seconds,
        "molecules_per_second": scored_rows / seconds if seconds else float("nan"),
    }


def _meta(frame_meta: pd.DataFrame, standardize: bool) -> pd.DataFrame:
    """Empty frame with the columns and dtypes of :func:`score_dataframe`'s partitions."""
    from chemexplain.io.scoring import RESULT_COLUMNS

    meta = frame_meta.copy()
    if standardize:
        meta["standardized_smiles"] = pd.Series(dtype=object)
    floats = ("prediction", "prediction_std", "reference", "max_similarity")
    for column in RESULT_COLUMNS:
        dtype = "float64" if column in floats else "boolean" if column == "in_domain" else object
        meta[column] = pd.Series(dtype=dtype)
    return meta


def _score_partition(frame: pd.DataFrame, smiles_col, model, settings) -> pd.DataFrame:
    from chemexplain.io.molecule_files import READ_ERROR

    index = frame.index
    chunk = frame.reset_index(drop=True)
    smiles = chunk[smiles_col].astype(object)
    chunk[smiles_col] = smiles.where(smiles.notna(), None)  # pd.NA of Arrow strings: None
    chunk[READ_ERROR] = ""
    scored, _ = _score_frame(chunk, smiles_col, model, settings)
    scored.index = index
    return scored


def score_dataframe(
    ddf,
    smiles_col: str = "smiles",
    model=None,
    **options,
):
    """A lazy dask DataFrame: ``ddf``'s columns plus the result columns of ``score``.

    Built with ``map_partitions`` and an explicit ``meta``; the index is kept.
    Each worker loads the model once (``model``: None for the bundled model,
    or a model folder). Bad rows get ``status="error"`` and a reason.
    ``options``: how rows are explained, the keywords of :func:`chemexplain.score_file`
    named in ``io.scoring.EXPLAIN_OPTIONS`` (``standardize``, ``method``,
    ``spellings``, ``n_test_augment``, ``max_length``, ``on_unknown``), with its defaults.
    """
    require_dask()
    from chemexplain.io.scoring import EXPLAIN_OPTIONS, check_no_collision, row_options

    settings = explain_settings(row_options(options, EXPLAIN_OPTIONS))
    standardize = settings["standardize"]
    if smiles_col not in ddf.columns:
        raise DataFormatError(f"the dask DataFrame has no column {smiles_col!r}")
    check_no_collision(list(ddf.columns), standardize)
    _model_identity(model, settings)
    model = None if model is None else str(Path(model).resolve())
    return ddf.map_partitions(
        _score_partition,
        smiles_col,
        model,
        settings,
        meta=_meta(ddf._meta, standardize),
        enforce_metadata=False,
    )
