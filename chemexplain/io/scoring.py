"""Batch scoring of a molecule file: predictions and per-atom explanations, one row per input row.

    from chemexplain.io import score_file
    summary = score_file("library.csv", "scored.parquet", id_col="id")

The output holds, in input order: the id column (under its input name), the
SMILES column (under its input name), the input's other columns (all, or
those named in ``columns``), ``prediction``, ``top_atoms`` (up to
three atoms as symbol + RDKit index, e.g. ``O3 C1 N5``), ``atom_weights`` (a
JSON list, one weight per atom in RDKit order of the explained SMILES: the
input, or with ``standardize`` the ``standardized_smiles`` column),
``method`` (the explanation's method), ``reference`` (what the values add up
from to the prediction, where they do, else empty), ``status`` (``ok`` / ``error``),
``error`` (why) and ``warning`` (what the model did not read: stereo marks
it never saw, isotope labels, explicit ``[H]`` atoms). ``top_atoms`` carries a sign (``+O3 -C1``) for signed methods,
whose ``atom_weights`` are contributions in the target's units. Bad rows never stop the
run. The file appears only when complete, and the HTML report with it.
"""

from __future__ import annotations

import inspect
import itertools
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from multiprocessing.context import SpawnContext, SpawnProcess
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from chemexplain.chem import MAX_SMILES_LENGTH
from chemexplain.chem.explanation import ExplanationList
from chemexplain.errors import DataFormatError
from chemexplain.io.html_report import write_report
from chemexplain.io.molecule_files import HIDDEN_COLUMNS, MOLBLOCK, READ_ERROR, read_chunks
from chemexplain.io.output_paths import check_outputs
from chemexplain.io.result_files import RESULT_COLUMNS, ResultWriter
from chemexplain.service import explain_batch, resolve_model, stored_shapley

__all__ = ["score_file", "RESULT_COLUMNS"]

#: Rows read, explained and written at a time by default: molecules of one batch width
#: fill the network's fixed-shape batches better in a larger chunk (measured in
#: benchmarks/README.md, "Batch scoring").
CHUNK_ROWS = 8192
#: The most rows a worker explains at a time (see :func:`length_sorted_parts`).
PART_ROWS = 2048
#: ``workers=None`` explains an input of up to this many rows in this process: starting
#: worker processes (each loads torch, RDKit and the model) took longer than they saved
#: (``chemexplain score`` on 2,000 molecules: 8.1 s in-process, 12.9 s with 2 workers;
#: ``python scripts/benchmark_startup.py``, benchmarks/README.md "Command-line start-up").
INLINE_ROWS = 8192


def result_frame(chunk: pd.DataFrame, explanations, standardize=False) -> pd.DataFrame:
    rows = [e.to_dict() for e in explanations]
    frame = chunk.drop(columns=HIDDEN_COLUMNS, errors="ignore").reset_index(drop=True)
    for column in RESULT_COLUMNS:
        frame[column] = [r[column] for r in rows]
    # floats even in a chunk of error rows only, so that every chunk has one schema
    for column in ("prediction", "prediction_std", "reference", "max_similarity"):
        frame[column] = frame[column].astype("float64")
    frame["in_domain"] = frame["in_domain"].astype("boolean")  # empty on error rows
    if standardize:
        frame.insert(
            frame.columns.get_loc("prediction"),
            "standardized_smiles",
            [e.smiles or "" for e in explanations],
        )
    read_errors = chunk[READ_ERROR].to_numpy()
    for i, message in enumerate(read_errors):
        if message:
            frame.loc[i, "status"], frame.loc[i, "error"] = "error", message
    return frame


def check_no_collision(input_columns: list[str], standardize: bool) -> None:
    """Refuse input columns that a result column would overwrite."""
    ours = RESULT_COLUMNS + (["standardized_smiles"] if standardize else [])
    clash = [c for c in input_columns if c in ours]
    if clash:
        raise DataFormatError(
            f"the input column {clash[0]!r} has the name of a result column "
            f"({', '.join(ours)}); keep other columns with --columns (columns=...), "
            "or rename it"
        )


def chunk_smiles(chunk: pd.DataFrame, smiles_col: str) -> list:
    return [None if err else s for s, err in zip(chunk[smiles_col], chunk[READ_ERROR])]


class _InlineExplainer:
    """Explain chunks in this process."""

    def __init__(self, pair, settings: dict):
        self.pair, self.settings = pair, settings

    def map(self, chunks, smiles_col):
        for chunk in chunks:
            yield chunk, explain_batch(chunk_smiles(chunk, smiles_col), *self.pair, **self.settings)

    def close(self, completed: bool = True) -> None:
        pass


_WORKER: dict = {}


def _die_with_parent(parent: int) -> None:
    """Have Linux SIGKILL this worker when its parent dies (prctl PR_SET_PDEATHSIG).

    Elsewhere, or if the parent is already gone, the check below exits at once.
    """
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL))  # 1 = PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)


#: ``score_file``'s keywords that say how each row is read and explained. Other
#: runners (Dask) take them as ``**options``, with ``score_file``'s defaults.
ROW_OPTIONS = (
    "smiles_col",
    "id_col",
    "columns",
    "standardize",
    "method",
    "spellings",
    "n_test_augment",
    "max_length",
    "on_unknown",
)
#: The row options that ``explain_batch`` takes.
EXPLAIN_OPTIONS = ROW_OPTIONS[3:]


def row_options(given: dict, allowed: tuple[str, ...] = ROW_OPTIONS) -> dict:
    """``given`` completed with :func:`score_file`'s defaults for the ``allowed`` keys.

    A keyword that is not allowed raises TypeError, as a misspelt argument would.
    """
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise TypeError(f"unexpected keyword argument {unknown[0]!r}")
    defaults = inspect.signature(score_file).parameters
    return {key: given[key] if key in given else defaults[key].default for key in allowed}


def explain_settings(options: dict) -> dict:
    """The keyword arguments of ``explain_batch`` that every chunk of a run shares."""
    return {key: options[key] for key in EXPLAIN_OPTIONS}


def with_shapley(settings: dict, directory) -> dict:
    """``settings`` with the method resolved (None: the model's default) plus the stored
    amortized explainer when the method needs it."""
    if settings.get("method") is None:
        from chemexplain.service import default_method

        settings = {**settings, "method": default_method(directory)}
    if settings.get("method") != "shapley":
        return settings
    return {**settings, "shapley": stored_shapley(directory)}


def _init_worker(parent: int, directory, settings: dict) -> None:
    _die_with_parent(parent)
    import torch

    torch.set_num_threads(1)
    _WORKER["settings"] = with_shapley(settings, directory)
    need_mask = _WORKER["settings"]["method"] == "mask"
    _WORKER["pair"] = resolve_model(directory, None, need_mask=need_mask)


def _explain_in_worker(smiles: list):
    return explain_batch(smiles, *_WORKER["pair"], **_WORKER["settings"])


def _at_most(chunks: Iterator[pd.DataFrame], rows: int) -> tuple[Iterator[pd.DataFrame], bool]:
    """The same chunks, and whether they hold at most ``rows`` rows in all (reading no
    further ahead than the chunk that passes ``rows``)."""
    chunks, read, seen = iter(chunks), [], 0
    for chunk in chunks:
        read.append(chunk)
        seen += len(chunk)
        if seen > rows:
            return itertools.chain(read, chunks), False
    return iter(read), True


def length_sorted_parts(
    smiles: list, rows: int | None = None, at_least: int = 1
) -> list[np.ndarray]:
    """Row numbers of a chunk's ``smiles`` in parts of at most ``rows`` (default
    :data:`PART_ROWS`), shortest first, and in at least ``at_least`` parts (the workers, so
    that a small file keeps each one busy) where there are that many rows.

    Only the work changes, never a result (each molecule meets the same fixed-shape
    batches in any part, :func:`~chemexplain.nn.core.fixed_shape_groups`): molecules of
    like length fill the same batches instead of each part padding a partly empty batch
    for every length it holds, and parts small enough keep every worker busy to the end.
    """
    rows = PART_ROWS if rows is None else rows  # read at call time: tests shrink it
    lengths = [len(s) if isinstance(s, str) else 0 for s in smiles]
    order = np.argsort(lengths, kind="stable")
    n_parts = max(1, -(-len(order) // rows), min(at_least, len(order)))
    return np.array_split(order, n_parts)


class _DeafProcess(SpawnProcess):
    """A spawned process that ignores SIGINT from its start: Ctrl-C in a terminal reaches
    the whole process group, and the parent alone answers it (it kills the workers), so a
    worker still importing torch prints no traceback of its own. An ignored signal stays
    ignored across exec, and Python then leaves it so."""

    def start(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return super().start()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            super().start()
        finally:
            signal.signal(signal.SIGINT, previous)


class _DeafSpawnContext(SpawnContext):
    Process = _DeafProcess


class _ParallelExplainer:
    """Explain chunks in worker processes, in order: each chunk in :func:`length_sorted_parts`,
    with at least one part per worker queued beyond the chunk being waited for.

    Workers are spawned children of this process that die with it (even on
    SIGKILL), so none outlives a killed run.
    """

    def __init__(self, directory, workers: int, settings: dict):
        from concurrent.futures import ProcessPoolExecutor

        directory = None if directory is None else os.fspath(directory)
        self.workers = workers
        self.pool = ProcessPoolExecutor(
            workers,
            mp_context=_DeafSpawnContext(),
            initializer=_init_worker,
            initargs=(os.getpid(), directory, settings),
        )

    def map(self, chunks, smiles_col):
        from collections import deque

        pending: deque = deque()  # (chunk, its parts, their futures)
        queued = 0  # parts submitted for the chunks after the first pending one
        for chunk in chunks:
            smiles = chunk_smiles(chunk, smiles_col)
            parts = length_sorted_parts(smiles, at_least=self.workers)
            futures = [
                self.pool.submit(_explain_in_worker, [smiles[i] for i in part]) for part in parts
            ]
            queued += len(futures) if pending else 0
            pending.append((chunk, parts, futures))
            while queued >= self.workers:
                yield self._collect(*pending.popleft())
                queued -= len(pending[0][2])
        while pending:
            yield self._collect(*pending.popleft())

    @staticmethod
    def _collect(chunk, parts, futures):
        """``(chunk, its explanations in row order)`` once every part is done."""
        explanations: list = [None] * len(chunk)
        for part, future in zip(parts, futures):
            for row, explanation in zip(part, future.result()):
                explanations[row] = explanation
        return chunk, ExplanationList(explanations)

    def close(self, completed: bool = True) -> None:
        """Shut the workers down; after a failure or interruption, kill them at once."""
        if completed:
            self.pool.shutdown(cancel_futures=True)
        else:
            stop_pool_now(self.pool)


def stop_pool_now(pool) -> None:
    """Kill a ``ProcessPoolExecutor``'s workers and shut it down, without hanging.

    A worker killed while it sends a result leaves part of a message in the result
    pipe, and the executor's manager thread then waits in ``recv()`` for the rest
    forever: this process holds the pipe's write end too (CPython 3.11 at least; a
    CI run of a SIGTERM-ed ``score --workers 2`` hung so). Closing this process's copy
    of that end turns the wait into end-of-file once the workers are dead, which the
    executor handles as a broken pool, and ``shutdown`` returns.
    """
    for process in list((pool._processes or {}).values()):
        process.kill()
    writer = getattr(getattr(pool, "_result_queue", None), "_writer", None)
    if writer is not None:
        writer.close()
    pool.shutdown(wait=True, cancel_futures=True)


def score_file(
    input_path: str | os.PathLike,
    output_path: str | os.PathLike,
    model=None,
    mask=None,
    *,
    smiles_col: str = "smiles",
    id_col: str | None = None,
    columns: list[str] | None = None,
    standardize: bool = False,
    method: str | None = None,
    spellings: int = 0,
    n_test_augment: int | None = 0,
    chunk_size: int = CHUNK_ROWS,
    max_length: int = MAX_SMILES_LENGTH,
    html: str | os.PathLike | None = None,
    html_molecules: int = 50,
    progress: bool = True,
    workers: int | None = 1,
    overwrite: bool = False,
    on_unknown: str = "strip",
) -> dict:
    """Score every molecule of ``input_path`` into ``output_path`` (see module docstring).

    ``n_test_augment=0`` (default) predicts from the one spelling of each molecule the
    model reads (``model_smiles``: RDKit's canonical SMILES for the bundled model), the
    fast path (the model card gives its accuracy); M > 0 averages M random
    spellings drawn from a seed fixed per molecule; None uses the model's own
    setting. ``workers > 1`` explains chunks in that many single-threaded
    processes (``model`` must then be None or a directory), which beats
    threads on CPU because parsing and atom mapping run in parallel too; the
    output is the same. ``workers=None`` (the command line's default) explains
    an input of up to :data:`INLINE_ROWS` rows in this process and a larger one
    in ``min(CPU cores, 4)`` processes. Before any work, the input, every output path (not an
    input, not existing unless ``overwrite``, in a writable folder) and the
    model directory are checked. An input with no molecule is an error.
    ``on_unknown``: ``"strip"`` (default) scores a SMILES whose stereo marks the
    model never saw from its stereo-free form, with a ``warning``; ``"error"``
    refuses it (see :func:`chemexplain.explain`). Returns counts and molecules
    per second.
    """
    settings = explain_settings(locals())  # the arguments, before any other name is bound
    in_memory = model is not None and not isinstance(model, (str, os.PathLike))
    if (workers or 1) > 1 and (in_memory or mask is not None):
        raise ValueError("workers > 1 needs model=None (bundled) or a model directory")
    check_outputs([output_path, html], inputs=[input_path], overwrite=overwrite)
    source = read_chunks(
        input_path, smiles_col=smiles_col, id_col=id_col, columns=columns, chunk_size=chunk_size
    )
    check_no_collision(source.columns, standardize)
    chunks, smiles_col, id_col = source.chunks, source.smiles_col, source.id_col
    writer = ResultWriter(output_path, id_col)
    # a wrong model path or a missing explainer fails here, before any worker starts
    inline_settings = with_shapley(settings, model) if mask is None else settings
    pair = resolve_model(model, mask, need_mask=inline_settings.get("method") in (None, "mask"))
    if workers is None:
        chunks, small = _at_most(chunks, INLINE_ROWS)
        workers = 1 if small or in_memory or mask is not None else min(os.cpu_count() or 1, 4)
    if workers > 1:
        explainer = _ParallelExplainer(model, workers, settings)
    else:
        explainer = _InlineExplainer(pair, inline_settings)
    started = time.perf_counter()
    counts = {"rows": 0, "ok": 0, "error": 0}
    shown: list = []
    completed = report_written = False
    bar = tqdm(desc="score", unit="mol", file=sys.stderr, disable=not progress, dynamic_ncols=True)
    try:
        for chunk, explanations in explainer.map(chunks, smiles_col):
            frame = result_frame(chunk, explanations, standardize)
            writer.write(frame, explanations, chunk.get(MOLBLOCK))
            if html and len(shown) < html_molecules:
                ids = chunk[id_col].tolist() if id_col else [None] * len(chunk)
                shown.extend(list(zip(ids, explanations))[: html_molecules - len(shown)])
            ok = int((frame["status"] == "ok").sum())
            counts["rows"] += len(frame)
            counts["ok"] += ok
            counts["error"] += len(frame) - ok
            bar.update(len(frame))
        if counts["rows"] == 0:
            raise DataFormatError(f"{input_path} holds no molecules; nothing was written")
        if html:
            write_report(html, shown, counts, source=Path(input_path).name)
            report_written = True
        writer.commit()
        completed = True
    except BaseException:
        writer.abort()
        if report_written:
            Path(html).unlink(missing_ok=True)
        raise
    finally:
        bar.close()
        explainer.close(completed)
    seconds = time.perf_counter() - started
    return {
        **counts,
        "seconds": seconds,
        "molecules_per_second": counts["rows"] / seconds if seconds else float("nan"),
    }
