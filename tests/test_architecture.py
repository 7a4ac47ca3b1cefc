"""The layer rules of docs/architecture.md, read from the source with ``ast``.

A module may import from its own layer or below, never above; the
modality-agnostic core never imports RDKit; the adapters do not import each
other. Function-level (lazy) imports count like top-level ones.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "chemexplain"

#: Lowest first; the same table as docs/architecture.md.
LAYERS = [
    ("leaves", {"errors", "version", "vocabulary", "serialization", "files"}),
    ("nn", {"nn"}),
    ("core", {"mask", "attribution", "metrics"}),
    ("adapters", {"chem", "data", "image", "text"}),
    ("models", {"models"}),
    ("services", {"service", "io", "distributed"}),
    ("entry points", {"cli", "__main__", "<root>"}),
]
LAYER_OF = {part: rank for rank, (_, parts) in enumerate(LAYERS) for part in parts}
CORE = {"nn", "mask", "attribution", "metrics"}
ADAPTERS = {"chem", "image", "text"}


def part_of(module: str) -> str:
    """``chemexplain.chem.parsing`` -> ``chem``; ``chemexplain`` -> ``<root>``."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else "<root>"


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported module) for every absolute import in the file, lazy ones too."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "chemexplain":  # from chemexplain import service
                found.extend((node.lineno, f"chemexplain.{a.name}") for a in node.names)
            else:
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, a.name) for a in node.names)
    return found


def violations(package: Path = PACKAGE) -> list[str]:
    """Every import that breaks a layer rule, as 'file:line: what'."""
    broken = []
    for path in sorted(package.rglob("*.py")):
        source = module_name(path, package)
        mine = part_of(source)
        assert mine in LAYER_OF, f"{path}: {mine!r} has no layer; add it to LAYERS and the docs"
        for line, target in imports(path):
            where = f"{path.relative_to(package.parent)}:{line}"
            if target.split(".")[0] == "rdkit" and mine in CORE:
                broken.append(f"{where}: the core ({mine}/) imports RDKit")
            if not target.startswith("chemexplain.") and target != "chemexplain":
                continue
            theirs = part_of(target)
            if theirs not in LAYER_OF:  # an attribute such as chemexplain.__version__
                continue
            if LAYER_OF[theirs] > LAYER_OF[mine]:
                broken.append(
                    f"{where}: {mine} ({LAYERS[LAYER_OF[mine]][0]}) imports {target} "
                    f"({LAYERS[LAYER_OF[theirs]][0]}, a higher layer)"
                )
            if mine in ADAPTERS and theirs in ADAPTERS and mine != theirs:
                broken.append(f"{where}: adapter {mine}/ imports adapter {theirs}/")
    return broken


def test_no_import_runs_up_a_layer():
    assert violations() == []


def test_the_check_catches_a_reversed_import(tmp_path):
    """A copy of the package with one import turned upside down must be caught."""
    copy = tmp_path / "chemexplain"
    for path in PACKAGE.rglob("*.py"):
        target = copy / path.relative_to(PACKAGE)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(path.read_text())
    parsing = copy / "chem" / "parsing.py"
    parsing.write_text(
        parsing.read_text() + "\n\ndef _late():\n    from chemexplain.models import estimator\n"
    )
    networks = copy / "mask" / "networks.py"
    networks.write_text(networks.read_text() + "\nfrom rdkit import Chem\n")
    found = violations(copy)
    assert any("chem/parsing.py" in v and "chemexplain.models" in v for v in found), found
    assert any("mask/networks.py" in v and "RDKit" in v for v in found), found
    assert len(found) == 2, found
