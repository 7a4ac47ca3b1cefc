"""SDF output of explanations, read back by RDKit."""

import re

import numpy as np
import pytest
from rdkit import Chem

import chemexplain as cx


def test_sdf_round_trip_with_atom_weights(pair, tmp_path):
    from chemexplain.io import explanations_to_sdf

    many = cx.explain(["CCO", "C1CC", "c1ccccc1Cl"], *pair, on_invalid="nan")
    explanations_to_sdf(many, tmp_path / "out.sdf")
    mols = list(Chem.SDMolSupplier(str(tmp_path / "out.sdf")))
    assert len(mols) == 3
    assert [m.GetProp("status") for m in mols] == ["ok", "error", "ok"]
    assert mols[2].GetDoubleProp("prediction") == pytest.approx(many[2].prediction)
    read = [a.GetDoubleProp("weight") for a in mols[2].GetAtoms()]
    np.testing.assert_allclose(read, many[2].atom_weights, rtol=1e-5)
    assert re.search("unclosed ring", mols[1].GetProp("error"))
