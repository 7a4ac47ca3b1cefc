"""File input and output: molecule files in chunks, atomic result files, batch scoring, HTML.

Names load on first use (``lazy_loader``), as the package's own do: a command that only
asks whether an argument names a molecule file does not import the drawing code.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "html_report": ["write_report"],
        "molecule_files": ["read_chunks"],
        "result_files": ["ResultWriter", "explanations_to_sdf"],
        "scoring": ["RESULT_COLUMNS", "score_file"],
    },
)
