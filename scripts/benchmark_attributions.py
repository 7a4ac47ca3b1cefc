"""Attribution baselines, the mask and the amortized Shapley explainer, beside trivial rules.

    python scripts/benchmark_attributions.py --threads 1 --reuse-model  # 109 min, last run
    python scripts/benchmark_attributions.py                  # trains the Crippen model too
    python scripts/benchmark_attributions.py --reuse-model    # reuse the Crippen model and
                  # deletion explainer of benchmark_shapley.py --part crippen --compare-removals
    python scripts/benchmark_attributions.py --timing-only --threads 1  # ~6 min: re-time
                  # every method alone, update seconds_per_molecule and the tables

1. ESOL (the bundled model, its mask and its explainer; the random test
   split): for every method, the soluble top-3 accuracy at character and atom
   level, with its bootstrap 95% CI, beside the exact chance level, the
   "O/N first" rule and the element-plus-aromaticity lookup table fitted on
   the training split (:func:`chemexplain.chem.evaluation.rule_token_weights`).
   Atom level: the sum over an atom's characters for additive token methods,
   the mean for the mask; the explainer's values are per atom already.
   Deletion and insertion areas (normalized by the random method's) under two
   perturbations: zeroing the token embeddings (what occlusion, LIME and
   KernelSHAP use internally) and replacing them with embeddings of tokens
   drawn from the training token distribution (what no method uses). The
   explainer's per-atom value goes to every character of its atom under the
   "attached" rule. Seconds per molecule, each method in this process.
2. Randomization (Adebayo et al. 2018) on the ESOL model: re-draw (seed 12345)
   the head, then the second GRU, the first GRU and the convolution
   (cascading, and each alone: independent); the embedding is never re-drawn.
   Per-molecule Spearman of |scores| with the original ones. The mask is
   retrained over each cascading step; the explainer over the last one (the
   fully randomized model), since it is trained against the model.
3. Crippen ground truth: SMILES2vec (``paper`` config, random split, seed 0;
   with ``--reuse-model``, the model and deletion explainer saved by
   ``benchmark_shapley.py --part crippen --compare-removals``) trained on RDKit's
   Crippen logP of the ESOL + FreeSolv molecules, with a mask and an explainer
   trained over it. On its test molecules, per-molecule Kendall tau between
   each method's per-atom values and the per-atom Crippen contributions
   (signed methods vs signed contributions, unsigned ones vs |contributions|),
   with bootstrap 95% CIs, under the two choices ablated separately: SMILES as
   written or averaged over the canonical and 10 random spellings, and atom
   characters only or with bond/branch/ring characters attached. Beside them:
   the lookup rule fitted on the Crippen training labels, and random values.

Writes benchmarks/attributions.json, the table in benchmarks/README.md, the short
answer's table in docs/attribution_guide.md and benchmarks/attribution_curves.png.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch

import chemexplain as cx
from chemexplain.attribution import METHODS
from chemexplain.chem import ground_truth
from chemexplain.chem.atom_attribution import atom_scores, owner_atoms, spellings
from chemexplain.chem.attribute import token_attributions
from chemexplain.chem.evaluation import rule_token_weights, top_k_report
from chemexplain.chem.parsing import molecule_rng, parse_smiles
from chemexplain.chem.shapley import SmilesShapley
from chemexplain.chem.tokenizer import tokenize
from chemexplain.files import write_atomically
from chemexplain.io.markdown_blocks import replace_block
from chemexplain.metrics.faithfulness import (
    FRACTIONS,
    area,
    deletion_insertion_curves,
    resampled_baseline,
)
from chemexplain.metrics.ground_truth import bootstrap_ci, per_molecule_kendall
from chemexplain.metrics.ranking import mean_spearman
from chemexplain.models.pretrained import pretrained_shapley
from chemexplain.nn.core import CONTROL_SEED, pad_ids

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "benchmarks" / "README.md"
GUIDE = ROOT / "docs" / "attribution_guide.md"
RESULTS = ROOT / "benchmarks" / "attributions.json"
BATCH = 32
LAYERS = ("head", "grus.1", "grus.0", "conv")
#: explainer settings: those of the bundled one (scripts/train_pretrained.py)
#: the explainer's settings, as the bundled one's (scripts/train_pretrained.py)
SHAPLEY = {"network": "graph", "hidden": 128, "n_layers": 4, "removal": "delete", "max_epochs": 20}
PERTURBATIONS = ("zero", "resample")


def batches(model, smiles):
    """[(embedded (B, L, E) float64, lengths, rows)] in length order, by the inference copy."""
    ids, _ = model.encode(smiles)
    order = np.argsort([len(i) for i in ids], kind="stable")
    module = model.inference_module()
    out = []
    for start in range(0, len(order), BATCH):
        rows = order[start : start + BATCH]
        token_ids, lengths = pad_ids([ids[r] for r in rows])
        with torch.no_grad():
            embedded = module.embed(token_ids)
        out.append((embedded, lengths, rows))
    return out


def shapley_token_scores(explainer, smiles) -> list[np.ndarray]:
    """The explainer's per-atom values given to every character of the atom ("attached" rule)."""
    scheme = explainer.model.params_["scheme"]
    values, _ = explainer.atom_values(smiles)
    out = []
    for s, v in zip(smiles, values, strict=True):
        owners = owner_atoms(tokenize(s, scheme, mol=parse_smiles(s)), "attached")
        out.append(np.array([v[o] if o is not None else 0.0 for o in owners]))
    return out


def scorer(name, model, mask, explainer):
    """``f(list of SMILES) -> one token-score array each`` for method ``name``."""
    if name == "mask":
        return mask.token_weights
    if name == "shapley":
        return lambda smiles: shapley_token_scores(explainer, smiles)
    return lambda smiles: token_attributions(smiles, model, name)


def timed(score, smiles) -> tuple[list, float]:
    started = time.perf_counter()
    scores = score(smiles)
    return scores, (time.perf_counter() - started) / len(smiles)


def token_frequencies(model, smiles) -> torch.Tensor:
    """(V,) float64: how often each token id occurs in ``smiles`` (the training split)."""
    ids, _ = model.encode(smiles)
    counts = Counter(i for row in ids for i in row)
    frequencies = torch.zeros(len(model.vocab_), dtype=torch.float64)
    for token, count in counts.items():
        frequencies[token] = count
    return frequencies


def faithfulness(model, prepared, scores, frequencies) -> dict:
    """Deletion and insertion curves averaged over all molecules, per perturbation."""
    module = model.inference_module()
    out = {}
    for perturbation in PERTURBATIONS:
        sums = {key: np.zeros(len(FRACTIONS)) for key in ("deletion", "insertion")}
        n = 0
        for index, (embedded, lengths, rows) in enumerate(prepared):
            batch_scores = torch.zeros(len(rows), embedded.shape[1], dtype=torch.float64)
            for i, r in enumerate(rows):
                batch_scores[i, : len(scores[r])] = torch.as_tensor(scores[r])
            baseline = None
            if perturbation == "resample":  # the same draws for every method
                generator = torch.Generator().manual_seed(index)
                baseline = resampled_baseline(module.embed, lengths, frequencies, generator)
            c = deletion_insertion_curves(
                module.forward_embedded, embedded, lengths, batch_scores, baseline=baseline
            )
            for key in sums:
                sums[key] += len(rows) * np.asarray(c[key])
            n += len(rows)
        curves = {key: (total / n).tolist() for key, total in sums.items()}
        areas = {f"{key}_area": area(FRACTIONS, values) for key, values in curves.items()}
        out[perturbation] = {"fractions": list(FRACTIONS), **curves, **areas}
    return out


def mean_abs_spearman(a, b) -> float | None:
    """Mean per-molecule Spearman of |a| with |b| (magnitudes: signs may flip).

    None (JSON null, not the non-standard NaN) when the values are constant on every molecule,
    where Spearman is undefined.
    """
    value = mean_spearman([np.abs(x) for x in a], [np.abs(y) for y in b])
    return value if np.isfinite(value) else None


def randomized_model(model, layers):
    """A copy of the fitted estimator with ``layers`` re-drawn (seeded); the rest kept."""
    twin = copy.deepcopy(model)
    module = copy.deepcopy(model.module_)
    torch.manual_seed(CONTROL_SEED)
    for name in layers:
        module.get_submodule(name).reset_parameters()
    twin.module_ = module.eval()
    return twin


def tau_summary(values, truths, absolute: bool) -> dict:
    taus = per_molecule_kendall(values, truths, absolute=absolute)
    mean, (low, high) = bootstrap_ci(taus)
    return {"mean": mean, "ci": [low, high], "n": int(taus.size)}


def spelling_variants(smiles, n_spellings) -> tuple[list[str], list[tuple[int, list[int]]]]:
    """Each SMILES' canonical and ``n_spellings`` random spellings (seeded per molecule), with
    (row, atom order) telling which input and atoms each spelling's atoms are."""
    variants, owners = [], []
    for row, s in enumerate(smiles):
        for text, order in spellings(s, n_spellings, molecule_rng(s, 0)):
            variants.append(text)
            owners.append((row, order))
    return variants, owners


def ablated_atom_values(
    smiles, score, scheme, n_spellings, aggregate="sum"
) -> dict[str, list[np.ndarray]]:
    """Per-atom values of each SMILES under the four Crippen choices (one scoring pass each
    for the SMILES as written and for the spellings): {as_written | spellings}_{atoms | attached}.
    ``aggregate``: how an atom's characters combine ("mean" for the mask)."""
    written = score(smiles)
    out = {
        f"as_written_{rule}": [
            atom_scores(s, w, scheme, rule, aggregate) for s, w in zip(smiles, written)
        ]
        for rule in ("atoms", "attached")
    }
    variants, owners = spelling_variants(smiles, n_spellings)
    scores = score(variants)
    for rule in ("atoms", "attached"):
        totals = [np.zeros(parse_smiles(s).GetNumAtoms()) for s in smiles]
        counts = np.zeros(len(smiles))
        for (row, order), text, w in zip(owners, variants, scores, strict=True):
            totals[row][order] += atom_scores(text, w, scheme, rule, aggregate)
            counts[row] += 1
        out[f"spellings_{rule}"] = [t / c for t, c in zip(totals, counts)]
    return out


def shapley_ablated(explainer, smiles, n_spellings) -> dict[str, list[np.ndarray]]:
    """The explainer's per-atom values as written and averaged over spellings (its players are
    atoms with their attached characters, so there is no 'atoms only' variant)."""
    written = explainer.atom_values(smiles)[0]
    variants, owners = spelling_variants(smiles, n_spellings)
    totals = [np.zeros(len(w)) for w in written]
    for (row, order), values in zip(owners, explainer.atom_values(variants)[0], strict=True):
        totals[row][order] += values
    return {
        "as_written_attached": written,
        "spellings_attached": [t / (n_spellings + 1) for t in totals],
    }


def _ci(entry) -> str:
    return f"{entry['mean']:.3f} [{entry['ci'][0]:.2f}, {entry['ci'][1]:.2f}]"


def _top3(entry) -> str:
    return f"{entry['accuracy']:.0%} [{entry['ci'][0]:.0%}, {entry['ci'][1]:.0%}]"


def _timing(results: dict) -> tuple[int, str | None]:
    """(threads the ms per molecule were measured on, date of a --timing-only re-run or
    None when they come from the full run)."""
    timing = results.get("timing")
    return (timing["threads"], timing["date"]) if timing else (results["threads"], None)


def _timing_note(results: dict) -> str:
    threads, date = _timing(results)
    if date is None:
        return "the ms per molecule below from that run, on that many threads"
    return f"the ms per molecule below re-timed alone on {date} with `--timing-only --threads {threads}`"


def table(results: dict) -> str:
    rules = results["rules"]
    crippen = results["crippen"]
    lines = [
        "Reproduce: `python scripts/benchmark_attributions.py` (writes `benchmarks/attributions.json` "
        "and `benchmarks/attribution_curves.png`; what is measured is in the script's docstring; "
        f"last run {results['seconds'] / 60:.0f} min with --threads {results['threads']}; "
        + _timing_note(results)
        + "). "
        f"ESOL: the bundled model's test split ({results['n_test']} molecules, "
        f"{results['n_soluble']} soluble). Soluble top-3: with its bootstrap 95% CI (few soluble "
        "test molecules: wide); atom level uses each method's own aggregation (sum over characters "
        "for additive token methods, mean for the mask, per atom for the explainer). Deletion: "
        "higher is better; insertion: lower is better; both divided by the random method's area, "
        "zeroing the removed tokens / replacing them with tokens drawn from the training "
        "distribution. Crippen τ: mean per-molecule Kendall τ against RDKit's per-atom Crippen "
        f"contributions (model `{crippen['model_config']}`, test RMSE {crippen['test_rmse']:.3f}; "
        f"{crippen['n_test']} test molecules), signed for signed methods, against |contributions| "
        "for unsigned ones, with 95% CI; 'as written' is one pass over the SMILES as written with "
        "bond/branch/ring characters attached to their atom (what `explain` does). Randomization: "
        "Spearman of |values| with the original after re-drawing every layer but the embedding "
        "(near 0 = passes Adebayo et al.'s check; the mask and the explainer retrained over the "
        "randomized model).",
        "",
        "| method | signed | soluble top-3 atom | top-3 char | deletion / random (zero, resample) | "
        "insertion / random (zero, resample) | Crippen τ as written | randomized Spearman | "
        "ms / molecule |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results["methods"].items():
        t3 = r["top3"]
        cascade = r["randomization"]["cascading"]
        last = cascade[-1] if cascade else None
        rand = f"{last:.2f}" if last is not None else "n/a (constant on every molecule)"
        if name == "random":
            rand += " (ignores the model)"
        f = r["faithfulness"]
        label = "**amortized Shapley**" if name == "shapley" else name
        lines.append(
            f"| {label} | {'yes' if r['signed'] else 'no'} | {_top3(t3['atom'])} | "
            f"{_top3(t3['char'])} | {f['zero']['deletion_vs_random']:.2f}, "
            f"{f['resample']['deletion_vs_random']:.2f} | {f['zero']['insertion_vs_random']:.2f}, "
            f"{f['resample']['insertion_vs_random']:.2f} | {_ci(r['crippen_tau_as_written'])} | "
            f"{rand} | {1000 * r['seconds_per_molecule']:.2f} |"
        )
    chance = results["chance"]
    for rule, text in (
        ("o_n_first", "O/N-first rule"),
        ("atom_type_lookup", "atom-type lookup rule"),
    ):
        tau = crippen["rules"].get(rule)
        lines.append(
            f"| *{text}* | - | {_top3(rules[rule]['atom'])} | {_top3(rules[rule]['char'])} | | | "
            f"{_ci(tau) if tau else '-'} | | |"
        )
    lines.append(
        f"| *chance (exact)* | - | {chance['atom']:.0%} | {chance['char']:.0%} | | | "
        f"{_ci(crippen['rules']['random'])} (random values) | | |"
    )
    lines += [
        "",
        "Crippen τ under the two choices ablated separately (SMILES as written or averaged over "
        "the canonical + 10 random spellings; atom characters only or bond/branch/ring characters "
        "attached), mean [95% CI]:",
        "",
        "| method | as written, atoms only | as written, attached | spellings, atoms only | "
        "spellings, attached |",
        "|---|---|---|---|---|",
    ]
    for name, r in results["methods"].items():
        ab = r["crippen_tau_ablation"]
        cells = [
            _ci(ab[key]) if key in ab else "n/a (players are atoms)"
            for key in (
                "as_written_atoms",
                "as_written_attached",
                "spellings_atoms",
                "spellings_attached",
            )
        ]
        lines.append(f"| {name} | {' | '.join(cells)} |")
    ig, shapley = results["methods"].get("integrated_gradients"), results["methods"].get("shapley")
    if ig and shapley:
        lines += [
            "",
            "Amortized Shapley vs integrated gradients (50 steps), same process: "
            f"{ig['seconds_per_molecule'] / shapley['seconds_per_molecule']:.0f} times more "
            "molecules per second.",
        ]
    return "\n".join(lines)


#: how docs/attribution_guide.md's short answer names each method
GUIDE_LABELS = {
    "shapley": "**amortized Shapley** (the default: graph network over atoms and bonds, "
    "absent atoms {removal})",
    "integrated_gradients": "integrated gradients (50 steps)",
    "lrp_epsilon": "LRP-ε",
    "lrp_alpha_beta": "LRP-α1β0",
    "lrp_alpha2_beta1": "LRP-α2β1",
    "kernel_shap": "KernelSHAP",
    "lime": "LIME",
    "smoothgrad": "SmoothGrad",
    "vargrad": "VarGrad (unsigned, against abs(contributions))",
    "saliency": "saliency (unsigned, against abs(contributions))",
    "gradient_x_input": "gradient × input",
    "mask": "the mask (unsigned, against abs(contributions))",
    "random": "random scores (a method that ignores the model)",
}


def guide_table(results: dict) -> str:
    """The short answer's table in docs/attribution_guide.md: every method's Crippen tau from
    the SMILES as written (one pass) with its CI and ms per molecule, best first, beside
    the lookup rule and random values."""
    crippen = results["crippen"]
    # runs before 2026-11-28 recorded no removal: they zeroed
    removed = {"zero": "zeroed", "delete": "deleted"}[crippen.get("explainer_removal", "zero")]
    labels = {**GUIDE_LABELS, "shapley": GUIDE_LABELS["shapley"].format(removal=removed)}
    rows = [
        (r["crippen_tau_as_written"], labels.get(name, name), r["seconds_per_molecule"])
        for name, r in results["methods"].items()
    ]
    rows.append(
        (
            crippen["rules"]["atom_type_lookup"],
            "*atom-type lookup rule* (element + aromaticity, fitted on training labels)",
            None,
        )
    )
    rows.append((crippen["rules"]["random"], "*random values*", None))
    threads, date = _timing(results)
    when = f" on {date} (`--timing-only`)" if date else ""
    lines = [
        f"Crippen model test RMSE {crippen['test_rmse']:.3f}, {crippen['n_test']} test "
        f"molecules; {threads} thread{'s' if threads > 1 else ''}, "
        "each method timed in the same process on the "
        f"{results['n_test']} ESOL test molecules{when} "
        "(`python scripts/benchmark_attributions.py --tables-only` redraws this from "
        "`benchmarks/attributions.json`).",
        "",
        "| method, SMILES as written, one pass | Crippen τ | 95% CI | ms / molecule |",
        "|---|---|---|---|",
    ]
    for tau, label, seconds in sorted(rows, key=lambda row: -row[0]["mean"]):
        bold = "**" if label.startswith("**") else ""
        ms = "" if seconds is None else f"{1000 * seconds:.3g}"
        lines.append(
            f"| {label} | {bold}{tau['mean']:.3f}{bold} | {tau['ci'][0]:.2f} - "
            f"{tau['ci'][1]:.2f} | {ms} |"
        )
    return "\n".join(lines)


def write_tables(results: dict) -> None:
    """The table in benchmarks/README.md and the short answer's in the guide."""
    replace_block(README, "attributions", table(results))
    replace_block(GUIDE, "short_answer", guide_table(results))


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
    colors = plt.get_cmap("tab20").colors
    for index, (name, r) in enumerate(results["methods"].items()):
        style = {"color": colors[index % 20], "ls": ("-", "--", ":")[index % 3], "label": name}
        curves = r["faithfulness"]["resample"]
        f = curves["fractions"]
        axes[0].plot(f, curves["deletion"], **style)
        axes[1].plot(f, curves["insertion"], **style)
        cascade = [np.nan if v is None else v for v in r["randomization"]["cascading"]]
        if cascade:
            axes[2].plot(range(len(cascade) + 1), [1.0, *cascade], marker="o", **style)
    axes[0].set(
        title="deletion (higher = more faithful)",
        xlabel="fraction of tokens replaced by tokens drawn from training",
        ylabel="|output change| (standardized logS)",
    )
    axes[1].set(
        title="insertion (lower = more faithful)",
        xlabel="fraction of tokens restored (the rest drawn from training)",
    )
    axes[2].set(
        title="cascading randomization",
        xticks=range(5),
        xticklabels=["none", "+head", "+GRU2", "+GRU1", "+conv"],
        ylabel="Spearman with original |scores|",
    )
    axes[2].axhline(0, color="grey", lw=0.5)
    axes[2].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def timing_part(args, results, model, mask, explainer) -> None:
    """Re-time every method on the ESOL test molecules, in this process, and replace only
    ``seconds_per_molecule`` (a full run takes hours, and its timings suffer from anything
    else the machine ran meanwhile). Each method is warmed up on 5 molecules first; the
    full run does not, so its first method (saliency) carries the process's set-up."""
    esol = cx.load_esol()
    smiles = [esol.smiles[i] for i in model.split_["test"]]
    for name in results["methods"]:
        score = scorer(name, model, mask, explainer)
        score(smiles[:5])  # warm up: the first call of a method pays for its set-up
        _, seconds = timed(score, smiles)
        results["methods"][name]["seconds_per_molecule"] = seconds
        print(f"{name}: {seconds * 1000:.2f} ms/molecule", file=sys.stderr, flush=True)
    results["timing"] = {
        "threads": args.threads,
        "date": time.strftime("%Y-%m-%d"),
        "how": "--timing-only, after the full run",
    }


def esol_part(args, results, model, mask, explainer) -> None:
    esol = cx.load_esol()
    split = model.split_
    test = split["test"][: 24 if args.quick else None]
    smiles = [esol.smiles[i] for i in test]
    logs = esol.logS.to_numpy()[test]
    train = [esol.smiles[i] for i in split["train"]]
    scheme = model.params_["scheme"]
    rules = rule_token_weights(smiles, train, esol.logS.to_numpy()[split["train"]], scheme)
    prepared = batches(model, smiles)
    frequencies = token_frequencies(model, train)
    results.update({"n_test": len(smiles), "methods": {}})
    names = [*METHODS, "mask", "shapley"]
    for name in names:
        scores, seconds = timed(scorer(name, model, mask, explainer), smiles)
        report = top_k_report(smiles, logs, scores, None, scheme=scheme, rules=rules)
        soluble = report["top3"]["soluble"]
        own = {"mask": "atom_mean", "shapley": "atom_mean"}.get(name, "atom")
        results["n_soluble"] = soluble["atom"]["n"]
        results["rules"] = {
            rule: {lvl: soluble[lvl]["rules"][rule] for lvl in ("atom", "char")} for rule in rules
        }
        results["chance"] = {"atom": soluble["atom"]["chance"], "char": soluble["char"]["chance"]}
        results["methods"][name] = {
            "signed": name == "shapley" or (name != "mask" and METHODS[name].signed),
            "seconds_per_molecule": seconds,
            "top3": {
                "atom": {k: soluble[own][k] for k in ("accuracy", "ci", "chance", "n")},
                "char": {k: soluble["char"][k] for k in ("accuracy", "ci", "chance", "n")},
                "atom_aggregation": "mean" if own == "atom_mean" else "sum",
            },
            "faithfulness": faithfulness(model, prepared, scores, frequencies),
        }
        print(f"{name}: {seconds * 1000:.2f} ms/molecule", file=sys.stderr, flush=True)
    for perturbation in PERTURBATIONS:
        random_curves = results["methods"]["random"]["faithfulness"][perturbation]
        for r in results["methods"].values():
            f = r["faithfulness"][perturbation]
            for key in ("deletion", "insertion"):
                f[f"{key}_vs_random"] = f[f"{key}_area"] / random_curves[f"{key}_area"]


def randomization_part(args, results, model, mask, explainer) -> None:
    esol = cx.load_esol()
    m = args.randomization_molecules
    smiles = [esol.smiles[i] for i in model.split_["test"][:m]]
    y = esol.logS.to_numpy()
    part = {k: [esol.smiles[i] for i in model.split_[k]] for k in ("train", "val")}
    results["randomization"] = {
        "redrawn_in_order": list(LAYERS),
        "never_redrawn": ["embedding"],
        "seed": CONTROL_SEED,
        "molecules": len(smiles),
        "retrained": "the mask over each cascading step; the explainer over the last one",
    }
    reference = {name: scorer(name, model, mask, explainer)(smiles) for name in METHODS}
    for name in results["methods"]:
        results["methods"][name]["randomization"] = {"cascading": [], "independent": []}
    for step in range(len(LAYERS)):
        for kind, layers in (
            ("cascading", LAYERS[: step + 1]),
            ("independent", LAYERS[step : step + 1]),
        ):
            twin = randomized_model(model, layers)
            for name in METHODS:
                scores = token_attributions(smiles, twin, name)
                results["methods"][name]["randomization"][kind].append(
                    mean_abs_spearman(reference[name], scores)
                )
        print(f"randomization step {step + 1}/{len(LAYERS)}", file=sys.stderr, flush=True)
    mask_reference, cascade = mask.token_weights(smiles), []
    for step in range(len(LAYERS)):
        twin = randomized_model(model, LAYERS[: step + 1])
        control = cx.SmilesMask(
            twin, random_state=0, verbose=False, max_epochs=2 if args.quick else 40
        )
        control.fit(part["train"], y[model.split_["train"]], part["val"], y[model.split_["val"]])
        cascade.append(mean_abs_spearman(mask_reference, control.token_weights(smiles)))
        print(f"mask over randomized model, step {step + 1}", file=sys.stderr, flush=True)
    results["methods"]["mask"]["randomization"] = {"cascading": cascade, "independent": []}
    twin = randomized_model(model, LAYERS)
    settings = {**SHAPLEY, "max_epochs": 1 if args.quick else SHAPLEY["max_epochs"]}
    started = time.perf_counter()
    control = SmilesShapley(twin, verbose=False, **settings).fit(part["train"], part["val"])
    spearman = mean_abs_spearman(explainer.atom_values(smiles)[0], control.atom_values(smiles)[0])
    results["methods"]["shapley"]["randomization"] = {
        "cascading": [None] * (len(LAYERS) - 1) + [spearman],  # only the last step is run
        "independent": [],
        "retrain_seconds": time.perf_counter() - started,
    }
    print(f"explainer over the randomized model: {spearman:.3f}", file=sys.stderr, flush=True)


def crippen_part(args, results) -> None:
    frame = ground_truth.crippen_frame(
        list(cx.load_esol().smiles) + list(cx.load_freesolv().smiles)
    )
    saved = ROOT / "runs" / "crippen_model_paper_removals"  # benchmark_shapley's
    reused = args.reuse_model and saved.is_dir()
    if reused:
        model = cx.load_model(saved)
    else:
        model = cx.train_on_frame(
            frame, "crippen_logp", split="random", seed=0, config="paper", verbose=False,
            **({"max_epochs": 2} if args.quick else {}),
        )  # fmt: skip
    parts = model.split_
    part = {k: [frame.smiles[i] for i in parts[k]] for k in ("train", "val", "test")}
    y = frame.crippen_logp.to_numpy()
    smiles = part["test"][: 24 if args.quick else None]
    truths = [ground_truth.crippen_atom_contributions(s) for s in smiles]
    mask = cx.SmilesMask(model, random_state=0, verbose=False, max_epochs=2 if args.quick else 40)
    mask.fit(part["train"], y[parts["train"]], part["val"], y[parts["val"]])
    explainer_dir = ROOT / "runs" / "crippen_shapley_graph_removals_delete"
    if reused and explainer_dir.is_dir():
        explainer = SmilesShapley.load(explainer_dir, model)
    else:
        settings = {**SHAPLEY, "max_epochs": 1 if args.quick else SHAPLEY["max_epochs"]}
        explainer = SmilesShapley(model, verbose=False, **settings).fit(part["train"], part["val"])
    n_spellings = 2 if args.quick else 10
    scheme = model.params_["scheme"]
    results["crippen"] = {
        "model_config": "paper",
        "model": f"runs/{saved.name}" if reused else "trained here",
        "explainer_removal": explainer.removal,
        "n_molecules": len(frame),
        "n_test": len(smiles),
        "test_rmse": model.metrics_["test_rmse"],
        "rules": {},
    }
    for name, r in results["methods"].items():
        if name == "shapley":
            variants = shapley_ablated(explainer, smiles, n_spellings)
        else:
            aggregate = "mean" if name == "mask" else "sum"
            variants = ablated_atom_values(
                smiles, scorer(name, model, mask, explainer), scheme, n_spellings, aggregate
            )
        absolute = not r["signed"]
        r["crippen_tau_ablation"] = {
            key: tau_summary(values, truths, absolute) for key, values in variants.items()
        }
        r["crippen_tau_as_written"] = {
            k: r["crippen_tau_ablation"]["as_written_attached"][k] for k in ("mean", "ci")
        }
        print(
            f"crippen {name}: {r['crippen_tau_as_written']['mean']:.3f}",
            file=sys.stderr,
            flush=True,
        )
    lookup = ground_truth.AtomTypeLookup().fit(part["train"], y[parts["train"]])
    rng = np.random.default_rng(0)
    results["crippen"]["rules"] = {
        "atom_type_lookup": tau_summary(lookup.atom_values(smiles), truths, False),
        "random": tau_summary([rng.normal(size=len(t)) for t in truths], truths, False),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--randomization-molecules", type=int, default=32)
    parser.add_argument(
        "--reuse-model",
        action="store_true",
        help="Crippen: load runs/crippen_model_paper_removals and "
        "runs/crippen_shapley_graph_removals_delete (benchmark_shapley.py --part crippen "
        "--compare-removals) if present",
    )
    parser.add_argument("--quick", action="store_true", help="tiny settings, for a smoke test")
    parser.add_argument(
        "--plot-only",
        action="store_true",
        help="redraw the figure from benchmarks/attributions.json",
    )
    parser.add_argument(
        "--tables-only",
        action="store_true",
        help="rewrite the tables of benchmarks/README.md and docs/attribution_guide.md from "
        "benchmarks/attributions.json",
    )
    parser.add_argument(
        "--timing-only",
        action="store_true",
        help="re-time every method on the ESOL test molecules and update "
        "benchmarks/attributions.json's seconds_per_molecule and the tables",
    )
    args = parser.parse_args(argv)
    if args.timing_only:
        torch.set_num_threads(args.threads)
        saved = json.loads(RESULTS.read_text())
        model, mask = cx.pretrained()
        timing_part(args, saved, model, mask, pretrained_shapley())
        write_atomically(RESULTS, json.dumps(saved, indent=2) + "\n")
        write_tables(saved)
        return 0
    if args.plot_only or args.tables_only:
        saved = json.loads(RESULTS.read_text())
        if args.plot_only:
            plot(saved, ROOT / "benchmarks" / "attribution_curves.png")
        if args.tables_only:
            write_tables(saved)
        return 0
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    model, mask = cx.pretrained()
    explainer = pretrained_shapley()
    results: dict = {"threads": args.threads}
    esol_part(args, results, model, mask, explainer)
    randomization_part(args, results, model, mask, explainer)
    crippen_part(args, results)
    results["seconds"] = time.perf_counter() - started
    if args.quick:  # exercise the figure without touching the committed one
        import tempfile

        plot(results, Path(tempfile.mkdtemp()) / "attribution_curves.png")
    else:
        write_atomically(RESULTS, json.dumps(results, indent=2) + "\n")
        plot(results, ROOT / "benchmarks" / "attribution_curves.png")
        write_tables(results)
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
