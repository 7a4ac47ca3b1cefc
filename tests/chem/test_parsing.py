"""The one SMILES parser: RDKit's own reason reaches the user."""

import pytest
from rdkit import Chem

from chemexplain.chem.parsing import atom_symbols, parse_smiles
from chemexplain.errors import InvalidSmilesError


@pytest.mark.parametrize(
    "smiles, reason",
    [
        ("C1CC", "unclosed ring for input: 'C1CC'"),
        ("C(C)(C)(C)(C)C", "Explicit valence for atom # 0 C, 5, is greater than permitted"),
        ("c1cccc1", "Can't kekulize mol.  Unkekulized atoms: 0 1 2 3 4"),
        ("CXC", "syntax error while parsing: CXC; check for mistakes around position 2"),
    ],
)
def test_invalid_smiles_carry_rdkits_reason(smiles, reason, capfd):
    with pytest.raises(InvalidSmilesError) as error:
        parse_smiles(smiles, row=4)
    assert error.value.reason == reason
    assert str(error.value) == f"invalid SMILES {smiles!r} (row 4): {reason}"
    assert capfd.readouterr().err == ""  # captured, not printed


@pytest.mark.parametrize("name", ["aspirin", "Benzene", "2-propanol", "water", "caffeine"])
def test_a_name_in_place_of_a_smiles_is_told_so(name):
    with pytest.raises(
        InvalidSmilesError, match="it reads like a name: give the molecule's SMILES"
    ):
        parse_smiles(name)


@pytest.mark.parametrize("smiles", ["cco", "NaCl", "c1ccncc", "CCCCx", "[as]1cccc1"])
def test_a_broken_smiles_is_not_called_a_name(smiles):
    with pytest.raises(InvalidSmilesError) as error:
        parse_smiles(smiles)
    assert "name" not in error.value.reason


def test_valid_smiles_and_the_log_stays_quiet(capfd):
    assert parse_smiles("c1ccccc1O").GetNumAtoms() == 7
    from rdkit import Chem

    assert Chem.MolFromSmiles("C1CC") is None
    assert capfd.readouterr().err == ""


def test_standardizing_prints_nothing(capfd):
    """RDKit's standardizer logs four info lines per molecule unless its log is off."""
    from chemexplain.chem.standardize import standardize_smiles

    assert standardize_smiles("CC(=O)[O-].[Na+]") == "CC(=O)O"
    assert standardize_smiles("C[N+](C)(C)C.[Cl-]") == "C[N+](C)(C)C"
    assert capfd.readouterr().err == ""


def test_smiles_errors_reports_each_row_or_raises_at_the_first():
    import pytest

    from chemexplain.chem.parsing import InvalidSmilesError, smiles_errors

    reasons = smiles_errors(["CCO", "C1CC", "", 3, "c1ccccc1"])
    assert reasons[0] == "" and reasons[4] == ""
    assert "unclosed ring" in reasons[1] and reasons[2] == "empty string"
    assert reasons[3] == "expected a string, got int"
    with pytest.raises(InvalidSmilesError, match="row 1"):
        smiles_errors(["CCO", "C1CC"], "raise")


def test_elements_are_read_from_atoms_not_characters():
    from chemexplain.chem.parsing import elements

    mols = [Chem.MolFromSmiles(s) for s in ("ClCCBr", "OB(O)c1ccccc1", "[2H]OC", "c1ccsc1")]
    assert elements(mols[:1]) == ["Br", "C", "Cl"]
    assert elements(mols) == ["B", "Br", "C", "Cl", "O", "S"]  # hydrogen left out


def test_the_element_check_in_cplusplus_agrees_with_the_python_one():
    import chemexplain as cx
    from chemexplain.chem.parsing import elements, has_only_elements

    known = ("Br", "C", "Cl", "F", "I", "N", "O", "P", "S")
    odd = ["C[Se]C", "[H][H]", "[HH]", "[2H]C", "B(O)O", "[Na+].[Cl-]", "[H]OC", "c1ccsc1"]
    smiles = odd + list(cx.load_esol().smiles) + list(cx.load_freesolv().smiles)
    for s in smiles:
        mol = Chem.MolFromSmiles(s)
        found = elements([mol])
        assert has_only_elements(mol, known) == (set(found) <= set(known) and found != ["H"]), s
    assert not has_only_elements(Chem.MolFromSmiles("CCO"), ("C",))


def test_atom_symbols_are_in_atom_order():
    mol = parse_smiles("ClC(=O)[O-].[Na+]")
    assert atom_symbols(mol) == ["Cl", "C", "O", "O", "Na"]
    assert atom_symbols(parse_smiles("[2H]OC")) == ["H", "O", "C"]  # a labelled H stays
