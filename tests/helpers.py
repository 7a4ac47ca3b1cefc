"""Small helpers the tests share (fixtures live in conftest.py)."""

from __future__ import annotations

import copy
import subprocess
import sys

import torch

#: four SMILES of different lengths, the batch the attribution tests explain
ATTRIBUTION_SMILES = ["CCO", "c1ccccc1Cl", "CC(=O)Nc1ccc(O)cc1", "OCC(O)CO"]


def without_biases(module: torch.nn.Module) -> torch.nn.Module:
    """A copy of ``module`` with every bias set to 0 (LRP relevance is then conserved)."""
    model = copy.deepcopy(module)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "bias" in name:
                parameter.zero_()
    return model


def printed_in_a_fresh_process(code: str) -> list[str]:
    """The words ``code`` prints when run in a new interpreter (nothing imported yet):
    how the tests see which modules a command imports."""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return run.stdout.split()
