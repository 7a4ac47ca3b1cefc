"""Check that every path that takes a model on an accelerator gives the CPU's numbers.

    python scripts/check_device.py --device cuda        # about 2 min on one H100
    python scripts/check_device.py --device cpu --quick # the script itself, on any machine

Each check runs the same work twice, once with the model (and its explainers) on
``--device`` and once on the CPU, and reports the largest absolute difference:

* predictions of the bundled ESOL model on all 1,128 ESOL molecules (log10 mol/L);
* ``cx.explain`` with every method (the amortized Shapley explainer, the mask and
  every attribution method) on 16 ESOL test molecules: per-atom values and
  predictions (SmoothGrad and VarGrad draw their noise with the device's own
  generator, so they are run twice on the device and must repeat exactly; their
  difference from the CPU is reported beside);
* a molecule's values alone and inside a batch on the device (batch independence);
* the bundled model's predictions in a second process on the device: the same bits
  (same seed, same machine, same numbers);
* training a model, a mask, a Shapley explainer and a two-member ensemble on the
  device for two epochs, saving each, loading it on the CPU and comparing outputs
  there (the ensemble: its mean, calibrated spread and integrated gradients);
* molecules per second of ``cx.explain`` (Shapley explainer, and integrated
  gradients, 50 steps) on the device and on the CPU, in the same process.

A check fails on an exception or a difference above its tolerance (per-atom values;
predictions, float32 on both sides, within ``TOLERANCE_FLOAT32``). Prints a table
and writes ``--out`` (JSON, default ``benchmarks/device_check.json``) and the table
in ``benchmarks/README.md``. CI never runs this (no accelerator there): it proves
the device paths when a machine with one is at hand (see docs/attribution_guide.md).
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np
import torch

import chemexplain as cx
from chemexplain.attribution import METHODS
from chemexplain.files import write_atomically
from chemexplain.io.markdown_blocks import replace_block
from chemexplain.models.pretrained import PRETRAINED_DIR

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "benchmarks" / "README.md"

#: float64 networks on both sides (attribution methods, the mask); Captum's occlusion and
#: LIME, and the random scores, sum in float32 somewhere: 2e-7 to 5e-7 on an H200
TOLERANCE = 1e-6
#: float32 paths (predictions, the Shapley explainer's graph network, a trained model's
#: outputs): with TF32 on (cuDNN's default) predictions differed by 2.3e-4 on an H100
TOLERANCE_FLOAT32 = 1e-4
#: LRP-alpha2-beta1 splits every neuron's inputs into positive and negative parts and
#: divides by each sum; where a part sums to ~1e-17, whether it is exactly 0 (its share
#: dropped) depends on rounding: 4.1e-6 log units between an H200 and the CPU (float64)
TOLERANCE_SPLIT_SIGNS = 1e-5
#: Captum's NoiseTunnel draws its noise on the input's device: other draws than the CPU's
DEVICE_DRAWS = ("smoothgrad", "vargrad")


def _bundled(device: str):
    model = cx.load_model(PRETRAINED_DIR / "model", device=device)
    mask = cx.SmilesMask.load(PRETRAINED_DIR / "mask", model)
    shapley = cx.SmilesShapley.load(PRETRAINED_DIR / "shapley", model)
    return model, mask, shapley


def _all_molecules(quick: bool) -> list[str]:
    """The molecules the bundled model predicts: all of ESOL (200 with ``--quick``)."""
    return list(cx.load_esol().smiles)[: 200 if quick else None]


def _explained(smiles, model, mask, shapley, method):
    out = cx.explain(smiles, model=(model, mask), shapley=shapley, method=method)
    return (
        np.array([e.prediction for e in out]),
        [np.asarray(e.atom_weights, dtype=float) for e in out],
    )


def _max_diff(a, b) -> float:
    if isinstance(a, list):
        return max(float(np.max(np.abs(x - y))) if len(x) else 0.0 for x, y in zip(a, b))
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


def run_checks(device: str, quick: bool) -> list[dict]:
    esol = cx.load_esol()
    cpu = _bundled("cpu")
    dev = _bundled(device)
    test = list(esol.smiles.iloc[cpu[0].split_["test"]])[: 8 if quick else 16]
    results: list[dict] = []

    def check(name: str, tolerance: float, function) -> None:
        start = time.perf_counter()
        try:
            diff, extra = function()
            predictions = extra.get("prediction_diff", 0.0)  # float32 on both sides
            fine = diff <= tolerance and predictions <= TOLERANCE_FLOAT32
            status = "ok" if fine else "DIFFERS"
        except Exception as error:  # noqa: BLE001 - every failure is reported, none stops the rest
            diff, status = float("nan"), "ERROR"
            extra = {"error": f"{type(error).__name__}: {error}", "trace": traceback.format_exc()}
        row = {
            "check": name,
            "status": status,
            "max_abs_diff": diff,
            "tolerance": tolerance,
            "seconds": round(time.perf_counter() - start, 2),
            **extra,
        }
        results.append(row)
        more = f"  predictions {row['prediction_diff']:.1e}" if "prediction_diff" in row else ""
        print(f"{name:40s} {status:8s} {diff:.2e} (tol {tolerance:.0e}){more}", flush=True)
        if status == "ERROR":
            print(extra["trace"], flush=True)

    everything = _all_molecules(quick)
    on_device = dev[0].predict(everything)
    check(
        "predict, bundled model",
        TOLERANCE_FLOAT32,
        lambda: (_max_diff(on_device, cpu[0].predict(everything)), {}),
    )

    def second_process():
        saved = Path(tempfile.mkdtemp()) / "predictions.npy"
        command = [sys.executable, __file__, "--predict-into", str(saved), "--device", device]
        subprocess.run(command + (["--quick"] if quick else []), check=True)
        return _max_diff(on_device, np.load(saved)), {}

    check("predict again in a second process", 0.0, second_process)
    for method in ["shapley", "mask", *sorted(METHODS)]:
        tolerance = TOLERANCE_FLOAT32 if method == "shapley" else TOLERANCE
        tolerance = TOLERANCE_SPLIT_SIGNS if method == "lrp_alpha2_beta1" else tolerance

        def compare(method=method):
            p_dev, v_dev = _explained(test, *dev, method)
            p_cpu, v_cpu = _explained(test, *cpu, method)
            extra = {"prediction_diff": _max_diff(p_dev, p_cpu)}
            if method not in DEVICE_DRAWS:
                return _max_diff(v_dev, v_cpu), extra
            # the noise comes from the device's own generator: check it repeats there
            _, again = _explained(test, *dev, method)
            return _max_diff(v_dev, again), {
                **extra,
                "value_diff_from_cpu": _max_diff(v_dev, v_cpu),
            }

        name = f"explain --method {method}"
        check(name + (" (twice)" if method in DEVICE_DRAWS else ""), tolerance, compare)

    def batch_independence():
        worst = 0.0
        for method in ("shapley", "integrated_gradients", "mask"):
            _, batch = _explained(test, *dev, method)
            for i in (0, len(test) - 1):
                _, alone = _explained([test[i]], *dev, method)
                worst = max(worst, _max_diff(alone, [batch[i]]))
        return worst, {}

    check("alone vs in a batch, on the device", TOLERANCE_FLOAT32, batch_independence)

    train = list(esol.smiles.iloc[cpu[0].split_["train"]])[:300]
    y = esol.logS.iloc[cpu[0].split_["train"]].to_numpy()[:300]
    tmp = Path(tempfile.mkdtemp())

    def fit_model():
        model = cx.SmilesRegressor(device=device, max_epochs=2, random_state=0, verbose=False)
        model.fit(train, y)
        model.save(tmp / "model")
        back = cx.load_model(tmp / "model")
        return _max_diff(model.predict(test), back.predict(test)), {}

    check("train a model, load it on the CPU", TOLERANCE_FLOAT32, fit_model)

    def fit_mask():
        model = dev[0]
        mask = cx.SmilesMask(model, max_epochs=2, random_state=0, verbose=False).fit(train, y)
        mask.save(tmp / "mask")
        back = cx.SmilesMask.load(tmp / "mask", cpu[0])
        return _max_diff(mask.atom_weights(test), back.atom_weights(test)), {}

    check("fit a mask, load it on the CPU", TOLERANCE_FLOAT32, fit_mask)

    def fit_shapley():
        shapley = cx.SmilesShapley(dev[0], max_epochs=2, random_state=0, verbose=False)
        shapley.fit(train)
        shapley.save(tmp / "shapley")
        back = cx.SmilesShapley.load(tmp / "shapley", cpu[0])
        return _max_diff(shapley.atom_values(test)[0], back.atom_values(test)[0]), {}

    check("fit a Shapley explainer, load it on CPU", TOLERANCE_FLOAT32, fit_shapley)

    def fit_ensemble():
        rows = cpu[0].split_["val"]
        val, val_y = list(esol.smiles.iloc[rows]), esol.logS.iloc[rows].to_numpy()
        params = {"device": device, "max_epochs": 2, "verbose": False}
        ensemble = cx.SmilesEnsemble("paper", n_members=2, estimator_params=params)
        ensemble.fit(train, y, val, val_y)  # the validation part calibrates the spread
        ensemble.save(tmp / "ensemble")
        back = cx.load_model(tmp / "ensemble")
        here, there = (
            cx.explain(test, model=m, method="integrated_gradients") for m in (ensemble, back)
        )
        values = _max_diff(
            [np.asarray(e.atom_weights) for e in here], [np.asarray(e.atom_weights) for e in there]
        )
        spread = _max_diff(*(np.array([e.prediction_std for e in x]) for x in (here, there)))
        predictions = _max_diff(*(np.array([e.prediction for e in x]) for x in (here, there)))
        return max(values, spread), {"prediction_diff": predictions}

    check("train an ensemble, load it on the CPU", TOLERANCE_FLOAT32, fit_ensemble)

    speed_set = list(esol.smiles)[: 64 if quick else 512]

    def speed():
        figures = {}
        for where, bundle in (("device", dev), ("cpu", cpu)):
            for method, n in (("shapley", len(speed_set)), ("integrated_gradients", 64)):
                _explained(speed_set[:4], *bundle, method)  # warm-up
                start = time.perf_counter()
                _explained(speed_set[:n], *bundle, method)
                figures[f"{where} {method} mol/s"] = round(n / (time.perf_counter() - start), 1)
        print("   ", figures, flush=True)
        return 0.0, {"molecules_per_second": figures}

    check("speed (molecules/s)", 0.0, speed)
    return results


def write_table(report: dict) -> None:
    """The ``device`` block of benchmarks/README.md, from a report this script wrote."""
    speed = next(r for r in report["checks"] if "molecules_per_second" in r)
    speed = speed["molecules_per_second"]
    lines = [
        f"Reproduce, on a machine with a GPU: `python scripts/check_device.py --device cuda` "
        f"(writes `benchmarks/device_check.json` and this table; `--render FILE` redraws it "
        f"from a saved report). Measured on one {report['device_name']} (torch "
        f"{report['torch']}, {report['cpu_threads']} CPU threads for the CPU side).",
        "",
        "| check | status | largest difference from the CPU | tolerance |",
        "|---|---|---|---|",
    ]
    for row in report["checks"]:
        if "molecules_per_second" in row:
            continue
        diff = f"{row['max_abs_diff']:.1e}"
        if "prediction_diff" in row:
            diff += f" (predictions {row['prediction_diff']:.1e})"
        if "value_diff_from_cpu" in row:
            diff = (
                f"{row['max_abs_diff']:.1e} between two device runs; "
                f"{row['value_diff_from_cpu']:.2f} from the CPU (other noise draws)"
            )
        lines.append(f"| {row['check']} | {row['status']} | {diff} | {row['tolerance']:.0e} |")
    lines += [
        "",
        "Molecules per second of `cx.explain`, in the same process: the Shapley explainer "
        f"{speed['device shapley mol/s']:,.0f} on the GPU and {speed['cpu shapley mol/s']:,.0f} "
        f"on the CPU; integrated gradients (50 steps) {speed['device integrated_gradients mol/s']}"
        f" and {speed['cpu integrated_gradients mol/s']}.",
    ]
    replace_block(README, "device", "\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--quick", action="store_true", help="fewer molecules")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "device_check.json"))
    parser.add_argument(
        "--no-table", action="store_true", help="leave benchmarks/README.md as it is"
    )
    parser.add_argument(
        "--render", metavar="FILE", help="only redraw the README table from a saved report"
    )
    parser.add_argument(
        "--predict-into", metavar="FILE", help=argparse.SUPPRESS
    )  # the second process of the check 'predict again in a second process'
    args = parser.parse_args()
    if args.predict_into:
        predictions = _bundled(args.device)[0].predict(_all_molecules(args.quick))
        np.save(args.predict_into, predictions)
        return
    if args.render:
        write_table(json.loads(Path(args.render).read_text()))
        return
    if args.threads:
        torch.set_num_threads(args.threads)
    results = run_checks(args.device, args.quick)
    name = torch.cuda.get_device_name() if args.device.startswith("cuda") else platform.processor()
    report = {
        "device": args.device,
        "device_name": name,
        "torch": torch.__version__,
        "cpu_threads": torch.get_num_threads(),
        "checks": results,
    }
    write_atomically(Path(args.out), json.dumps(report, indent=2) + "\n")
    if not args.no_table and not args.quick:
        write_table(report)
    failed = [r["check"] for r in results if r["status"] != "ok"]
    print(f"\n{len(results) - len(failed)}/{len(results)} checks ok on {name}", flush=True)
    if failed:
        print("failed: " + "; ".join(failed))
        raise SystemExit(1)


if __name__ == "__main__":
    main()
