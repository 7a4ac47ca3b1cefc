"""Replace one marked block of a Markdown file: how the benchmark scripts update their tables.

A block is everything between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``;
a file without the markers gets the block appended. The file is rewritten
atomically, so an interrupted script never leaves a half-written README.
"""

from __future__ import annotations

import os
from pathlib import Path

from chemexplain.files import write_atomically

__all__ = ["replace_block"]


def replace_block(
    path: str | os.PathLike, name: str, body: str, title: str = "# Benchmarks"
) -> None:
    """Put ``body`` between the ``name`` markers of ``path`` (created with ``title`` if absent)."""
    path = Path(path)
    text = path.read_text() if path.exists() else f"{title}\n"
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{body}\n{end}"
    if start in text:
        if end not in text[text.index(start) :]:
            raise ValueError(f"{path}: {start} has no {end} after it")
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    write_atomically(path, text)
