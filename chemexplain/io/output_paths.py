"""Output files: checked before a run, never over an input by accident.

    check_outputs([out, report], inputs=[source], overwrite=False)   # before any work

They are then written atomically through :mod:`chemexplain.files`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from chemexplain.errors import OutputError

__all__ = ["check_outputs"]


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def check_outputs(
    outputs: Iterable[str | os.PathLike | None],
    *,
    inputs: Iterable[str | os.PathLike] = (),
    overwrite: bool = False,
) -> None:
    """Refuse, with one line (``OutputError``), any output that would lose data or fail late.

    An output may not be an input, nor another output; an existing output
    needs ``overwrite=True``; its folder must exist and be writable.
    """
    outputs = [Path(p) for p in outputs if p is not None]
    inputs = [Path(p) for p in inputs]
    for i, out in enumerate(outputs):
        for source in inputs:
            if _same(out, source):
                raise OutputError(f"the output {out} is the input file: choose another name")
        for other in outputs[:i]:
            if _same(out, other):
                raise OutputError(f"two outputs are the same file, {out}: choose another name")
        if out.is_dir():
            raise OutputError(f"the output {out} is a folder; give a file name")
        if out.exists() and not overwrite:
            raise OutputError(
                f"the output {out} exists: pass --overwrite (overwrite=True) to replace it"
            )
        folder = out.parent
        if not folder.is_dir():
            raise OutputError(f"the output folder {folder} does not exist")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise OutputError(f"the output folder {folder} is not writable")
