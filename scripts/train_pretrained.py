"""Train the bundled pretrained ESOL model and its explanation mask, and write its model card.

    python scripts/train_pretrained.py            # about 25 min on 2 CPU cores

Steps, all seeded (seed 0 unless --seed):
1. SMILES2vec with the ``best`` configuration on the ESOL random 80/10/10 split;
2. the explanation mask over it (paper penalties, ``target="label"``);
3. the same mask trained over a randomized copy of the model (Adebayo et al.'s
   control; kept under runs/, not shipped);
4. test RMSE (with and without test-time SMILES averaging), masked RMSE and
   top-3 figures with chance and randomized controls, on the test split and on
   all molecules;
5. the amortized Shapley explainer over the model (graph network, 128 hidden,
   4 layers, at most 20 epochs; 1 torch thread, so that it is reproducible),
   the default explanation, with its efficiency and spelling invariance on
   the test split. ``--explainer-only`` runs this step alone over the saved
   model and adds its figures to ``metrics.json`` and the card.

Writes ``chemexplain/models/pretrained_esol/{model,mask,shapley}``, its
``metrics.json`` and ``MODEL_CARD.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd
import torch

import chemexplain as cx
from chemexplain.chem.evaluation import evaluate
from chemexplain.chem.masking import randomized_copy
from chemexplain.data.datasets import MANIFEST, find_dataset
from chemexplain.files import write_atomically
from chemexplain.metrics import regression_metrics
from chemexplain.models.pretrained import PRETRAINED_DIR

ROOT = Path(__file__).resolve().parents[1]


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def _explainer_section(metrics: dict) -> str:
    """Model-card lines on the amortized explainer (empty when none was trained)."""
    r = metrics.get("shapley")
    if not r:
        return ""
    removed = (
        "its characters zeroed, the SMILES keeping its length, so the reference moves with it"
        if r.get("removal", "zero") == "zero"
        else "its characters taken out: the empty SMILES' prediction, one value for every molecule"
    )
    return f"""- **Amortized Shapley explainer** (`shapley/`, the default explanation of `explain`,
  `score` and the drawings): FastSHAP (Jethani et al. 2022) with atoms as players, trained
  against the frozen model only (no labels) on random spellings of the training molecules;
  a message-passing network over the atoms and bonds ({r["layers"]} layers, hidden
  {r["hidden"]}), best epoch {r["best_epoch"]} of {r["epochs_run"]}, {r["fit_seconds"] / 60:.0f} min
  on 1 CPU thread. Each atom gets a signed contribution in log10 mol/L; they add up to the
  prediction minus the reference, the model's output with every atom removed
  ({removed}; test-split mean {r["test_mean_reference"]:.2f} log10 mol/L). Test split, SMILES as written, when it
  was trained: mean |sum - (prediction - reference)| {r["test_efficiency_mean_abs_error"]:.1e};
  mean Spearman of two random spellings' per-atom values {r["test_spelling_spearman"]:.3f}.
  The figures of the current code (`python scripts/benchmark_shapley.py --part esol --load
  chemexplain/models/pretrained_esol/shapley`) and the ground-truth checks are in
  `benchmarks/README.md` ("Amortized Shapley").
"""


def card(metrics: dict, model, seed: int) -> str:
    """The model card (markdown) from the measured ``metrics``."""
    test, everything = metrics["evaluation"]["test"], metrics["evaluation"]["all"]
    rows = []
    for group in ("soluble", "insoluble"):
        for level in ("atom", "char"):
            for name, report in (("test", test), ("all", everything)):
                r = report["top3"][group][level]
                rows.append(
                    f"| {group} | {level} | {name} | {r['n']} | {_pct(r['accuracy'])} | "
                    f"{_pct(r['chance'])} | {_pct(r['randomized'])} | "
                    f"{r['spearman_vs_randomized']:.2f} |"
                )
    p = model.params_
    return f"""# chemexplain pretrained model: ESOL aqueous solubility (SMILES2vec + explanation mask)

Loaded by `chemexplain.pretrained()`; the default of `chemexplain explain` and
`chemexplain score`. Reproduce every figure below with
`python scripts/train_pretrained.py --seed {seed}` (it rewrites this file).

## Model
- **Predicts** aqueous solubility logS in **log10 mol/L** from a SMILES string.
- **Architecture**: SMILES2vec CNN-GRU (Goh et al. 2017): character tokens, embedding
  {p["embedding_dim"]}, Conv1d {p["conv_filters"]}×{p["kernel_size"]} ReLU, GRUs
  {"/".join(map(str, p["gru_sizes"]))}{" (bidirectional)" if p["bidirectional"] else ""}, linear head.
- **Training** (`best` configuration): {p["n_augment"]} RDKit-randomized SMILES per training
  molecule; prediction averages the given SMILES and {p["n_test_augment"]} random
  spellings (`n_test_augment`); Adam, early stopping on validation RMSE
  (best epoch {model.best_epoch_}); seed {seed}; {metrics["train_seconds"]:.0f} s on 2 CPU cores.
- **Explanation mask** (Phillips, Goh & Hodas 2018): a 20-layer residual CNN reading the
  embedded SMILES, one softplus weight per character, L1 1e-3, L2 1e-4, trained to keep the
  masked prediction on the measured logS. Per-atom weights are the sums of the weights of
  the characters of each atom (both characters of Cl and Br).
- Files: `model/`, `mask/` and, when trained, `shapley/` (JSON config + safetensors
  weights with sha256; no pickle).
{_explainer_section(metrics)}
## Data
ESOL (Delaney 2004) as distributed by MoleculeNet: 1128 small neutral organic molecules,
logS from -11.6 to 2.1. Random 80/10/10 split (seed {seed}; the row indices are saved in
`model/config.json`): {metrics["n_train"]} train, {metrics["n_val"]} validation, {metrics["n_test"]} test.

## Accuracy (test split, {metrics["n_test"]} molecules, log10 mol/L)
| prediction | RMSE | MAE | R² |
|---|---|---|---|
| averaged over RDKit's canonical SMILES and {p["n_test_augment"]} random spellings (`predict()` default) | {metrics["test"]["rmse"]:.3f} | {metrics["test"]["mae"]:.3f} | {metrics["test"]["r2"]:.3f} |
| from RDKit's canonical SMILES only (`n_test_augment=0`; `explain` and `score` by default) | {metrics["test_read"]["rmse"]:.3f} | {metrics["test_read"]["mae"]:.3f} | {metrics["test_read"]["r2"]:.3f} |
| from the SMILES as written in ESOL's file only (`n_test_augment=0, as_written=True`) | {metrics["test_single"]["rmse"]:.3f} | {metrics["test_single"]["mae"]:.3f} | {metrics["test_single"]["r2"]:.3f} |
| masked input (mask applied, given SMILES only) | {test["rmse"]["masked"]:.3f} | | |
| the ESOL equation (Delaney 2004), same molecules | {metrics["esol_equation_test_rmse"]:.3f} | | |

The averaged row was 0.544 / 0.404 / 0.936 when the 10 spellings were drawn from one
random stream for the whole batch; they are now drawn from a seed fixed per molecule,
so that a molecule's prediction never depends on its batch (same weights; the
difference is the spread of 10-spelling averaging). It was 0.558 / 0.404 / 0.932 when
`predict` read the SMILES as written, then random spellings of it; it now reads RDKit's
canonical SMILES first, so every spelling of a molecule gets one prediction. Re-measured
with the test in `tests/models/test_pretrained.py`.

Mask size on the test split: mean weight {test["mask_size"]["mean"]:.2f}, {_pct(test["mask_size"]["fraction_below_0.1"])} of characters below 0.1.

## Do the explanations mean something? Top-3 group accuracy with controls
A molecule is a hit when one of its 3 highest-weighted units is hydrophilic (O, N) for
soluble molecules (logS ≥ -1) or hydrophobic (C, F, Cl, Br, I) for insoluble ones
(logS ≤ -5). *chance*: a uniformly random ranking of the same units; *randomized*: the same
mask trained over a copy of the model with re-drawn weights (Adebayo et al. 2018);
*Spearman*: mean per-molecule rank correlation between the two masks.

| group | units | molecules | n | top-3 | chance | randomized | Spearman |
|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

Class contrast (all molecules; mean rank-normalized weight of the atom class in soluble
minus insoluble molecules): O/N {everything["contrast"]["hydrophilic"]["atom"]["mask"]:+.3f}
(randomized model {everything["contrast"]["hydrophilic"]["atom"]["randomized"]:+.3f}),
C/F/Cl/Br/I {everything["contrast"]["hydrophobic"]["atom"]["mask"]:+.3f}
(randomized model {everything["contrast"]["hydrophobic"]["atom"]["randomized"]:+.3f}).

## Intended use and limits
- For ranking and explaining **small neutral organic molecules like ESOL's** (up to about
  {metrics["max_train_length"]} SMILES characters; the training set's range of logS).
  Salts, metals, charged species, peptides, polymers and large drug-like molecules lie outside
  this chemical space: predictions there are extrapolations, whatever number comes out.
  Its only charges are those of nitro groups and an N-oxide, so an ion (`[NH3+]`, `C(=O)[O-]`,
  a zwitterion's two ends) gets the warning "ionized atoms N0 (+1), ...: the model saw no ion
  in training"; `--standardize` neutralizes what can be (phenylalanine's zwitterion is
  predicted 1.8 log units below its neutral form).
- 902 training molecules: expect errors near the RMSE above on similar molecules and larger
  ones elsewhere. Not for regulatory or safety decisions.
- Characters the model never saw are encoded as unknown and reported; `chemexplain score`
  marks such rows with an error instead of guessing. So does every command for a molecule
  with an element none of the training molecules had (they hold {", ".join(model.training_elements()[:-1])}
  and {model.training_elements()[-1]}): boron, silicon, selenium and metals are refused by name.
  The training split holds no
  stereochemistry (`@`): a stereo SMILES is predicted from its stereo-free form, with the
  warning "stereo ignored: the model was trained without it", so enantiomers get the same
  prediction; `--strict` refuses them instead. Its SMILES, as RDKit's random spellings, write
  aromatic rings in lower case: a ring written in Kekulé form (`C1=CC=CC=C1`) is read as its
  aromatic spelling.
- Each prediction reports its largest Tanimoto similarity to the {len(model.split_["train"])} training molecules and
  `in_domain` (the threshold calibrated by scaffold cross-validation; see
  `benchmarks/README.md`, "Applicability domain"). A molecule with more heavy atoms than
  the largest training molecule ({model.domain_.max_heavy_atoms()}) is out of domain whatever its similarity,
  with the warning "larger than any training molecule": Morgan bits do not see chain
  length, and the model's n-alkane predictions bottom out at C25 (-8.09 log10 mol/L) and
  rise again (C100: -7.37; `model.predict(["C" * n])`).
  Vocabulary: `{"".join(model.vocab_.tokens[2:])}`.
- The soluble top-3 figure is well above its chance level and collapses for the randomized
  model, so the mask reflects what the model learned; the insoluble figure sits at or below
  its chance level (nearly every insoluble molecule has three carbons to rank), so it
  shows nothing. The mask weights heteroatoms in insoluble molecules too (class contrast
  near 0): read it as "what the model looks at", not "what makes this molecule soluble".
"""


#: How the shipped explainer removes an atom (see benchmarks/README.md, "Removal games"):
#: 'delete' gives every molecule one reference, the model's output for the empty SMILES.
REMOVAL = "delete"


def train_explainer(out: Path, seed: int, epochs: int) -> dict:
    """Step 5: the amortized Shapley explainer into ``out/shapley``, and its test figures."""
    import numpy as np
    from benchmark_shapley import spelling_spearman

    from chemexplain.chem.shapley import SmilesShapley

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    model = cx.load_model(out / "model")
    smiles = cx.load_esol()["smiles"].tolist()
    part = {k: [smiles[i] for i in model.split_[k]] for k in ("train", "val", "test")}
    started = time.perf_counter()
    explainer = SmilesShapley(
        model,
        network="graph",
        hidden=128,
        n_layers=4,
        removal=REMOVAL,
        max_epochs=epochs,
        random_state=seed,
    ).fit(part["train"], part["val"])
    seconds = time.perf_counter() - started
    explainer.save(out / "shapley")
    explanations = cx.explain(part["test"], model=model, method="shapley", shapley=explainer)
    efficiency = [abs(e.atom_weights.sum() - (e.prediction - e.reference)) for e in explanations]
    torch.set_num_threads(threads)
    return {
        "network": "graph",
        "hidden": 128,
        "layers": 4,
        "removal": REMOVAL,
        "epochs_run": len(explainer.history_),
        "best_epoch": explainer.explainer_.best_epoch_,
        "fit_seconds": seconds,
        "test_efficiency_mean_abs_error": float(np.mean(efficiency)),
        "test_spelling_spearman": spelling_spearman(
            part["test"], lambda batch: explainer.atom_values(batch)[0]
        ),
        "test_mean_reference": float(np.mean([e.reference for e in explanations])),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(PRETRAINED_DIR))
    parser.add_argument("--control-out", default=str(ROOT / "runs" / "pretrained_randomized"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--max-epochs",
        type=int,
        help="cap both trainings (a smoke test; not for the shipped model)",
    )
    parser.add_argument(
        "--card-only", action="store_true", help="rewrite MODEL_CARD.md from the saved metrics.json"
    )
    parser.add_argument(
        "--explainer-only",
        action="store_true",
        help="train only the amortized explainer over the saved model (step 5)",
    )
    parser.add_argument("--explainer-epochs", type=int, default=20)
    args = parser.parse_args(argv)
    if args.explainer_only:
        out = Path(args.out)
        metrics = json.loads((out / "metrics.json").read_text())
        metrics["shapley"] = train_explainer(out, args.seed, args.explainer_epochs)
        write_atomically(out / "metrics.json", json.dumps(metrics, indent=2) + "\n")
        model = cx.load_model(out / "model")
        write_atomically(out / "MODEL_CARD.md", card(metrics, model, metrics["seed"]))
        return 0
    if args.card_only:
        out = Path(args.out)
        metrics = json.loads((out / "metrics.json").read_text())
        model = cx.load_model(out / "model")
        write_atomically(out / "MODEL_CARD.md", card(metrics, model, metrics["seed"]))
        return 0
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    out = Path(args.out)

    frame = cx.load_esol()
    entry = MANIFEST["esol"]
    info = {"dataset": "esol", "sha256": entry["sha256"], "units": entry["target_units"]}
    model = cx.train_on_frame(
        frame,
        "logS",
        split="random",
        seed=args.seed,
        config="best",
        data_info=info,
        max_epochs=args.max_epochs,
    )
    model.save(out / "model")
    print(json.dumps(model.metrics_), file=sys.stderr)

    smiles, y = frame["smiles"].tolist(), frame["logS"].to_numpy()
    raw = pd.read_csv(find_dataset("esol"))
    equation = raw["ESOL predicted log solubility in mols per litre"].to_numpy()
    part = lambda rows: ([smiles[i] for i in rows], y[rows])  # noqa: E731
    train, val, test = (part(model.split_[name]) for name in ("train", "val", "test"))
    settings = dict(random_state=args.seed)
    if args.max_epochs:
        settings["max_epochs"] = args.max_epochs
    mask = cx.SmilesMask(model, **settings).fit(*train, *val)
    mask.save(out / "mask")
    control = cx.SmilesMask(randomized_copy(model), **settings).fit(*train, *val)
    control.save(args.control_out)

    metrics = {
        "seed": args.seed,
        "train_seconds": model.train_seconds_,
        **{f"n_{name}": len(model.split_[name]) for name in ("train", "val", "test")},
        "test": regression_metrics(test[1], model.predict(test[0])),
        "test_single": regression_metrics(
            test[1], model.predict(test[0], n_test_augment=0, as_written=True)
        ),
        "test_read": regression_metrics(test[1], model.predict(test[0], n_test_augment=0)),
        "esol_equation_test_rmse": regression_metrics(test[1], equation[model.split_["test"]])[
            "rmse"
        ],
        "max_train_length": int(max(len(s) for s in train[0])),
        "evaluation": {
            "test": evaluate(model, mask, control, *test, train_smiles=train[0], train_y=train[1]),
            "all": evaluate(
                model, mask, control, smiles, y, train_smiles=train[0], train_y=train[1]
            ),
        },
    }
    metrics["shapley"] = train_explainer(out, args.seed, args.explainer_epochs)
    metrics["total_seconds"] = time.perf_counter() - started
    write_atomically(out / "metrics.json", json.dumps(metrics, indent=2) + "\n")
    write_atomically(out / "MODEL_CARD.md", card(metrics, model, args.seed))
    print(f"wrote {out} in {metrics['total_seconds']:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
