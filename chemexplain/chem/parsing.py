"""The one SMILES parser of the package, plus small RDKit helpers.

Every module that needs an RDKit molecule goes through :func:`parse_smiles`, so
RDKit's logging is silenced in one place and an invalid string always becomes
an :class:`~chemexplain.errors.InvalidSmilesError` naming the string.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import re
from collections.abc import Iterable

import numpy as np
from rdkit import Chem, RDLogger, rdBase

from chemexplain.errors import InvalidSmilesError

__all__ = [
    "InvalidSmilesError",
    "atom_symbols",
    "canonical_smiles",
    "drawn_molecule",
    "elements",
    "has_only_elements",
    "molecule_rng",
    "molecule_smiles",
    "output_order",
    "parse_smiles",
    "randomize_smiles",
    "smiles_elements",
    "smiles_errors",
    "split_cxsmiles",
    "strip_cxsmiles",
]

rdBase.LogToPythonStderr()  # so that parse_smiles can capture RDKit's reason
# after LogToPythonStderr, which turns every level back on (RDKit's standardizer would
# print four info lines per molecule)
RDLogger.DisableLog("rdApp.*")


#: three lowercase letters in a row, one of them no aromatic atom of SMILES (b, c, n, o, p,
#: s): a word ('ethanol', 'Benzene'), which no SMILES holds ('cco' and 'ccs' are SMILES-like)
_NAME_LIKE = re.compile(r"(?=[a-z]{3})[a-z]*[ad-mqrt-z]")


def _rdkit_reason(log: str, smiles: str) -> str:
    """RDKit's error log for one parse as one line ("unclosed ring ...", "Explicit valence ...")."""
    reasons: list[str] = []
    for line in log.splitlines():
        line = re.sub(r"^\[[0-9:]+\] ", "", line).strip()
        line = line.removeprefix("SMILES Parse Error: ").rstrip(":").strip()
        if not line or line == smiles or set(line) <= {"~", "^"}:
            continue
        if line.startswith("Failed parsing SMILES") or line in reasons:
            continue
        reasons.append(line)
    return "; ".join(reasons) or "RDKit could not parse it"


def _mol_from_smiles(smiles: str, params=None):
    """``Chem.MolFromSmiles`` with RDKit's error log captured: (molecule or None, log)."""
    log = io.StringIO()
    rdBase.EnableLog("rdApp.error")
    try:
        with contextlib.redirect_stderr(log):
            mol = (
                Chem.MolFromSmiles(smiles) if params is None else Chem.MolFromSmiles(smiles, params)
            )
    finally:
        rdBase.DisableLog("rdApp.error")
    return mol, log.getvalue()


#: the extension of a ChemAxon extended SMILES (CXSMILES): ``|...|`` after a space
CXSMILES_EXTENSION = r"\|[^|]*\|"
_TRAILING_EXTENSION = re.compile(rf"\s+({CXSMILES_EXTENSION})$")
#: CXSMILES fields that change what the molecule is (polymer S-groups, link nodes,
#: position-variation bonds, R-group logic): refused, since the model reads the SMILES alone
_STRUCTURE_FIELDS = re.compile(r"(?:^|[|,])(Sg|LN|m|RG|LO):")


def split_cxsmiles(text: str) -> tuple[str, str]:
    """``(SMILES, extension)`` of a CXSMILES such as ``"C[C@H](O)CC |&1:1|"``: the extension
    with its bars, "" when there is none. The extension's atom numbers are the SMILES'
    atom order, so dropping it keeps every atom's number."""
    stripped = text.strip()
    match = _TRAILING_EXTENSION.search(stripped)
    if match is None:
        return text, ""
    return stripped[: match.start()], match.group(1)


def drawn_molecule(smiles: str) -> Chem.Mol:
    """The molecule of a valid SMILES as a picture should show it: with what its CXSMILES
    extension says about it (enhanced stereo groups, which RDKit draws as "and1" / "or1"
    beside the wedge, and 2D coordinates); where RDKit cannot read the extension, or
    there is none, :func:`parse_smiles`'s molecule. The atoms are numbered alike."""
    mol = parse_smiles(smiles)
    if not split_cxsmiles(smiles)[1]:
        return mol
    with_extension, _ = _mol_from_smiles(smiles.strip())
    if with_extension is None or with_extension.GetNumAtoms() != mol.GetNumAtoms():
        return mol
    return with_extension


def strip_cxsmiles(smiles: Iterable[str]) -> list[str]:
    """Each SMILES without its CXSMILES extension: what a model or an explainer trains on."""
    return [split_cxsmiles(s)[0] for s in smiles]


def parse_smiles(smiles: str, row: int | None = None, remove_hs: bool = True) -> Chem.Mol:
    """Parse ``smiles`` into an RDKit molecule or raise ``InvalidSmilesError``.

    The error's ``reason`` is RDKit's own message (unclosed ring, valence,
    kekulization, syntax error and where), captured from its log.

    ``row`` is only used in the error message. ``remove_hs=False`` keeps explicit
    hydrogen atoms (``[H]``) as atoms, in SMILES order. A CXSMILES extension (enhanced
    stereo, coordinates, labels: ``"C[C@H](O)CC |&1:1|"``) is read past: the molecule is
    its SMILES' (:func:`split_cxsmiles`); one that changes the structure (a polymer
    S-group, a link node, position variation) is refused.
    """
    if not isinstance(smiles, str):
        raise InvalidSmilesError(
            str(smiles), f"expected a string, got {type(smiles).__name__}", row
        )
    if not smiles.strip():
        raise InvalidSmilesError(smiles, "empty string", row)
    if smiles.strip().startswith("InChI="):
        raise InvalidSmilesError(
            smiles,
            "an InChI, not a SMILES: convert it first (RDKit: "
            "Chem.MolToSmiles(Chem.MolFromInchi(inchi)))",
            row,
        )
    written, extension = split_cxsmiles(smiles)
    written = written.strip()
    field = _STRUCTURE_FIELDS.search(extension.strip("|"))
    if field:
        raise InvalidSmilesError(
            smiles,
            f"a CXSMILES extension that changes the structure ({field.group(1)}: a polymer, "
            "link node, variable attachment or R-group): give the molecule itself",
            row,
        )
    if any(character.isspace() for character in written):  # RDKit reads a name after it
        raise InvalidSmilesError(
            smiles, "a space inside it: give the SMILES alone (a name goes in its own column)", row
        )
    params = None
    if not remove_hs:
        params = Chem.SmilesParserParams()
        params.removeHs = False
    mol, log = _mol_from_smiles(written, params)
    if mol is None:
        reason = _rdkit_reason(log, written)
        if _NAME_LIKE.search(written):
            reason += "; it reads like a name: give the molecule's SMILES (PubChem lists them)"
        raise InvalidSmilesError(smiles, reason, row)
    return mol


def smiles_errors(smiles, on_invalid: str = "report") -> list[str]:
    """Per row, "" for a SMILES that parses, else the reason it does not (RDKit's words).

    ``on_invalid="raise"`` raises :class:`InvalidSmilesError` at the first bad row
    instead (naming it and its row). The one batch check of the package: the
    estimators and ``chemexplain predict`` both use it.
    """
    if on_invalid not in ("report", "raise"):
        raise ValueError("on_invalid must be 'report' or 'raise'")
    reasons = []
    for row, s in enumerate(smiles):
        try:
            parse_smiles(s, row=row)
        except InvalidSmilesError as error:
            if on_invalid == "raise":
                raise
            reasons.append(error.reason)
        else:
            reasons.append("")
    return reasons


def elements(mols) -> list[str]:
    """The element symbols of the atoms of ``mols`` (RDKit molecules), sorted, hydrogen left
    out but for a molecule of hydrogen alone (``[H][H]``): what a model trained on them has
    seen, whatever the SMILES characters (the 'B' of 'Br' is not boron)."""
    found: set[str] = set()
    for mol in mols:
        symbols = {atom.GetSymbol() for atom in mol.GetAtoms()}
        found |= symbols - {"H"} or symbols
    return sorted(found)


def has_only_elements(mol: Chem.Mol, symbols: tuple[str, ...]) -> bool:
    """Whether every heavy atom of ``mol`` is one of ``symbols`` and it has one: the
    same as ``set(elements([mol])) <= set(symbols)`` with no hydrogen-only molecule,
    matched in C++ (a Python loop over the atoms cost more than the check is worth)."""
    return mol.GetNumHeavyAtoms() > 0 and not mol.HasSubstructMatch(_other_elements(symbols))


@functools.lru_cache(maxsize=64)
def _other_elements(symbols: tuple[str, ...]) -> Chem.Mol:
    """A one-atom query: a heavy atom that is none of ``symbols``."""
    table = Chem.GetPeriodicTable()
    numbers = sorted({1, *(table.GetAtomicNumber(s) for s in symbols)})
    return Chem.MolFromSmarts("[" + ";".join(f"!#{n}" for n in numbers) + "]")


def smiles_elements(smiles) -> list[str]:
    """:func:`elements` of SMILES already known to parse (read without sanitizing, about 4x
    faster than :func:`parse_smiles`)."""
    return elements(Chem.MolFromSmiles(s, sanitize=False) for s in smiles)


def molecule_smiles(mol: Chem.Mol) -> tuple[str, Chem.Mol]:
    """An RDKit molecule given in place of a SMILES: ``(smiles, heavy)``, where ``heavy``
    is ``mol`` without its hydrogen atoms (the other atoms keep their order, and a
    conformer its coordinates) and ``smiles`` RDKit's SMILES of it. Raises
    ``InvalidSmilesError`` for a molecule RDKit cannot write.
    """
    try:
        heavy = Chem.RemoveHs(mol)
        return Chem.MolToSmiles(heavy), heavy
    except (RuntimeError, ValueError) as error:  # e.g. an unsanitizable query molecule
        raise InvalidSmilesError("<RDKit Mol>", f"RDKit cannot write it: {error}") from None


def atom_symbols(mol: Chem.Mol) -> list[str]:
    """Element symbol of every atom, in atom order (by index: about twice as fast as
    iterating ``mol.GetAtoms()``, whose Python wrapper costs a microsecond per atom)."""
    return [mol.GetAtomWithIdx(i).GetSymbol() for i in range(mol.GetNumAtoms())]


def output_order(mol: Chem.Mol) -> list[int]:
    """After ``Chem.MolToSmiles(mol)``: atom ``k`` of the SMILES it wrote is atom
    ``output_order(mol)[k]`` of ``mol`` (RDKit's ``_smilesAtomOutputOrder``)."""
    text = mol.GetProp("_smilesAtomOutputOrder")
    return [int(i) for i in text.strip("[], \n").split(",") if i.strip()]


def canonical_smiles(smiles: str) -> str:
    """RDKit canonical SMILES of ``smiles`` (raises ``InvalidSmilesError``)."""
    return Chem.MolToSmiles(parse_smiles(smiles))


def molecule_rng(smiles: str, seed: int) -> np.random.Generator:
    """A generator seeded by the molecule itself (its canonical SMILES) and ``seed``.

    Random choices made per molecule (test-time spellings) then depend on the
    molecule alone, never on its batch or position.
    """
    digest = hashlib.sha256(canonical_smiles(smiles).encode()).digest()
    return np.random.default_rng([int(seed), int.from_bytes(digest[:8], "little")])


def randomize_smiles(smiles: str, n: int, rng: np.random.Generator) -> list[str]:
    """Up to ``n`` distinct random (non-canonical) SMILES of the same molecule.

    Atom order is shuffled with ``rng`` and written with RDKit's
    ``MolToSmiles(canonical=False)``, the enumeration of Bjerrum (2017) used by
    SMILES-X. Fewer than ``n`` come back for molecules with few spellings.
    """
    mol = parse_smiles(smiles)
    n_atoms = mol.GetNumAtoms()
    seen: dict[str, None] = {}
    for _ in range(4 * n):
        order = rng.permutation(n_atoms).tolist()
        shuffled = Chem.RenumberAtoms(mol, order)
        seen.setdefault(Chem.MolToSmiles(shuffled, canonical=False), None)
        if len(seen) >= n:
            break
    return list(seen)
