import io
import json
import subprocess
import sys

import pandas as pd
import pytest

from chemexplain.cli import main

pytestmark = pytest.mark.cli


@pytest.fixture(scope="module")
def small_csv(esol, tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "small.csv"
    esol.iloc[:150][["smiles", "logS"]].rename(columns={"smiles": "SMILES", "logS": "y"}).to_csv(
        path, index=False
    )
    return path


@pytest.fixture(scope="module")
def trained(small_csv, tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "m"
    code = main(
        [
            "train",
            "--data",
            str(small_csv),
            "--smiles-col",
            "SMILES",
            "--target-col",
            "y",
            "--epochs",
            "2",
            "--seed",
            "3",
            "--split",
            "scaffold",
            "--quiet",
            "-o",
            str(out),
        ]
    )
    assert code == 0
    return out


def test_train_writes_model_metrics_and_split(trained):
    config = json.loads((trained / "config.json").read_text())
    metrics = json.loads((trained / "metrics.json").read_text())
    assert {"test_rmse", "val_rmse", "train_seconds"} <= set(metrics)
    split = config["split"]
    assert split["method"] == "scaffold" and split["seed"] == 3
    assert sorted(split["train"] + split["val"] + split["test"]) == list(range(150))
    assert config["data"]["target"] == "y" and len(config["data"]["sha256"]) == 64


def test_predict_keeps_every_row_in_order(trained, tmp_path, capsys):
    rows = ["CCO", "C1CC", "", "c1ccccc1", "not a smiles", "CC[Se]C", "OCC(O)CO", "C%10CCCCC%10"]
    source = tmp_path / "in.csv"
    pd.DataFrame({"id": range(len(rows)), "smi": rows}).to_csv(source, index=False)
    out = tmp_path / "out.csv"
    assert (
        main(
            [
                "predict",
                "--model",
                str(trained),
                "--input",
                str(source),
                "--smiles-col",
                "smi",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    result = pd.read_csv(out, keep_default_na=False)
    assert result["id"].tolist() == list(range(len(rows)))
    assert result["status"].tolist() == ["ok", "error", "error", "ok", "error", "error", "ok", "ok"]
    assert "unclosed ring" in result["error"][1] and "empty" in result["error"][2]
    assert "a space inside it" in result["error"][4]
    assert result["error"][5] == "elements this model never saw in training: Se"
    # carbon in a ring-closure notation the model never saw: read as RDKit writes it
    assert result["warning"][7] == ""
    from chemexplain import load_model

    assert float(result["prediction"][7]) == pytest.approx(
        load_model(trained).predict(["C1CCCCC1"])[0], abs=1e-9
    )
    ok = result[result.status == "ok"]
    assert ok["prediction"].astype(float).notna().all()
    assert (result[result.status == "error"]["prediction"] == "").all()


def test_predict_refuses_a_salt_unless_standardized(trained, capsys):
    # the HCl salt of nicotine was read as one molecule before ('.' an unknown token, the
    # chloride a substituent), where explain and score refuse it
    from chemexplain import load_model
    from chemexplain.service import SEVERAL_FRAGMENTS

    salts = ["Cl.CN1CCCC1c1cccnc1", "CC(=O)[O-].[Na+]", "CCO"]
    assert main(["predict", "--model", str(trained), *salts]) == 0
    plain = pd.read_csv(io.StringIO(capsys.readouterr().out), keep_default_na=False)
    assert plain["status"].tolist() == ["error", "error", "ok"]
    assert plain["error"].tolist()[:2] == [SEVERAL_FRAGMENTS] * 2
    assert main(["predict", "--model", str(trained), "--standardize", *salts]) == 0
    standardized = pd.read_csv(io.StringIO(capsys.readouterr().out), keep_default_na=False)
    assert standardized.columns.tolist()[:3] == ["smiles", "standardized_smiles", "prediction"]
    assert standardized["smiles"].tolist() == salts  # the input as written
    parents = ["CN1CCCC1c1cccnc1", "CC(=O)O", "CCO"]
    assert standardized["standardized_smiles"].tolist() == parents
    assert standardized["prediction"].tolist() == pytest.approx(
        load_model(trained).predict(parents).tolist(), abs=1e-9
    )


def test_predict_strict_refuses_stereo_as_explain_strict_does(trained, capsys):
    from chemexplain.service import explain_batch

    stereo = ["C[C@H](N)C(=O)O", "CC(N)C(=O)O"]
    assert main(["predict", "--model", str(trained), "--strict", *stereo]) == 0
    rows = pd.read_csv(io.StringIO(capsys.readouterr().out), keep_default_na=False)
    assert rows["status"].tolist() == ["error", "ok"]
    explained = explain_batch(stereo[:1], str(trained), method="occlusion", on_unknown="error")
    assert rows["error"][0] == explained[0].error == "characters this model never saw: '@'"

    assert main(["predict", "--model", str(trained), *stereo]) == 0  # read stereo-free
    rows = pd.read_csv(io.StringIO(capsys.readouterr().out), keep_default_na=False)
    assert rows["prediction"][0] == rows["prediction"][1]
    assert rows["warning"][0] == "stereo ignored: the model was trained without it"


def test_predict_reads_fragments_where_the_model_learnt_them(esol, tmp_path, capsys):
    from chemexplain import SmilesRegressor

    data = list(esol.smiles[:40]) + ["CCO.O", "CC(C)O.O"]
    model = SmilesRegressor(max_epochs=1, random_state=0, verbose=False)
    model.fit(data, [*esol.logS[:40], 0.5, 0.4]).save(tmp_path / "m")
    assert main(["predict", "--model", str(tmp_path / "m"), "CCO.O"]) == 0
    row = pd.read_csv(io.StringIO(capsys.readouterr().out), keep_default_na=False).iloc[0]
    assert row["status"] == "ok" and row["warning"] == ""
    assert row["prediction"] == pytest.approx(model.predict(["CCO.O"])[0], abs=1e-9)


def test_a_file_given_as_a_smiles_is_a_usage_error(trained, tmp_path, capsys):
    source = tmp_path / "library.csv"
    source.write_text("smiles\nCCO\n")
    for name in (str(source), "missing.smi"):
        assert main(["predict", "--model", str(trained), name]) == 2
        err = capsys.readouterr().err.strip()
        assert err.endswith(f"{name!r} is a file, not a SMILES: pass it as --input {name}")
        assert len(err.splitlines()) == 1


def test_predict_positional_smiles_to_stdout(trained, capsys):
    assert main(["predict", "--model", str(trained), "CCO", "CCCC"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "smiles,prediction,status,error,warning" and len(lines) == 3


def test_train_drops_an_unreadable_smiles_with_a_one_line_warning(esol, tmp_path, capsys):
    data = tmp_path / "dirty.csv"
    part = esol.iloc[:60][["smiles", "logS"]].copy()
    part.loc[5, "smiles"] = "C1CC"
    part.to_csv(data, index=False)
    argv = ["train", "--data", str(data), "--target-col", "logS", "--epochs", "1", "--quiet"]
    assert main([*argv, "-o", str(tmp_path / "m")]) == 0
    err = capsys.readouterr().err
    assert (
        "chemexplain train: warning: " + f"{data}: dropped 1 of 60 rows whose SMILES RDKit cannot "
        "read (line 7 'C1CC': unclosed ring" in err
    )
    assert "UserWarning" not in err and "load_csv(" not in err  # no Python file and line


def test_a_classifier_predicts_its_label_and_probability(esol, tmp_path, capsys):
    data = tmp_path / "labels.csv"
    part = esol.iloc[:120].assign(soluble=(esol.logS[:120] > -3).astype(int))
    part[["smiles", "soluble"]].to_csv(data, index=False)
    out = tmp_path / "cls"
    argv = ["train", "--data", str(data), "--target-col", "soluble", "--epochs", "2"]
    assert main([*argv, "--quiet", "-o", str(out)]) == 0
    capsys.readouterr()
    smiles = ["OCC(O)CO", "C1CC", "c1ccc2ccccc2c1"]
    assert main(["predict", "--model", str(out), *smiles]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert table.columns.tolist()[:3] == ["smiles", "prediction", "probability"]
    from chemexplain import load_model

    model = load_model(out)
    p1 = model.predict_proba([smiles[0], smiles[2]])[:, 1]
    assert table.probability[[0, 2]].tolist() == pytest.approx(p1.tolist(), abs=1e-6)
    assert table.prediction[[0, 2]].tolist() == model.predict([smiles[0], smiles[2]]).tolist()
    assert table.status.tolist() == ["ok", "error", "ok"] and pd.isna(table.probability[1])


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["train", "--data", "missing.csv", "--target-col", "y", "-o", "x"],
            "missing.csv does not exist",
        ),
        (["predict", "--model", "no_such_dir", "CCO"], "not a model directory"),
    ],
)
def test_user_errors_are_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("command", ["train --data esol", "fit-mask", "fit-explainer"])
@pytest.mark.parametrize(
    "device, message",
    [
        ("gpu", "--device 'gpu' is no torch device: use 'cpu', 'cuda' or 'cuda:N'"),
        ("mps", "--device mps: only 'cpu' and 'cuda' devices are supported"),
        ("cuda:64", None),  # no machine has 65 GPUs; which message depends on the torch build
    ],
)
def test_a_device_this_machine_lacks_is_one_line_before_any_training(
    command, device, message, tmp_path, capsys
):
    out = tmp_path / "out"
    assert main([*command.split(), "-o", str(out), "--epochs", "1", "--device", device]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and not out.exists()
    name = command.split()[0]
    if message is None:
        assert err.startswith(f"chemexplain {name}: error: --device cuda:64: "), err
        assert "sees no CUDA GPU" in err or "CUDA GPU(s)" in err
    else:
        assert err == f"chemexplain {name}: error: {message}"


@pytest.mark.parametrize("command", ["fit-mask", "fit-explainer"])
def test_zero_epochs_is_a_usage_error(command, tmp_path, capsys):
    # fit-mask saved an untrained mask (best_epoch null) with exit 0 before
    with pytest.raises(SystemExit) as done:
        main([command, "-o", str(tmp_path / "out"), "--epochs", "0"])
    assert done.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"chemexplain {command}: error: argument --epochs: must be 1 or more, got 0 "
        f"(see chemexplain {command} --help)"
    )
    assert not (tmp_path / "out").exists()


def test_unknown_column_and_bad_model_file(small_csv, trained, tmp_path, capsys):
    assert (
        main(["train", "--data", str(small_csv), "--target-col", "logS", "-o", str(tmp_path)]) == 2
    )
    assert "no column 'smiles'" in capsys.readouterr().err
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{not json")
    assert main(["predict", "--model", str(broken), "CCO"]) == 2
    assert "not valid JSON" in capsys.readouterr().err


def test_help_everywhere_and_fresh_process_is_quiet(trained, tmp_path):
    for argv in (["--help"], ["train", "--help"], ["predict", "--help"]):
        with pytest.raises(SystemExit) as done:
            main(argv)
        assert done.value.code == 0
    # a fresh process: DeepChem's import-time noise must not reach the user
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "chemexplain",
            "train",
            "--data",
            "esol",
            "--epochs",
            "1",
            "--quiet",
            "-o",
            str(tmp_path / "esol1"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "normalization" not in result.stderr + result.stdout
    assert "Skipped loading" not in result.stderr + result.stdout
    assert "test_rmse" in json.loads(result.stdout.strip().splitlines()[-1])


def test_fit_mask_then_evaluate(trained, tmp_path, capsys, monkeypatch):
    """fit-mask trains on the model's own split (re-found by its sha256), evaluate scores it."""
    import shutil

    data_dir = tmp_path / "data"
    source = json.loads((trained / "config.json").read_text())["data"]["dataset"]
    data_dir.mkdir()
    shutil.copy(source, data_dir / "small.csv")
    mask_dir = tmp_path / "mask"
    assert (
        main(
            [
                "fit-mask",
                "--model",
                str(trained),
                "-o",
                str(mask_dir),
                "--epochs",
                "1",
                "--quiet",
            ]
        )
        == 0
    )
    assert (mask_dir / "weights.safetensors").exists()
    assert (mask_dir / "randomized" / "weights.safetensors").exists()
    capsys.readouterr()
    report_path = tmp_path / "eval.json"
    assert (
        main(
            [
                "evaluate",
                "--model",
                str(trained),
                "--mask",
                str(mask_dir),
                "--split",
                "all",
                "-o",
                str(report_path),
            ]
        )
        == 0
    )
    report = json.loads(report_path.read_text())
    assert report["n"] == 150 and report["split"] == "all"
    assert set(report["rmse"]) == {"base", "masked"}
    for group in ("soluble", "insoluble"):
        for level in ("char", "atom"):
            entry = report["top3"][group][level]
            assert {"accuracy", "chance", "randomized", "spearman_vs_randomized", "n"} <= set(entry)
            assert 0.0 <= entry["chance"] <= 1.0
    assert report["top3"]["soluble"]["atom"]["n"] > 0
    # the model's data changed since training: its split indices no longer apply
    pd.read_csv(source).iloc[:100].to_csv(source, index=False)
    try:
        assert main(["evaluate", "--model", str(trained), "--mask", str(mask_dir)]) == 2
        assert "changed since the model was trained" in capsys.readouterr().err
    finally:
        shutil.copy(data_dir / "small.csv", source)


def test_fit_mask_on_unlabeled_molecules(trained, tmp_path):
    library = tmp_path / "library.csv"
    pd.DataFrame(
        {"smiles": ["CCO", "CCN", "c1ccccc1O", "CCCCCl", "OCC(O)CO", "CC(=O)O"] * 3}
    ).to_csv(library, index=False)
    out = tmp_path / "mask"
    assert (
        main(
            [
                "fit-mask",
                "--model",
                str(trained),
                "--data",
                str(library),
                "--target",
                "model",
                "--epochs",
                "1",
                "--no-control",
                "--quiet",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    assert not (out / "randomized").exists()
    assert main(["fit-mask", "--model", str(trained), "--data", str(library), "-o", str(out)]) == 2


def test_every_option_of_every_command_has_help_text():
    import argparse

    from chemexplain.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    missing = [
        f"{name} {'/'.join(action.option_strings) or action.dest}"
        for name, sub in commands.choices.items()
        for action in sub._actions
        if not isinstance(action, argparse._HelpAction) and not action.help
    ]
    assert missing == []


def test_old_flag_spellings_still_work_with_a_deprecation_message(capsys):
    """--out (train) and --json/--k (evaluate) keep working for one release, and say so."""
    import argparse

    from chemexplain.cli import build_parser

    parser = build_parser()
    args = parser.parse_args(["train", "--data", "esol", "--out", "old", "--quiet"])
    assert args.output == "old" and "--out is deprecated" in capsys.readouterr().err
    args = parser.parse_args(["evaluate", "--json", "r.json", "--k", "5"])
    assert (args.output, args.k) == ("r.json", 5)
    err = capsys.readouterr().err
    assert "--json is deprecated" in err and "--k is deprecated" in err
    args = parser.parse_args(["train", "--data", "esol", "-o", "new"])
    assert args.output == "new" and capsys.readouterr().err == ""
    for name in ("train", "fit-mask", "fit-explainer", "evaluate", "predict", "score", "explain"):
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        options = {o for action in sub.choices[name]._actions for o in action.option_strings}
        if name != "explain":
            assert {"-o", "--output"} <= options, name
        assert "--model" in options or name == "train", name


def test_a_model_plus_explainer_folder_works_wherever_a_model_does(tiny_pair_dir, capsys):
    """predict takes the bundled layout; explain takes a bare model folder (occlusion by
    default), with one line naming what is missing when the method needs a part the folder
    lacks."""
    assert main(["predict", "--model", str(tiny_pair_dir), "CCO"]) == 0
    from_pair = capsys.readouterr().out
    assert main(["predict", "--model", str(tiny_pair_dir / "model"), "CCO"]) == 0
    assert capsys.readouterr().out == from_pair
    bare = str(tiny_pair_dir / "model")
    assert main(["explain", "CCO", "--model", bare, "--method", "mask"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "has no explanation mask (mask/)" in err
    assert main(["explain", "CCO", "--model", bare, "--method", "occlusion"]) == 0
    from_bare = capsys.readouterr().out
    assert main(["explain", "CCO", "--model", bare]) == 0  # default there: occlusion
    assert capsys.readouterr().out == from_bare
    assert main(["explain", "CCO", "--model", str(tiny_pair_dir), "--method", "occlusion"]) == 0
    assert capsys.readouterr().out == from_bare and "raise:" in from_bare
    assert main(["explain", "CCO", "--model", bare, "--method", "shapley"]) == 2
    assert "no amortized Shapley explainer" in capsys.readouterr().err
