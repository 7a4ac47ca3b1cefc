"""The amortized Shapley explainer: efficiency, spelling invariance, ground truths, speed.

    python scripts/benchmark_shapley.py --part esol       # ~20 min on 1 thread
    python scripts/benchmark_shapley.py --part crippen    # ~25 min on 1 thread
    python scripts/benchmark_shapley.py --part crippen --removal delete  # 14 min, 1 thread
    python scripts/benchmark_shapley.py --part synthetic  # ~25 min on 1 thread
    python scripts/benchmark_shapley.py --part synthetic_context --removal delete  # ~25 min
    python scripts/benchmark_shapley.py --part speed --threads 2 \
        --load chemexplain/models/pretrained_esol/shapley  # ~2 min; run it alone
    python scripts/benchmark_shapley.py --part speed --speed-molecules all --threads 2 \
        --load chemexplain/models/pretrained_esol/shapley  # ~10 min; alone
    python scripts/benchmark_shapley.py --part crippen --compare-removals  # ~28 min, 1 thread

Each part updates its own entry of ``benchmarks/shapley.json`` and the
"Amortized Shapley" table of ``benchmarks/README.md``.

- ``esol``: ``SmilesShapley`` (``--network``, default ``graph``) trained over the
  bundled model on its training split, early-stopped on its validation split,
  saved to ``runs/shapley_esol_<network>``. On the test split (SMILES as
  written): the mean ``|sum of contributions - (prediction - reference)|``
  (efficiency, log10 mol/L); spelling invariance: per molecule, the Spearman
  between the per-atom values from two random spellings (mapped back to the
  same atoms), mean over molecules of 3+ atoms, for the explainer and occlusion.
- ``crippen`` / ``synthetic``: a SMILES2vec (``--truth-config``, default
  ``paper``; random split, seed 0) trained on a target whose per-atom values are
  known: RDKit's Crippen logP (per-atom contributions, hydrogens folded in) or
  the synthetic additive task of :mod:`chemexplain.chem.ground_truth`
  (per-atom-type values plus a carboxylic-acid / primary-amide term; the
  lookup rule has its exact form) or, ``synthetic_context``, the same plus
  terms for each atom's hydrogens and a carbon's N/O neighbours (a form no
  element-plus-aromaticity table holds). The
  explainer is trained over it; on its test molecules, SMILES as written, one
  pass: every method's mean per-molecule signed Kendall tau and Somers' D (the
  pairs the truth orders only), each with a bootstrap 95% CI (2,000 resamples
  of molecules), beside the atom-type lookup rule
  (fitted on the training molecules' labels), their paired difference, and
  random values. ``--removal delete`` (the shipped explainer's game) stores the
  part as ``<part>_delete``, which the README table shows when present;
  ``--removal zero`` (the default) as ``<part>``.
- ``--load DIR`` (esol): evaluate a saved explainer instead of training one;
  ``--load chemexplain/models/pretrained_esol/shapley`` (the shipped one, which
  deletes atoms) is stored as ``esol``. Trained here, the explainer is stored as
  ``esol_<removal>``: ``--removal zero`` (sets an absent atom's characters'
  embeddings to 0, the SMILES keeping its length, so the reference moves with
  it; the explainer shipped before) or ``--removal delete`` (takes them out:
  the reference is the empty SMILES' prediction, one value for every molecule).
  Every esol run records how far the reference moves between the test molecules.
- ``--compare-removals`` (crippen / synthetic): a freshly trained model
  (``runs/<part>_model_<config>_removals``) with a zeroing and a deletion
  explainer trained over it the same way; their taus and paired difference,
  stored as ``<part>_removals`` (the published part's entry is left alone).
- ``--game-permutations N`` (crippen / synthetic / synthetic_context): the part's
  saved model and explainer (run the part first); the explainer's game's own
  Shapley values, estimated from N sampled atom orders
  (``compare_removal_games.game_shapley``), scored against the truth like a
  method, and the explainer scored against them; stored as ``<part>_game``.
  With ``--game-spellings K`` the values are averaged over the canonical and K
  random spellings (what the explainer, trained on random spellings, learns);
  stored as ``<part>_game_spellings``. Both show as rows of the part's table.
- ``speed``: molecules per second of ``explain(method="shapley")`` and of
  ``explain(method="integrated_gradients")`` (50 steps) on the ESOL test split,
  in this process, and their ratio; ``--speed-molecules all``: the same on all
  1,128 ESOL molecules in one call (the explainer's fixed 32-row batches are
  then full; at 113 molecules 113 of the model's 320 rows and of the explainer's 256
  are real).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from scipy.stats import spearmanr

import chemexplain as cx
from chemexplain.chem import ground_truth
from chemexplain.chem.atom_attribution import spellings
from chemexplain.chem.attribute import atom_attributions
from chemexplain.chem.parsing import molecule_rng, parse_smiles
from chemexplain.chem.shapley import SmilesShapley
from chemexplain.files import write_atomically
from chemexplain.io.markdown_blocks import replace_block
from chemexplain.metrics.ground_truth import (
    bootstrap_ci,
    kendall_ceiling,
    paired_kendall,
    per_molecule_kendall,
)

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "shapley.json"
README = ROOT / "benchmarks" / "README.md"

#: signed per-atom methods compared on the ground truths, SMILES as written
TRUTH_METHODS = (
    "occlusion",
    "integrated_gradients",
    "lrp_epsilon",
    "kernel_shap",
    "gradient_x_input",
)


def two_spellings(smiles: str) -> list[tuple[str, list[int]]]:
    """Two random spellings of ``smiles`` with their atom orders (seeded per molecule)."""
    return [spellings(smiles, 1, molecule_rng(smiles, seed))[1] for seed in (1, 2)]


def spelling_spearman(smiles_list, values_of) -> float:
    """Mean Spearman between the per-atom values of two spellings of each molecule."""
    rhos = []
    for smiles in smiles_list:
        n = parse_smiles(smiles).GetNumAtoms()
        if n < 3:
            continue
        pair = two_spellings(smiles)
        mapped = []
        for (_, order), values in zip(pair, values_of([text for text, _ in pair])):
            atoms = np.zeros(n)
            atoms[order] = values
            mapped.append(atoms)
        rho = spearmanr(*mapped)[0]
        if np.isfinite(rho):
            rhos.append(rho)
    return float(np.mean(rhos))


def explainer_name(part: str, args) -> str:
    """Folder under runs/ of the explainer the esol part trains (zeroing keeps the old name)."""
    removal = "" if args.removal == "zero" else f"_{args.removal}"
    return f"shapley_esol_{args.network}{removal}"


def fit_explainer(
    model, train, val, args, out: Path, removal: str | None = None
) -> tuple[SmilesShapley, float]:
    """A SmilesShapley of the command's settings (``removal``: default ``--removal``),
    trained and saved to ``out``; with its training seconds."""
    started = time.perf_counter()
    explainer = SmilesShapley(
        model,
        network=args.network,
        hidden=args.hidden,
        n_layers=args.layers,
        max_epochs=args.epochs,
        removal=removal or args.removal,
        verbose=True,
    ).fit(train, val)
    seconds = time.perf_counter() - started
    explainer.save(out)
    return explainer, seconds


def explainer_record(explainer, seconds, explainer_dir=None) -> dict:
    return {
        "explainer": str(explainer_dir) if explainer_dir else "trained here",
        "network": explainer.network,
        "hidden": explainer.hidden,
        "layers": explainer.n_layers,
        "removal": explainer.removal,
        "epochs_run": len(explainer.history_),
        "best_epoch": explainer.explainer_.best_epoch_,
        "fit_seconds": seconds,
    }


def part_esol(args) -> dict:
    model, _ = cx.pretrained()
    esol = cx.load_esol()
    part = {k: [esol.smiles[i] for i in model.split_[k]] for k in ("train", "val", "test")}
    if args.load:  # an explainer trained before, e.g. the bundled one
        explainer, seconds = SmilesShapley.load(args.load, model), None
    else:
        explainer, seconds = fit_explainer(
            model, part["train"], part["val"], args, ROOT / "runs" / explainer_name("esol", args)
        )
    test = part["test"]
    explanations = cx.explain(test, model=model, method="shapley", shapley=explainer)
    efficiency = [abs(e.atom_weights.sum() - (e.prediction - e.reference)) for e in explanations]

    def shapley_values(batch):
        return explainer.atom_values(batch)[0]

    def occlusion_values(batch):
        return atom_attributions(batch, model, "occlusion")[0]

    return {
        **explainer_record(explainer, seconds, args.load),
        "test_molecules": len(test),
        "efficiency_mean_abs_error": float(np.mean(efficiency)),
        "efficiency_max_abs_error": float(np.max(efficiency)),
        # how far the reference moves between molecules (log10 mol/L)
        "reference": {
            "mean": float(np.mean([e.reference for e in explanations])),
            "std": float(np.std([e.reference for e in explanations])),
            "min": float(np.min([e.reference for e in explanations])),
            "max": float(np.max([e.reference for e in explanations])),
        },
        "spelling_spearman": {
            "shapley": spelling_spearman(test, shapley_values),
            "occlusion": spelling_spearman(test, occlusion_values),
        },
    }


def truth_frame(name: str):
    """(ESOL + FreeSolv molecules with the ``target`` column, per-atom truth function)."""
    base = list(cx.load_esol().smiles) + list(cx.load_freesolv().smiles)
    frame = ground_truth.crippen_frame(base)
    if name == "crippen":
        truth_of = ground_truth.crippen_atom_contributions
        frame["target"] = frame.crippen_logp
    else:
        truth_of = {
            "synthetic": ground_truth.synthetic_atom_values,
            "synthetic_context": ground_truth.synthetic_context_atom_values,
        }[name]
        frame["target"] = [truth_of(s).sum() for s in frame.smiles]
    return frame, truth_of


def tau_summary(values, truths) -> dict:
    """Mean per-molecule signed Kendall tau-b and Somers' D, each with its bootstrap 95% CI."""
    taus = per_molecule_kendall(values, truths)
    mean, (low, high) = bootstrap_ci(taus)
    d_mean, (d_low, d_high) = bootstrap_ci(
        per_molecule_kendall(values, truths, statistic="somers_d")
    )
    return {
        "mean": mean,
        "ci": [low, high],
        "n": int(taus.size),
        "somers_d": {"mean": d_mean, "ci": [d_low, d_high]},
    }


def config_suffix(args) -> str:
    """What the folders and stored entries of a ground-truth part add for a model config
    other than the paper's (``--truth-config best``: ``_best``), so that both stay."""
    return "" if args.truth_config == "paper" else f"_{args.truth_config}"


def truth_model(frame, saved: Path, args):
    """SMILES2vec (``--truth-config``; random split, seed 0) on ``frame.target``, loaded from
    ``saved`` with ``--reuse-model`` when there, else trained and saved there."""
    if args.reuse_model and saved.is_dir():
        return cx.load_model(saved)
    model = cx.train_on_frame(
        frame, "target", split="random", seed=0, config=args.truth_config, verbose=False
    )
    model.save(saved)
    return model


def part_removals(args, name: str) -> dict:
    """The zeroing and the deletion explainer, each trained over one freshly trained model
    on a ground truth (its own folders under runs/, so the published part's model and
    explainer are left alone); their taus and paired difference on its test molecules."""
    frame, truth_of = truth_frame(name)
    model = truth_model(frame, ROOT / "runs" / f"{name}_model_{args.truth_config}_removals", args)
    split = {k: [frame.smiles[i] for i in model.split_[k]] for k in ("train", "val", "test")}
    truths = [truth_of(s) for s in split["test"]]
    values, record = {}, {}
    for removal in ("zero", "delete"):
        out = ROOT / "runs" / f"{name}_shapley_{args.network}_removals_{removal}"
        if args.reuse_explainer and out.is_dir():
            explainer, seconds = SmilesShapley.load(out, model), None
        else:
            explainer, seconds = fit_explainer(
                model, split["train"], split["val"], args, out, removal
            )
        values[removal] = explainer.atom_values(split["test"])[0]
        record[removal] = {
            **tau_summary(values[removal], truths),
            "explainer": explainer_record(explainer, seconds, out.relative_to(ROOT)),
        }
        print(f"{name} {removal}: {record[removal]['mean']:.3f}")
    return {
        "target": name,
        "model_config": args.truth_config,
        "model_test_rmse": model.metrics_["test_rmse"],
        "test_molecules": len(split["test"]),
        **record,
        "delete_minus_zero_paired": paired_kendall(values["delete"], values["zero"], truths),
    }


def part_game(args, name: str) -> dict:
    """The explainer of a ground-truth part (its model and explainer as that part saved them
    under runs/) against its own game's Shapley values, sampled: is the gap to the truth
    the explainer's training, or the game itself?"""
    frame, truth_of = truth_frame(name)
    saved = ROOT / "runs" / f"{name}_model_{args.truth_config}"
    explainer_dir = ROOT / "runs" / f"{name}_shapley_{args.network}{config_suffix(args)}"
    if not (saved.is_dir() and explainer_dir.is_dir()):
        raise SystemExit(f"run --part {name} first: it saves {saved} and {explainer_dir}")
    model = cx.load_model(saved)
    explainer = SmilesShapley.load(explainer_dir, model)
    test = [frame.smiles[i] for i in model.split_["test"]]
    truths = [truth_of(s) for s in test]
    from compare_removal_games import game_shapley  # beside this script

    game = (explainer.removal,)
    started = time.perf_counter()
    sampled = []
    for s in test:
        if not args.game_spellings:  # the SMILES as written
            sampled.append(game_shapley(model, s, args.game_permutations, 0, game)[game[0]])
            continue
        # averaged over the canonical and random spellings, as the explainer is trained
        spelled = spellings(s, args.game_spellings, molecule_rng(s, 0))
        total = np.zeros(parse_smiles(s).GetNumAtoms())
        for k, (text, order) in enumerate(spelled):
            total[order] += game_shapley(model, text, args.game_permutations, k + 1, game)[game[0]]
        sampled.append(total / len(spelled))
    seconds = time.perf_counter() - started
    shapley_values = explainer.atom_values(test)[0]
    return {
        "spellings": args.game_spellings,
        "target": name,
        "explainer": str(explainer_dir.relative_to(ROOT)),
        "removal": explainer.removal,
        "permutations": args.game_permutations,
        "seconds": seconds,
        "test_molecules": len(test),
        "game_shapley_vs_truth": tau_summary(sampled, truths),
        "explainer_vs_truth": tau_summary(shapley_values, truths),
        "explainer_vs_game_shapley": tau_summary(shapley_values, sampled),
    }


def part_truth(args, name: str) -> dict:
    """Train a model on a target with known per-atom values; every method's tau on its test set."""
    frame, truth_of = truth_frame(name)
    started = time.perf_counter()
    model = truth_model(frame, ROOT / "runs" / f"{name}_model_{args.truth_config}", args)
    model_seconds = time.perf_counter() - started
    split = {k: [frame.smiles[i] for i in model.split_[k]] for k in ("train", "val", "test")}
    y_train = frame.target.to_numpy()[model.split_["train"]]
    explainer_dir = ROOT / "runs" / f"{name}_shapley_{args.network}{config_suffix(args)}"
    if args.reuse_explainer and explainer_dir.is_dir():
        explainer, seconds = SmilesShapley.load(explainer_dir, model), None
    else:
        explainer, seconds = fit_explainer(model, split["train"], split["val"], args, explainer_dir)
    test = split["test"]
    truths = [truth_of(s) for s in test]

    def summary(values) -> dict:
        return tau_summary(values, truths)

    shapley_values = explainer.atom_values(test)[0]
    taus = {"shapley": summary(shapley_values)}
    for method in TRUTH_METHODS:
        started = time.perf_counter()
        taus[method] = summary(atom_attributions(test, model, method)[0])
        print(
            f"{name} {method}: {taus[method]['mean']:.3f} ({time.perf_counter() - started:.0f} s)"
        )
    rule = ground_truth.AtomTypeLookup().fit(split["train"], y_train)
    taus["atom_type_lookup"] = summary(rule.atom_values(test))
    versus_rule = paired_kendall(shapley_values, rule.atom_values(test), truths)
    rng = np.random.default_rng(0)
    taus["random"] = summary([rng.normal(size=len(t)) for t in truths])
    return {
        "target": name,
        "model_config": args.truth_config,
        "model_seconds": model_seconds,
        "model_test_rmse": model.metrics_["test_rmse"],
        "test_molecules": len(test),
        "explainer": explainer_record(
            explainer, seconds, explainer_dir.relative_to(ROOT) if seconds is None else None
        ),
        "kendall_tau_as_written": taus,
        # the best tau-b any method without exact ties can reach (the truth ties atoms)
        "kendall_tau_ceiling": float(kendall_ceiling(truths).mean()),
        "shapley_minus_lookup_rule_paired": versus_rule,
    }


def part_speed(args) -> dict:
    model, _ = cx.pretrained()
    esol = cx.load_esol()
    test = [esol.smiles[i] for i in model.split_["test"]]
    if args.speed_molecules == "all":
        test = list(esol.smiles)
    explainer = SmilesShapley.load(
        args.load or ROOT / "runs" / f"shapley_esol_{args.network}", model
    )
    cx.explain(test[:5], model=model, method="shapley", shapley=explainer)  # warm up

    def per_second(method, repeats, **kwargs) -> float:
        started = time.perf_counter()
        for _ in range(repeats):
            cx.explain(test, model=model, method=method, **kwargs)
        return repeats * len(test) / (time.perf_counter() - started)

    shapley = per_second("shapley", 5, shapley=explainer)
    ig = per_second("integrated_gradients", 1)
    return {
        "threads": torch.get_num_threads(),
        "molecule_set": "all ESOL" if args.speed_molecules == "all" else "ESOL test split",
        "molecules": len(test),
        "molecules_per_second": {"shapley": shapley, "integrated_gradients_50": ig},
        "speedup_vs_integrated_gradients": shapley / ig,
    }


def update_readme(results: dict) -> None:

    lines = [
        "Reproduce: `python scripts/benchmark_shapley.py --part "
        "esol|crippen|synthetic|synthetic_context|speed` "
        "(writes `benchmarks/shapley.json`; what each part does is in the script's docstring). "
        "The amortized Shapley explainer (`SmilesShapley`, FastSHAP with atoms as players) "
        "over a frozen model; values are contributions in the target's units.",
        "",
    ]
    esol, zeroed = results.get("esol"), results.get("esol_zero")

    def reference(r) -> str:
        if "reference" not in r:
            return "-"
        ref = r["reference"]
        return f"{ref['std']:.2f} ({ref['min']:.2f} to {ref['max']:.2f})"

    if esol:
        lines += [
            f"ESOL, bundled model, {esol['network']} network ({esol['layers']} layers, hidden "
            f"{esol['hidden']}), best epoch {esol['best_epoch']} ({esol['explainer']}); test "
            f"split, {esol['test_molecules']} molecules, SMILES as written."
            + (
                f' The explainer deletes an atom\'s characters (`removal="{esol["removal"]}"`), '
                "so the reference is the model's output for the empty SMILES, one value for "
                "every molecule. Last column: the same network trained on the zeroing game "
                f"(`--removal zero`, best epoch {zeroed['best_epoch']}; shipped before "
                "2026-11-28): an atom's characters are set to 0 and the SMILES keeps its "
                "length, so the reference moves with the length "
                "(`python scripts/compare_removal_games.py`)."
                if zeroed
                else ""
            ),
            "",
            "| figure | amortized Shapley | beside it |" + (" atoms zeroed |" if zeroed else ""),
            "|---|---|---|" + ("---|" if zeroed else ""),
        ]

        def row(figure: str, ours: str, beside: str, other: str) -> str:
            return f"| {figure} | {ours} | {beside or '-'} |" + (f" {other} |" if zeroed else "")

        def efficiency(r) -> str:
            return f"{r['efficiency_mean_abs_error']:.1e} (max {r['efficiency_max_abs_error']:.1e})"

        lines += [
            row(
                "mean abs(sum of contributions - (prediction - reference)), log10 mol/L",
                efficiency(esol),
                "",
                efficiency(zeroed) if zeroed else "",
            ),
            row(
                "reference over the test molecules: std (min to max), log10 mol/L",
                reference(esol),
                "",
                reference(zeroed) if zeroed else "",
            ),
            row(
                "spelling invariance: mean Spearman of two random spellings",
                f"{esol['spelling_spearman']['shapley']:.3f}",
                f"occlusion {esol['spelling_spearman']['occlusion']:.3f}",
                f"{zeroed['spelling_spearman']['shapley']:.3f}" if zeroed else "",
            ),
        ]
    for key in ("speed", "speed_all"):  # the test split's 113 molecules; all 1,128
        speed = results.get(key)
        if not speed:
            continue
        lines.append(
            f"| molecules per second, `explain()` of {speed['molecules']:,} molecules at once, "
            f"same process ({speed['threads']} threads) | "
            f"{speed['molecules_per_second']['shapley']:,.0f} | integrated gradients (50 steps) "
            f"{speed['molecules_per_second']['integrated_gradients_50']:,.1f}; ratio "
            f"{speed['speedup_vs_integrated_gradients']:,.0f}x |" + (" - |" if zeroed else "")
        )
    parts = []  # (name, entry, the zeroing entry beside it, stored key)
    for name in ("crippen", "synthetic", "synthetic_context"):
        # the shipped (deleting) explainer's entry when measured, else the zeroing one's
        r, zeroed_entry = results.get(f"{name}_delete") or results.get(name), results.get(name)
        if r:
            parts.append((name, r, zeroed_entry, f"{name}_delete"))
        for config in ("best",):  # the same part over a model of another config
            if f"{name}_delete_{config}" in results:
                parts.append(
                    (name, results[f"{name}_delete_{config}"], None, f"{name}_delete_{config}")
                )
    for name, r, zeroed_entry, key in parts:
        title = {
            "crippen": "Crippen logP",
            "synthetic": "synthetic additive task",
            "synthetic_context": "synthetic additive task with context (each atom's value also "
            "depends on its hydrogens and, for a carbon, its N and O neighbours: "
            "`ground_truth.synthetic_context_atom_values`; the first task has the lookup "
            "rule's own form)",
        }[name]
        versus_rule = r.get("shapley_minus_lookup_rule_paired")
        lines += [
            "",
            f"{title}: SMILES2vec `{r['model_config']}` (random split, seed 0, test RMSE "
            f"{r['model_test_rmse']:.3f}); {r['test_molecules']} test molecules, SMILES as "
            "written, one pass; mean per-molecule signed Kendall τ (τ-b) with its bootstrap 95% CI."
            + (
                f" The truth ties atoms of equal value, so no method whose values never tie "
                f"exactly can reach 1: the mean ceiling is {r['kendall_tau_ceiling']:.3f}."
                if "kendall_tau_ceiling" in r
                else ""
            )
            + " Somers' D counts only the atom pairs whose true values differ "
            "((concordant - discordant) / those pairs), so it can reach 1 whatever the truth ties."
            + (f" Measured {r['measured_at']}." if "measured_at" in r else "")
            + (
                " These rows measure the shipped explainer, which deletes absent atoms "
                f"(`--removal delete`, stored as `{name}_delete`); the zeroing one "
                f"(`--removal zero`, stored as `{name}`, over its own model of test RMSE "
                f"{zeroed_entry['model_test_rmse']:.3f}) gave τ "
                f"{zeroed_entry['kendall_tau_as_written']['shapley']['mean']:.3f}."
                if r is not zeroed_entry and zeroed_entry
                else " These rows measure the shipped explainer, which deletes absent atoms "
                f"(`--removal delete`, stored as `{key}`)."
                if r is not zeroed_entry
                else ""
            )
            + (
                f" Command: `python scripts/benchmark_shapley.py --part {name} --removal delete "
                f"--truth-config {r['model_config']}`."
                if r["model_config"] != "paper"
                else ""
            )
            + (
                " Explainer minus lookup rule, paired over the "
                f"{versus_rule['n']} molecules where both are defined: "
                f"{versus_rule['difference']:+.3f} [{versus_rule['ci'][0]:+.3f}, "
                f"{versus_rule['ci'][1]:+.3f}]."
                if versus_rule
                else ""
            ),
            "",
            "| method | τ | 95% CI | Somers' D [95% CI] | molecules |",
            "|---|---|---|---|---|",
        ]
        for method, t in r["kendall_tau_as_written"].items():
            label = {
                "shapley": "**amortized Shapley**",
                "atom_type_lookup": "atom-type lookup rule",
            }
            d = t.get("somers_d")
            somers = f"{d['mean']:.3f} [{d['ci'][0]:.3f}, {d['ci'][1]:.3f}]" if d else "-"
            lines.append(
                f"| {label.get(method, method)} | {t['mean']:.3f} | "
                f"[{t['ci'][0]:.3f}, {t['ci'][1]:.3f}] | {somers} | {t['n']} |"
            )
        suffix = "" if r["model_config"] == "paper" else f"_{r['model_config']}"
        games = [results.get(f"{name}_game{k}{suffix}") for k in ("", "_spellings")]
        lines += game_lines(games, r)
    lines += removals_lines(results)
    replace_block(README, "shapley", "\n".join(lines))


def game_lines(entries: list, part: dict) -> list[str]:
    """Rows of the game's own sampled Shapley values (``<part>_game``: SMILES as written;
    ``<part>_game_spellings``: averaged over spellings) and the explainer against them, for
    the entries that measured the explainer of this very part."""
    ours = part["kendall_tau_as_written"]["shapley"]["mean"]
    games = [g for g in entries if g and abs(g["explainer_vs_truth"]["mean"] - ours) <= 1e-9]
    if not games:
        return []
    rows, notes = [], []
    for g in games:
        k = g.get("spellings", 0)
        t, versus = g["game_shapley_vs_truth"], g["explainer_vs_game_shapley"]
        d = t["somers_d"]
        reading = f"canonical and {k} random spellings averaged" if k else "SMILES as written"
        rows.append(
            f"| its game's Shapley values, {reading} ({g['permutations']} atom orders"
            + (" each" if k else "")
            + f") | {t['mean']:.3f} | [{t['ci'][0]:.3f}, {t['ci'][1]:.3f}] | "
            f"{d['mean']:.3f} [{d['ci'][0]:.3f}, {d['ci'][1]:.3f}] | {t['n']} |"
        )
        config = part["model_config"]
        command = (
            f"`--game-permutations {g['permutations']}"
            + (f" --game-spellings {k}" if k else "")
            + (f" --truth-config {config}" if config != "paper" else "")
            + "`"
        )
        notes.append(
            f"{reading} ({command}, {g['seconds'] / 60:.0f} min): the explainer against them "
            f"as the truth, τ {versus['mean']:.3f} [{versus['ci'][0]:.3f}, {versus['ci'][1]:.3f}]"
        )
    averaged = any(g.get("spellings") for g in games)
    return rows + [
        "",
        "Rows 'its game's Shapley values': the Shapley values of the explainer's own game "
        f'(`removal="{games[0]["removal"]}"`), estimated from sampled atom orders '
        "(`compare_removal_games.game_shapley`). The explainer is trained on random "
        "spellings, so the values averaged over spellings are what it learns"
        + ("" if averaged else " (not measured here)")
        + ". "
        + "; ".join(notes)
        + ".",
    ]


def removals_lines(results: dict) -> list[str]:
    """The zeroing against the deletion explainer (``--compare-removals``), when measured."""
    rows = [results.get(f"{name}_removals") for name in ("crippen", "synthetic")]
    rows = [r for r in rows if r]
    if not rows:
        return []
    lines = [
        "",
        "Zeroing or deleting an atom (`SmilesShapley(removal=)`; the reference above moves "
        "with the SMILES' length under zeroing, and is the empty SMILES' prediction for every "
        "molecule under deletion: see 'Removal games' below). Per ground truth, one freshly "
        "trained SMILES2vec `paper` (random split, seed 0) with both explainers (graph "
        "network, same settings) trained over it; test molecules, SMILES as written, one "
        "pass; mean signed Kendall τ [95% CI], and delete - zero paired over molecules. "
        "Command: `python scripts/benchmark_shapley.py --part crippen|synthetic "
        "--compare-removals`.",
        "",
        "| ground truth | model test RMSE | zero | delete (shipped) | delete - zero [95% CI] | molecules |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        paired = r["delete_minus_zero_paired"]
        cells = [
            f"{r[k]['mean']:.3f} [{r[k]['ci'][0]:.3f}, {r[k]['ci'][1]:.3f}]"
            for k in ("zero", "delete")
        ]
        lines.append(
            f"| {r['target']} | {r['model_test_rmse']:.3f} | {cells[0]} | {cells[1]} | "
            f"{paired['difference']:+.3f} [{paired['ci'][0]:+.3f}, {paired['ci'][1]:+.3f}] | "
            f"{paired['n']} |"
        )
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--part",
        required=True,
        choices=["esol", "crippen", "synthetic", "synthetic_context", "speed"],
    )
    parser.add_argument("--network", default="graph", choices=["graph", "sequence"])
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=30, help="maximum epochs (default 30)")
    parser.add_argument(
        "--load", help="esol/speed: evaluate this saved explainer instead of training one"
    )
    parser.add_argument("--truth-config", default="paper", help="config of the ground-truth models")
    parser.add_argument(
        "--reuse-model", action="store_true", help="crippen/synthetic: load the model saved before"
    )
    parser.add_argument(
        "--reuse-explainer",
        action="store_true",
        help="crippen/synthetic: load the explainer saved before (runs/<part>_shapley_<network>)",
    )
    parser.add_argument(
        "--removal",
        default="zero",
        choices=["zero", "delete"],
        help="how a coalition removes atoms (SmilesShapley(removal=); default zero, the "
        "published crippen/synthetic parts'); an esol explainer trained here is stored as "
        "esol_<removal>",
    )
    parser.add_argument(
        "--compare-removals",
        action="store_true",
        help="crippen/synthetic: train a fresh model, then a zeroing and a deletion explainer "
        "over it (stored as <part>_removals; the published part is left alone)",
    )
    parser.add_argument(
        "--game-permutations",
        type=int,
        default=0,
        help="crippen/synthetic*: the part's saved explainer against its game's own Shapley "
        "values, sampled from this many atom orders (e.g. 256); stored as <part>_game",
    )
    parser.add_argument(
        "--game-spellings",
        type=int,
        default=0,
        help="with --game-permutations: average the game's values over the canonical and this "
        "many random spellings (stored as <part>_game_spellings); default 0: as written",
    )
    parser.add_argument(
        "--speed-molecules",
        default="test",
        choices=["test", "all"],
        help="speed: explain the ESOL test split (113 molecules, stored as speed) or all "
        "1,128 ESOL molecules (stored as speed_all; ~10 min, most of it integrated gradients)",
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.part == "esol":
        result = part_esol(args)
    elif args.part == "speed":
        result = part_speed(args)
    elif args.compare_removals:
        result = part_removals(args, args.part)
    elif args.game_permutations:
        result = part_game(args, args.part)
    else:
        result = part_truth(args, args.part)
    print(json.dumps(result, indent=2))
    if not args.no_save:
        results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        if "esol" not in results and "efficiency_mean_abs_error" in results:
            results = {"first_version_sequence_network": results}  # the figures it replaces
        if args.compare_removals:
            key = f"{args.part}_removals" + config_suffix(args)
        elif args.game_permutations:
            key = f"{args.part}_game" + ("_spellings" if args.game_spellings else "")
            key += config_suffix(args)
        else:
            key = args.part if args.removal == "zero" else f"{args.part}_{args.removal}"
            key += config_suffix(args) if args.part not in ("esol", "speed") else ""
            if args.part == "speed" and args.speed_molecules == "all":
                key = "speed_all"
            if args.part == "esol":  # the explainer loaded (the shipped one), or trained here
                key = "esol" if args.load else f"esol_{args.removal}"
        results[key] = result
        write_atomically(RESULTS, json.dumps(results, indent=2) + "\n")
        update_readme(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
