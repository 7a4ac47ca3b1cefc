"""Which coalition game should the amortized explainer learn? Zeroing atoms vs deleting them.

    python scripts/compare_removal_games.py            # ~22 min on 2 threads
    python scripts/compare_removal_games.py --quick    # 20 test molecules

The Shapley explainer (:mod:`chemexplain.chem.shapley`) learns the Shapley values of
a game v(S): the model's output with the atoms outside S *zeroed* (their
characters' embeddings set to 0, the SMILES keeping its length). Its reference
v(empty) is then the model's output for an all-zero input of the molecule's
length. This script measures two things about that choice, against the
alternative of *deleting* the atoms outside S (their characters removed, the
input shorter; v(empty) is the output for the empty SMILES, one constant):

1. The reference: the bundled model's output for all-zero inputs of length
   1-100 (log10 mol/L), and its spread over ESOL's molecules.
2. Each game's own Shapley values (permutation sampling, ``--permutations``
   orders per molecule, the same orders for both games), against the Crippen
   ground truth of :mod:`chemexplain.chem.ground_truth`: SMILES2vec ``paper``
   trained on Crippen logP (random split, seed 0: the model of
   ``benchmark_shapley.py --part crippen --compare-removals``, reused from
   ``runs/crippen_model_paper_removals`` when there), its test molecules,
   mean signed Kendall tau with a bootstrap 95% CI, once from the SMILES as
   written and once averaged over the canonical and 4 random spellings.

Writes ``benchmarks/removal_games.json`` and the "Removal games" table of
``benchmarks/README.md`` (``--from-json`` redraws the table only). A measurement
for choosing ``SmilesShapley(removal=)``: it trains no explainer.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

import chemexplain as cx
from chemexplain.chem import ground_truth
from chemexplain.chem.atom_attribution import spellings
from chemexplain.chem.parsing import molecule_rng
from chemexplain.chem.shapley import SmilesShapley
from chemexplain.files import write_atomically
from chemexplain.io.markdown_blocks import replace_block
from chemexplain.mask.shapley import closed_up
from chemexplain.metrics.ground_truth import bootstrap_ci, per_molecule_kendall

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "removal_games.json"
README = ROOT / "benchmarks" / "README.md"


def zero_input_outputs(model, max_length: int = 100) -> np.ndarray:
    """The model's output (target units) for an all-zero embedded input of length 1..max_length."""
    module = model.inference_module()
    width = module.embedding.embedding_dim
    lengths = torch.arange(1, max_length + 1)
    zeros = torch.zeros(max_length, max_length, width, dtype=torch.float64)
    with torch.no_grad():
        out = module.forward_embedded(zeros, lengths).numpy()
    return out * model.target_std_ + model.target_mean_


_CHUNK = 2048  # coalitions per forward pass (256 orders of a 60-atom molecule: 15,616)


def game_shapley(
    model, smiles: str, permutations: int, seed: int, games=("zero", "delete")
) -> dict[str, np.ndarray]:
    """Sampled Shapley values (target units, atoms in the parsed SMILES' order) of each of
    ``games`` (both by default), from the same ``permutations`` orders of the atoms."""
    if not set(games) <= {"zero", "delete"}:
        raise ValueError(f"games={games!r}: use 'zero' and/or 'delete'")
    module = model.inference_module()
    players, n, _ = SmilesShapley(model)._players(smiles)
    ids = model.encode([smiles])[0][0]
    rng = np.random.default_rng(seed)
    orders = [rng.permutation(n) for _ in range(permutations)]
    coalitions = []
    for order in orders:
        chosen = np.zeros(n, bool)
        coalitions.append(chosen.copy())
        for atom in order:
            chosen[atom] = True
            coalitions.append(chosen.copy())
    chosen = np.array(coalitions)
    owners = np.array(players)
    keep = chosen[:, np.clip(owners, 0, None)] | (owners < 0)[None, :]
    kept = torch.tensor(keep, dtype=torch.float64)
    outputs = {game: np.empty(len(keep)) for game in games}
    with torch.no_grad():
        one = module.embed(torch.tensor([ids])).double()
        for start in range(0, len(keep), _CHUNK):  # a large molecule's coalitions in parts
            part = kept[start : start + _CHUNK]
            embedded = one.expand(len(part), -1, -1)
            if "zero" in games:
                outputs["zero"][start : start + len(part)] = module.forward_embedded(
                    embedded * part.unsqueeze(-1), torch.full((len(part),), len(ids))
                ).numpy()
            if "delete" in games:  # the explainer's own deletion (the empty coalition: head(0))
                deleted = module.forward_embedded(*closed_up(embedded, part)).numpy()
                outputs["delete"][start : start + len(part)] = deleted

    def shapley(values):
        phi, i = np.zeros(n), 0
        for order in orders:
            previous, i = values[i], i + 1
            for atom in order:
                phi[atom] += values[i] - previous
                previous, i = values[i], i + 1
        return phi / permutations * model.target_std_

    return {game: shapley(values) for game, values in outputs.items()}


def truth_model(quick: bool):
    """The Crippen model of ``benchmark_shapley.py --part crippen --compare-removals`` (the
    same folder; trained here as it trains it, on 1 thread, when absent)."""
    base = list(cx.load_esol().smiles) + list(cx.load_freesolv().smiles)
    frame = ground_truth.crippen_frame(base)
    frame["target"] = frame.crippen_logp
    saved = ROOT / "runs" / "crippen_model_paper_removals"
    if saved.is_dir():
        model = cx.load_model(saved)
    else:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        model = cx.train_on_frame(
            frame, "target", split="random", seed=0, config="paper", verbose=False
        )
        torch.set_num_threads(threads)
        model.save(saved)
    test = [frame.smiles[i] for i in model.split_["test"]]
    return model, test[:20] if quick else test


def update_readme(result: dict) -> None:
    zero, ref = result["zero_input_output_by_length"], result["esol_reference"]
    tau = result["crippen_tau"]
    rmse = result.get("crippen_model_test_rmse")
    lines = [
        "Reproduce: `python scripts/compare_removal_games.py` (writes "
        "`benchmarks/removal_games.json`; `--from-json` redraws this table). The amortized "
        "Shapley explainer learns the Shapley values of a game v(S): the model's output with "
        "the atoms outside S removed. Two ways to remove an atom (`SmilesShapley(removal=)`): "
        "**zero** its characters' embeddings, the SMILES keeping its length (the explainer "
        "shipped until 2026-11-28), or **delete** its characters, the SMILES getting shorter "
        "(the shipped explainer since)."
        + (f" Measured {result['measured_at']}." if "measured_at" in result else ""),
        "",
        f"The reference v(empty), bundled ESOL model, log10 mol/L. Zeroing: the output for an "
        f"all-zero input of the SMILES' length, which swings between {zero['min']:.2f} and "
        f"{zero['max']:.2f} over lengths 1-100 (the GRU oscillates on a constant input); over "
        f"ESOL's {ref['molecules']} molecules it has std {ref['std']:.2f} "
        f"({ref['min']:.2f} to {ref['max']:.2f}), so two molecules' contributions add up from "
        f"references up to {ref['max'] - ref['min']:.1f} log units apart. Deleting: the output "
        f"for the empty SMILES, {result['deleted_reference']:.2f} for every molecule.",
        "",
        "Each game's own Shapley values (permutation sampling, "
        f"{result['permutations']} orders per molecule and spelling) against the Crippen "
        "ground truth: SMILES2vec `paper` on Crippen logP"
        + (f" (test RMSE {rmse:.3f})" if rmse is not None else "")
        + f", {result['test_molecules']} test molecules, mean per-molecule signed Kendall τ "
        "(τ-b) with its bootstrap 95% CI.",
        "",
        "| game | SMILES as written | averaged over 5 spellings | molecules |",
        "|---|---|---|---|",
    ]
    for game in ("zero", "delete"):
        written, spelled = tau[f"{game}_as_written"], tau[f"{game}_spellings"]
        lines.append(
            f"| {game} | {written['mean']:.3f} [{written['ci'][0]:.3f}, {written['ci'][1]:.3f}] "
            f"| {spelled['mean']:.3f} [{spelled['ci'][0]:.3f}, {spelled['ci'][1]:.3f}] "
            f"| {written['molecules']} |"
        )
    replace_block(README, "removal_games", "\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--permutations", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--from-json", action="store_true", help="redraw the table only")
    args = parser.parse_args()
    if args.from_json:
        update_readme(json.loads(RESULTS.read_text()))
        return
    torch.set_num_threads(args.threads)
    started = time.perf_counter()

    bundled, _ = cx.pretrained()
    zero_outputs = zero_input_outputs(bundled)
    esol = cx.load_esol()
    references = [e.reference for e in cx.explain(list(esol.smiles), method="shapley")]

    model, test = truth_model(args.quick)
    values = {game: {"as_written": [], "spellings": []} for game in ("zero", "delete")}
    truths = []
    for smiles in test:
        truths.append(ground_truth.crippen_atom_contributions(smiles))
        written = game_shapley(model, smiles, args.permutations, seed=0)
        sums = {game: np.zeros(len(truths[-1])) for game in values}
        spelled = spellings(smiles, 4, molecule_rng(smiles, 0))
        for k, (text, order) in enumerate(spelled):
            for game, phi in game_shapley(model, text, args.permutations, seed=k + 1).items():
                sums[game][order] += phi
        for game in values:
            values[game]["as_written"].append(written[game])
            values[game]["spellings"].append(sums[game] / len(spelled))

    taus = {}
    for game, by_reading in values.items():
        for reading, vals in by_reading.items():
            tau = per_molecule_kendall(vals, truths)
            tau = tau[~np.isnan(tau)]
            mean, (low, high) = bootstrap_ci(tau)
            taus[f"{game}_{reading}"] = {"mean": mean, "ci": [low, high], "molecules": len(tau)}

    result = {
        "zero_input_output_by_length": {
            "lengths": "1-100",
            "log10_mol_per_l": [round(float(v), 4) for v in zero_outputs],
            "min": float(zero_outputs.min()),
            "max": float(zero_outputs.max()),
        },
        "esol_reference": {
            "molecules": len(references),
            "mean": float(np.mean(references)),
            "std": float(np.std(references)),
            "min": float(np.min(references)),
            "max": float(np.max(references)),
        },
        "deleted_reference": bundled.inference_module().head.bias[0].item() * bundled.target_std_
        + bundled.target_mean_,
        "crippen_model_test_rmse": model.metrics_["test_rmse"],
        "crippen_tau": taus,
        "permutations": args.permutations,
        "test_molecules": len(test),
        "quick": args.quick,
        "seconds": time.perf_counter() - started,
    }
    print(json.dumps(result["crippen_tau"], indent=1))
    print({k: result["esol_reference"][k] for k in ("mean", "std", "min", "max")})
    if not args.quick:
        write_atomically(RESULTS, json.dumps(result, indent=1) + "\n")
        update_readme(result)


if __name__ == "__main__":
    main()
