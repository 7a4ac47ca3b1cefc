"""Files written whole or not at all.

    write_atomically("picture.png", png_bytes)   # temporary file, fsync, rename

A file is first written to a hidden temporary name beside its destination
(``.NAME.partial-PID``) and renamed into place only when complete, so a
killed run leaves nothing at the output path, and a write error (a full
disk, say) raises ``OutputError`` after removing the temporary file. A leaf
module: models, drawings, reports and scored files all write through it.
"""

from __future__ import annotations

import os
from pathlib import Path

from chemexplain.errors import OutputError

__all__ = ["finish_file", "temporary_path", "write_atomically"]


def temporary_path(path: str | os.PathLike) -> Path:
    """The hidden temporary name beside ``path`` that this process writes first."""
    path = Path(path)
    return path.parent / f".{path.name}.partial-{os.getpid()}"


def finish_file(handle) -> None:
    """Flush, fsync and close ``handle``, so that a write error surfaces now (as ``OSError``)."""
    handle.flush()
    os.fsync(handle.fileno())
    handle.close()


def write_atomically(path: str | os.PathLike, data: str | bytes) -> None:
    """Write ``data`` (text as UTF-8, or bytes) to ``path`` through a temporary file;
    ``OutputError`` naming the path on failure, with nothing left behind."""
    path = Path(path)
    temporary = temporary_path(path)
    try:
        if isinstance(data, bytes):
            handle = open(temporary, "wb")
        else:
            handle = open(temporary, "w", encoding="utf-8")
        with handle:
            handle.write(data)
            finish_file(handle)
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
