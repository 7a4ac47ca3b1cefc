"""The explain command: printed atoms, drawings, and the SMILES its indices refer to."""

import re

from chemexplain.cli import main
from tests.helpers import printed_in_a_fresh_process


def test_explain_command_prints_and_draws(tmp_path, tiny_pair_dir, capsys):
    code = main(
        [
            "explain",
            "CCO",
            "C1CC",
            "c1ccccc1Cl",
            "--model",
            str(tiny_pair_dir),
            "--draw",
            str(tmp_path / "pics"),
            "--format",
            "png",
            "--3d",
        ]
    )
    lines = capsys.readouterr().out.splitlines()
    assert code == 0  # the run completed; the failed row says why
    assert lines[0].startswith("CCO\t") and "top atoms:" in lines[0]
    assert lines[0].endswith("atoms of: CCO")
    assert re.match(r"CCO\t(inside|outside) the model's domain: Tanimoto \d\.\d\d", lines[1])
    assert lines[2] == "C1CC\terror: invalid SMILES: unclosed ring for input: 'C1CC'"
    files = sorted(p.name for p in (tmp_path / "pics").iterdir())
    assert files == [
        "001_CCO.png",
        "001_CCO_3d.html",
        "003_c1ccccc1Cl.png",
        "003_c1ccccc1Cl_3d.html",
    ]
    argv = ["explain", "CCO", "C1CC", "--model", str(tiny_pair_dir)]
    assert main(argv + ["--fail-on-error"]) == 1
    assert main(["explain", "CCO", "--model", str(tiny_pair_dir), "--fail-on-error"]) == 0


def test_explain_prints_the_smiles_its_atom_indices_refer_to(tiny_pair_dir, capsys):
    assert (
        main(["explain", "[Na+].[O-]C(=O)c1ccccc1", "--standardize", "--model", str(tiny_pair_dir)])
        == 0
    )
    line = capsys.readouterr().out.strip().splitlines()[0]
    assert line.endswith("atoms of: O=C(O)c1ccccc1")


def test_a_per_molecule_method_shows_progress_and_gives_what_one_call_gives(tiny_pair_dir, capsys):
    import chemexplain as cx
    from chemexplain.cli.explain import PROGRESS_CHUNK

    smiles = ["CCO", "OCC(O)CO", "c1ccccc1O", "CCN", "CC(=O)O"] * 2
    assert len(smiles) > PROGRESS_CHUNK  # more than one chunk
    argv = ["explain", *smiles, "--model", str(tiny_pair_dir), "--method", "occlusion", "-k", "2"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "explain (occlusion): 100%" in err and f"{len(smiles)}/{len(smiles)}" in err
    whole = cx.explain(smiles, model=tiny_pair_dir, method="occlusion")
    lines = [line for line in out.splitlines() if "\tatoms of: " in line]
    assert lines == [
        f"{e.input}\t{e.value_text()}\t{e.atoms_text(2)}\tatoms of: {e.smiles}" for e in whole
    ]
    assert main([*argv, "--quiet"]) == 0
    assert "explain (" not in capsys.readouterr().err
    assert main(["explain", *smiles[:3], "--model", str(tiny_pair_dir), "--method", "mask"]) == 0
    assert "explain (" not in capsys.readouterr().err  # one pass for all: no bar


def test_a_file_given_as_a_smiles_is_a_usage_error_that_points_at_score(tmp_path, capsys):
    """RDKit reads 'mols.sdf' as a three-fragment molecule: the error row said 'several
    fragments (a salt or mixture)' and the exit status was 0."""
    source = tmp_path / "library.csv"
    source.write_text("smiles\nCCO\n")
    for name in (str(source), "mols.sdf"):
        assert main(["explain", name]) == 2
        err = capsys.readouterr().err.strip()
        assert err.endswith(
            f"{name!r} is a file, not a SMILES: explain a file's molecules with "
            f"'chemexplain score {name} -o scored.csv' (add --html report.html for drawings)"
        )
        assert len(err.splitlines()) == 1


def test_a_model_without_an_explainer_says_what_its_atoms_get(tiny_pair_dir, capsys):
    """A bare model falls back to occlusion on one spelling, whose values follow the
    writing (benzene's six carbons got +0.43 to -0.68): the command says so, once."""
    bare = str(tiny_pair_dir / "model")
    assert main(["explain", "Oc1ccccc1", "CCO", "--model", bare]) == 0
    err = capsys.readouterr().err
    assert err.count("note: this model has no trained explainer") == 1
    assert "--spellings 10" in err and "fit-explainer" in err
    chosen = (["--spellings", "2"], ["--method", "occlusion"], ["--quiet"])
    for extra in chosen:
        assert main(["explain", "Oc1ccccc1", "--model", bare, *extra]) == 0
        assert "note:" not in capsys.readouterr().err
    assert main(["explain", "CCO", "--model", str(tiny_pair_dir)]) == 0  # it has a mask
    assert "note:" not in capsys.readouterr().err


def test_explain_without_pictures_does_not_import_the_drawing_code():
    """RDKit's drawing modules take about 0.4 s of a start; only --draw needs them."""
    code = (
        "import sys; from chemexplain.cli import main; main(['explain', 'CCO']); "
        "print('chemexplain.chem.drawing' in sys.modules)"
    )
    assert printed_in_a_fresh_process(code)[-1] == "False"
