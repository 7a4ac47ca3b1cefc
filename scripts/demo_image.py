"""Image demo: explanation masks, Montavon heatmaps and prototypes on the bundled digits,
and the planted-patch check. Writes benchmarks/image.json, figures and a README section.

    python scripts/demo_image.py            # 5 minutes on 2 CPU cores
    python scripts/demo_image.py --quick    # a smoke run (tiny epochs); writes to --out only

Parts:

1. **Digits** (scikit-learn, 8x8): a residual CNN (test accuracy); the paper's image
   explainer (bottleneck only, L2 1e-4) with and without an L1 penalty, and with the
   classifier's feature map as a skip input; masked accuracy for each.
2. **Heatmaps**: sensitivity, gradient x input, LRP a1b0 and a2b1 (and the masks, and a
   random ranking) compared by pixel-flipping curves, with noise and with zero.
3. **Prototypes**: activation maximization with an L2 penalty and with a Gaussian-mixture
   density expert, one per digit.
4. **Planted patch** (16x16, 4x4 striped patch): the share of each explanation's mass
   that lies inside the patch on held-out images, against a random mask (the patch's area)
   and gradient saliency; the classifier is trained with random erasing (and, as an
   ablation, without).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from chemexplain.attribution import METHODS
from chemexplain.files import write_atomically
from chemexplain.image import (
    ResidualCNN,
    image_mask_explainer,
    load_digits_splits,
    planted_patch_dataset,
    random_erase,
    random_shift,
)
from chemexplain.image.prototypes import GaussianMixtureExpert, activation_maximization
from chemexplain.io.markdown_blocks import replace_block
from chemexplain.metrics import accuracy, pixel_flipping
from chemexplain.nn.training import fit_classifier, make_batches, predict_logits

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "benchmarks" / "README.md"
#: Montavon et al.'s heatmaps, by the label of the figures and tables -> attribution.METHODS name
#: (the squared gradient, ``saliency``, is their sensitivity analysis)
HEATMAPS = {
    "sensitivity": "saliency",
    "gradient x input": "gradient_x_input",
    "LRP a1b0": "lrp_alpha_beta",
    "LRP a2b1": "lrp_alpha2_beta1",
}


def _masked_accuracy(explainer, x, y) -> float:
    return float((explainer.predict_masked(x).argmax(1) == y).float().mean())


def digits_part(args, out: Path) -> tuple[dict, dict]:
    torch.manual_seed(args.seed)
    data = load_digits_splits(random_state=args.seed)
    train = make_batches(data.train_x, data.train_y, batch_size=32)
    val = make_batches(data.val_x, data.val_y, batch_size=256)
    test = make_batches(data.test_x, data.test_y, batch_size=256)
    model = ResidualCNN(channels=32, bottleneck=64)
    start = time.time()
    history = fit_classifier(
        model, train, val, epochs=args.epochs, patience=15, weight_decay=1e-4,
        augment=random_shift, random_state=args.seed,
    )  # fmt: skip
    result = {
        "classifier": {
            "test_accuracy": accuracy(*predict_logits(model, test)),
            "epochs": len(history),
            "seconds": time.time() - start,
            "n_train": len(data.train_y),
            "n_test": len(data.test_y),
        },
        "masks": {},
    }
    print(f"digits CNN: test accuracy {result['classifier']['test_accuracy']:.4f}", flush=True)
    variants = {
        "paper (bottleneck, L2 1e-4)": {"skip": None, "l1": 0.0},
        "paper + L1 1e-3": {"skip": None, "l1": 1e-3},
        "feature skip + L1 1e-3": {"skip": "features", "l1": 1e-3},
    }
    masks = {}
    for name, options in variants.items():
        start = time.time()
        explainer = image_mask_explainer(
            model, 8, max_epochs=args.mask_epochs, patience=8, learning_rate=3e-3,
            random_state=args.seed, verbose=False, **options,
        )  # fmt: skip
        explainer.fit(train, val)
        mask = explainer.explain(data.test_x)
        masks[name] = mask
        result["masks"][name] = {
            **{k: v for k, v in options.items()},
            "masked_test_accuracy": _masked_accuracy(explainer, data.test_x, data.test_y),
            "mean_weight": float(mask.mean()),
            "best_epoch": explainer.best_epoch_,
            "seconds": time.time() - start,
        }
        print(f"  mask {name}: {result['masks'][name]}", flush=True)
    return result, {"model": model, "data": data, "masks": masks}


def heatmap_part(args, state: dict, out: Path) -> dict:
    model, data = state["model"], state["data"]
    x = data.test_x
    target = model(x).argmax(1).detach()
    heatmaps = {
        label: METHODS[name](model).attribute(x, target=target) for label, name in HEATMAPS.items()
    }
    for name, mask in state["masks"].items():
        if "L1" in name:
            heatmaps[f"mask: {name}"] = mask
    generator = torch.Generator().manual_seed(args.seed)
    heatmaps["random"] = torch.rand(x.shape, generator=generator)
    curves = {
        baseline: {
            name: pixel_flipping(
                model, x, target, h, steps=16, baseline=baseline, random_state=args.seed
            )
            for name, h in heatmaps.items()
        }  # fmt: skip
        for baseline in ("noise", "zero")
    }
    for baseline, by_method in curves.items():
        print(
            f"pixel flipping ({baseline}): "
            + ", ".join(f"{k} {v['aopc']:.2f}" for k, v in by_method.items()),
            flush=True,
        )
    _plot_flipping(curves, out / "image_pixel_flipping.png")
    _plot_heatmaps(x[:8], heatmaps, out / "image_heatmaps.png")
    return {"n_images": len(x), "curves": curves}


def prototype_part(args, state: dict, out: Path) -> dict:
    model, data = state["model"], state["data"]
    start_image = data.train_x.mean(0)
    expert = GaussianMixtureExpert(n_components=10, random_state=args.seed).fit(data.train_x)
    variants = {
        "L2 (0.05)": activation_maximization(model, range(10), start_image, l2=0.05,
                                             steps=args.am_steps),
        "density expert (GMM, 10 components)": activation_maximization(
            model, range(10), start_image, expert=expert, steps=args.am_steps),
    }  # fmt: skip
    result = {}
    for name, prototypes in variants.items():
        with torch.no_grad():
            probability = F.softmax(model(prototypes), 1)[torch.arange(10), torch.arange(10)]
            density = expert.log_density(prototypes)
        result[name] = {
            "class_probability": [round(float(p), 4) for p in probability],
            "mean_log_density": float(density.mean()),
        }
        print(f"prototypes {name}: p(class) mean {float(probability.mean()):.3f}, "
              f"log p(x) mean {float(density.mean()):.1f}", flush=True)  # fmt: skip
    with torch.no_grad():
        result["real test digits"] = {
            "mean_log_density": float(expert.log_density(data.test_x).mean())
        }
    _plot_prototypes(variants, out / "image_prototypes.png")
    return result


def _planted_classifier(args, train, val, size: int, erase: bool) -> ResidualCNN:
    torch.manual_seed(args.seed)
    model = ResidualCNN(image_size=size, n_classes=2, channels=16, bottleneck=64)
    fit_classifier(model, train, val, epochs=30, patience=5, weight_decay=1e-4,
                   augment=random_erase if erase else None, random_state=args.seed)  # fmt: skip
    return model


def planted_part(args, out: Path) -> dict:
    size, patch_size = 16, 4
    images, labels, _ = planted_patch_dataset(args.n_patch, size, patch_size, args.seed)
    held_x, held_y, held_patch = planted_patch_dataset(500, size, patch_size, args.seed + 1)
    n_train = int(0.85 * args.n_patch)
    train = make_batches(images[:n_train], labels[:n_train], batch_size=32)
    val = make_batches(images[n_train:], labels[n_train:], batch_size=256)
    held = make_batches(held_x, held_y, batch_size=256)
    models = {erase: _planted_classifier(args, train, val, size, erase) for erase in (True, False)}
    result = {
        "image_size": size,
        "patch_size": patch_size,
        "area_fraction": patch_size**2 / size**2,
        "classifier_accuracy": accuracy(*predict_logits(models[True], held)),
        "classifier_accuracy_without_erasing": accuracy(*predict_logits(models[False], held)),
        "methods": {},
    }
    print(f"planted patch: classifier held-out accuracy {result['classifier_accuracy']:.4f}"
          f" ({result['classifier_accuracy_without_erasing']:.4f} without erasing)",
          flush=True)  # fmt: skip

    def inside(weights: torch.Tensor) -> float:
        weights = weights.abs().sum(1, keepdim=True)
        return float(((weights * held_patch).sum((1, 2, 3)) / weights.sum((1, 2, 3))).mean())

    shown = {}
    for name, skip, epochs, erase in [
        ("mask: paper (bottleneck only)", None, args.patch_epochs_paper, True),
        ("mask: image skip", "image", args.patch_epochs, True),
        ("mask: feature skip", "features", args.patch_epochs, True),
        ("mask: feature skip, classifier without erasing", "features", args.patch_epochs, False),
    ]:
        start = time.time()
        explainer = image_mask_explainer(
            models[erase], size, channels=16, skip=skip, l1=3e-3, learning_rate=1e-3,
            max_epochs=epochs, patience=15, random_state=args.seed, verbose=False,
        )  # fmt: skip
        explainer.fit(train, val)
        mask = explainer.explain(held_x)
        if erase:
            shown[name] = mask
        per_image = (mask * held_patch).sum((1, 2, 3)) / mask.sum((1, 2, 3)).clamp_min(1e-12)
        result["methods"][name] = {
            "mass_inside_patch": inside(mask),
            "images_with_most_mass_inside": float((per_image > 0.5).float().mean()),
            "masked_accuracy": _masked_accuracy(explainer, held_x, held_y),
            "mean_weight": float(mask.mean()),
            "best_epoch": explainer.best_epoch_,
            "seconds": time.time() - start,
        }
        print(f"  {name}: {result['methods'][name]}", flush=True)
    model = models[True]
    target = model(held_x).argmax(1).detach()
    for name in ("sensitivity", "gradient x input"):
        heat = METHODS[HEATMAPS[name]](model).attribute(held_x, target=target)
        shown[name] = heat
        result["methods"][name] = {"mass_inside_patch": inside(heat)}
    random_mask = torch.rand(held_x.shape, generator=torch.Generator().manual_seed(args.seed))
    result["methods"]["random mask"] = {"mass_inside_patch": inside(random_mask)}
    for name in ("sensitivity", "gradient x input", "random mask"):
        print(f"  {name}: {result['methods'][name]}", flush=True)
    _plot_planted(held_x[:6], held_patch[:6], shown, out / "image_planted_patch.png")
    return result


# ------------------------------------------------------------------ figures
def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _plot_flipping(curves: dict, path: Path) -> None:
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, (baseline, by_method) in zip(axes, curves.items()):
        for name, curve in by_method.items():
            style = ":" if name == "random" else ("--" if name.startswith("mask") else "-")
            ax.plot(curve["fractions"], curve["logit"], style, marker=".",
                    label=f"{name} (AOPC {curve['aopc']:.2f})")  # fmt: skip
        ax.set_xlabel("fraction of pixels flipped, most relevant first")
        ax.set_ylabel("target class logit (mean over test digits)")
        ax.set_title(f"pixel flipping, flipped pixels set to {baseline}")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _plot_heatmaps(x: torch.Tensor, heatmaps: dict, path: Path) -> None:
    plt = _plt()
    names = list(heatmaps)
    fig, axes = plt.subplots(
        len(names) + 1, len(x), figsize=(1.3 * len(x), 1.35 * (len(names) + 1))
    )
    for j in range(len(x)):
        axes[0, j].imshow(x[j, 0], cmap="gray_r")
        for i, name in enumerate(names, start=1):
            h = heatmaps[name][j].sum(0).detach()
            limit = float(h.abs().max()) or 1.0
            axes[i, j].imshow(h, cmap="bwr", vmin=-limit, vmax=limit)
    for i, name in enumerate(["digit", *names]):
        axes[i, 0].set_ylabel(name, fontsize=6, rotation=0, ha="right", va="center")
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("heatmaps (red: evidence for the predicted digit, blue: against)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _plot_prototypes(variants: dict, path: Path) -> None:
    plt = _plt()
    fig, axes = plt.subplots(len(variants), 10, figsize=(12, 1.5 * len(variants) + 0.4))
    for i, (name, prototypes) in enumerate(variants.items()):
        for c in range(10):
            axes[i, c].imshow(prototypes[c, 0].clamp(0, 1), cmap="gray_r", vmin=0, vmax=1)
            axes[i, c].set_xticks([])
            axes[i, c].set_yticks([])
            if i == 0:
                axes[i, c].set_title(str(c))
        axes[i, 0].set_ylabel(name, fontsize=7, rotation=0, ha="right", va="center")
    fig.suptitle("activation maximization: one prototype per digit", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _plot_planted(x, patch, shown: dict, path: Path) -> None:
    plt = _plt()
    names = list(shown)
    fig, axes = plt.subplots(len(names) + 1, len(x), figsize=(1.5 * len(x), 1.5 * (len(names) + 1)))
    for j in range(len(x)):
        rows, cols = torch.nonzero(patch[j, 0], as_tuple=True)
        box = (int(cols.min()) - 0.5, int(rows.min()) - 0.5, int(cols.max() - cols.min()) + 1)
        for i, image in enumerate([x[j, 0]] + [shown[n][j].abs().sum(0) for n in names]):
            ax = axes[i, j]
            ax.imshow(image.detach(), cmap="gray_r" if i == 0 else "Reds")
            ax.add_patch(plt.Rectangle(box[:2], box[2], box[2], fill=False, ec="lime", lw=1.2))
            ax.set_xticks([])
            ax.set_yticks([])
    for i, name in enumerate(["image", *names]):
        axes[i, 0].set_ylabel(name, fontsize=6, rotation=0, ha="right", va="center")
    fig.suptitle("planted patch (green box): where each explanation puts its mass", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


# ------------------------------------------------------------------ report
def readme_table(result: dict) -> str:
    d, p = result["digits"], result["planted_patch"]
    lines = [
        "Reproduce: `python scripts/demo_image.py` (writes `benchmarks/image.json` and the "
        "figures `image_*.png`; guide: [docs/image_and_text.md](../docs/image_and_text.md)).",
        "",
        f"**Digits CNN** (scikit-learn digits, {d['classifier']['n_train']} train / "
        f"{d['classifier']['n_test']} test): test accuracy "
        f"**{d['classifier']['test_accuracy']:.4f}**.",
        "",
        "| image mask | masked test accuracy | mean weight |",
        "|---|---|---|",
    ]
    for name, m in d["masks"].items():
        lines.append(f"| {name} | {m['masked_test_accuracy']:.4f} | {m['mean_weight']:.3f} |")
    lines += [
        "",
        f"**Planted patch** ({p['patch_size']}x{p['patch_size']} in {p['image_size']}x"
        f"{p['image_size']}, area {p['area_fraction']:.4f}; classifier trained with random "
        f"erasing, held-out accuracy {p['classifier_accuracy']:.4f}; 500 held-out images):",
        "",
        "| explanation | mass inside the patch | images with > 50% inside | masked accuracy |",
        "|---|---|---|---|",
    ]
    for name, m in p["methods"].items():
        masked = f"{m['masked_accuracy']:.4f}" if "masked_accuracy" in m else "-"
        most = f"{m['images_with_most_mass_inside']:.3f}" if "masked_accuracy" in m else "-"
        lines.append(f"| {name} | **{m['mass_inside_patch']:.3f}** | {most} | {masked} |")
    h = result["heatmaps"]["curves"]
    lines += [
        "",
        f"**Pixel flipping** on the {result['heatmaps']['n_images']} test digits "
        "(AOPC: mean drop of the target logit over 16 flipping steps; higher is better):",
        "",
        "| heatmap | AOPC, flip to noise | AOPC, flip to 0 |",
        "|---|---|---|",
    ]
    for name in h["noise"]:
        lines.append(f"| {name} | {h['noise'][name]['aopc']:.2f} | {h['zero'][name]['aopc']:.2f} |")
    pr = result["prototypes"]
    lines += [
        "",
        "**Prototypes** (activation maximization from the mean digit; `image_prototypes.png`):",
        "",
        "| variant | mean p(class) | mean log p(x) under the GMM |",
        "|---|---|---|",
    ]
    for name, v in pr.items():
        if "class_probability" in v:
            lines.append(f"| {name} | {np.mean(v['class_probability']):.3f} | "
                         f"{v['mean_log_density']:.1f} |")  # fmt: skip
    lines.append(f"| (real test digits) | - | {pr['real test digits']['mean_log_density']:.1f} |")
    lines += [
        "",
        "![pixel flipping](image_pixel_flipping.png)",
        "![heatmaps](image_heatmaps.png)",
        "![prototypes](image_prototypes.png)",
        "![planted patch](image_planted_patch.png)",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks")
    parser.add_argument("--quick", action="store_true", help="tiny epochs (smoke test)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    args.epochs, args.mask_epochs, args.am_steps = (80, 60, 300) if not args.quick else (2, 2, 5)
    args.n_patch, args.patch_epochs, args.patch_epochs_paper = (
        (3000, 40, 100) if not args.quick else (300, 2, 2)
    )
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.time()
    digits, state = digits_part(args, args.out)
    result = {
        "seed": args.seed,
        "quick": args.quick,
        "torch_threads": args.threads,
        "digits": digits,
        "heatmaps": heatmap_part(args, state, args.out),
        "prototypes": prototype_part(args, state, args.out),
        "planted_patch": planted_part(args, args.out),
    }
    result["seconds"] = time.time() - start
    write_atomically(args.out / "image.json", json.dumps(result, indent=1))
    if not args.quick and args.out.resolve() == (ROOT / "benchmarks").resolve():
        replace_block(README, "image", readme_table(result))
    print(f"done in {result['seconds']:.0f} s; wrote {args.out / 'image.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
