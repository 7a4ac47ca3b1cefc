"""File input and output: molecule files in chunks, atomic result files, batch scoring, HTML."""

from chemexplain.io.html_report import write_report
from chemexplain.io.molecule_files import read_chunks
from chemexplain.io.result_files import ResultWriter, explanations_to_sdf
from chemexplain.io.scoring import RESULT_COLUMNS, score_file

__all__ = [
    "RESULT_COLUMNS",
    "ResultWriter",
    "explanations_to_sdf",
    "read_chunks",
    "score_file",
    "write_report",
]
