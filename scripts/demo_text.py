"""Text demo: the paper's biGRU sentiment classifier and word mask on a synthetic review corpus
with planted sentiment words (and on a local IMDB copy with --imdb). Writes benchmarks/text.json,
benchmarks/text_words.png and a README section.

    python scripts/demo_text.py                       # 6 minutes on 2 CPU cores
    python scripts/demo_text.py --imdb aclImdb_v1.tar.gz --imdb-n 5000
    python scripts/demo_text.py --quick --out /tmp/x  # a smoke run (tiny epochs)

Measured: base and masked accuracy on held-out reviews; how often the planted word is among
a review's three highest mask weights (chance: 3 / review length); the words with the
highest mean weight per predicted class. Two ablations: the classifier trained without word
dropout (which lets the mask explain one class with no word at all), and the mask trained
with the entropy penalty alone (no L1).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

from chemexplain.files import write_atomically
from chemexplain.io.markdown_blocks import replace_block
from chemexplain.metrics import accuracy
from chemexplain.nn.training import fit_classifier, make_batches, predict_logits
from chemexplain.text import (
    BiGRUClassifier,
    encode_texts,
    load_imdb,
    synthetic_reviews,
    text_mask_explainer,
    word_dropout,
    words,
)
from chemexplain.vocabulary import Vocabulary

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "benchmarks" / "README.md"


def train_and_explain(
    args, train_frame, test_frame, dropout: bool, max_length: int = 400, mask_options=None,
    cache: dict | None = None,
):  # fmt: skip
    """Classifier + mask on ``train_frame`` (last 10% for validation); figures on ``test_frame``.

    ``mask_options`` override :func:`text_mask_explainer`'s penalties; a classifier
    already trained with the same ``dropout`` is taken from ``cache``.
    """
    if cache is not None and dropout in cache:
        return _explain(args, *cache[dropout], mask_options or {})
    vocabulary = Vocabulary.from_sequences(
        (words(t) for t in train_frame.text), max_size=args.vocab_size
    )
    ids, lengths = encode_texts(train_frame.text, vocabulary, max_length)
    labels = torch.tensor(train_frame.label.values)
    n_train = int(0.9 * len(ids))
    train = make_batches(ids[:n_train], labels[:n_train], lengths[:n_train], batch_size=64)
    val = make_batches(ids[n_train:], labels[n_train:], lengths[n_train:], batch_size=256)
    test_ids, test_lengths = encode_texts(test_frame.text, vocabulary, max_length)
    test_labels = torch.tensor(test_frame.label.values)
    test = make_batches(test_ids, test_labels, test_lengths, batch_size=256)
    torch.manual_seed(args.seed)
    model = BiGRUClassifier(len(vocabulary), embedding_dim=64, hidden=args.hidden, dense=128)
    start = time.time()
    history = fit_classifier(
        model, train, val, epochs=args.epochs, patience=3, learning_rate=1e-3,
        augment=word_dropout if dropout else None, random_state=args.seed,
    )  # fmt: skip
    classifier = (model, vocabulary, train, val, test, dropout, history, time.time() - start)
    if cache is not None:
        cache[dropout] = classifier
    return _explain(args, *classifier, mask_options or {})


def _explain(args, model, vocabulary, train, val, test, dropout, history, classifier_seconds,
             mask_options):  # fmt: skip
    test_ids = torch.cat([x for x, _, _ in test])
    test_lengths = torch.cat([n for _, n, _ in test])
    test_labels = torch.cat([y for _, _, y in test])
    explainer = text_mask_explainer(
        model, hidden=100, dense=256, learning_rate=3e-3, max_epochs=args.mask_epochs,
        patience=4, random_state=args.seed, verbose=False, **mask_options,
    )  # fmt: skip
    start = time.time()
    explainer.fit(train, val)
    weights = torch.cat([explainer.explain(x, n) for x, n, _ in test])
    masked = torch.cat([explainer.predict_masked(x, n) for x, n, _ in test])
    predicted = torch.cat([model(x, n).argmax(1) for x, n, _ in test]).detach()
    result = {
        "n_train": sum(len(y) for _, _, y in train),
        "n_val": sum(len(y) for _, _, y in val),
        "n_test": len(test_ids),
        "vocabulary": len(vocabulary),
        "word_dropout": dropout,
        "mask_options": mask_options,
        "base_accuracy": accuracy(*predict_logits(model, test)),
        "masked_accuracy": float((masked.argmax(1) == test_labels).float().mean()),
        "classifier_epochs": len(history),
        "classifier_seconds": classifier_seconds,
        "mask_best_epoch": explainer.best_epoch_,
        "mask_seconds": time.time() - start,
        "mean_weight": float(weights.sum() / test_lengths.sum()),
    }
    tokens = [vocabulary.decode(row[:n].tolist()) for row, n in zip(test_ids, test_lengths)]
    return result, weights, predicted, test_lengths, tokens


def top_words(weights, predicted, lengths, tokens, k: int = 10, min_count: int = 5) -> dict:
    """Per predicted class, the k words with the highest mean weight (seen >= min_count times)."""
    totals: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for row, label, n, toks in zip(weights, predicted.tolist(), lengths.tolist(), tokens):
        for word, weight in zip(toks, row[:n].tolist()):
            totals[label][word].append(weight)
    result = {}
    for label, by_word in sorted(totals.items()):
        means = {w: float(np.mean(v)) for w, v in by_word.items() if len(v) >= min_count}
        best = sorted(means, key=lambda w: -means[w])[:k]
        result["positive" if label == 1 else "negative"] = [[w, round(means[w], 3)] for w in best]
    return result


def planted_scores(weights, lengths, positions) -> dict:
    order = weights.argsort(dim=1, descending=True)
    positions = torch.tensor(np.array(positions)).unsqueeze(1)
    return {
        "planted_in_top3": float((order[:, :3] == positions).any(1).float().mean()),
        "planted_top1": float((order[:, :1] == positions).any(1).float().mean()),
        "chance_top3": float(torch.clamp(3 / lengths.float(), max=1).mean()),
    }


def plot_words(tokens, weights, labels, path: Path, n: int = 8) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(12, 0.55 * n + 0.6))
    ax.axis("off")
    renderer = fig.canvas.get_renderer()
    for i in range(n):
        y = 1 - (i + 0.5) / n
        x = 0.0
        tag = ax.text(x, y, "+ " if labels[i] else "- ", fontsize=11, family="monospace",
                      va="center", transform=ax.transAxes, weight="bold")  # fmt: skip
        width = ax.get_window_extent(renderer).width
        x += tag.get_window_extent(renderer).width / width
        for word, weight in zip(tokens[i], weights[i].tolist()):
            size = 7 + 11 * weight
            text = ax.text(x, y, word, fontsize=size, va="center", transform=ax.transAxes,
                           color=plt.cm.Reds(0.25 + 0.75 * weight))  # fmt: skip
            x += text.get_window_extent(renderer).width / width + 0.006
    ax.set_title("word mask on held-out synthetic reviews (size and colour: mask weight)",
                 fontsize=10)  # fmt: skip
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


def readme_table(result: dict) -> str:
    s = result["synthetic"]
    lines = [
        "Reproduce: `python scripts/demo_text.py` (writes `benchmarks/text.json` and "
        "`text_words.png`; guide: [docs/image_and_text.md](../docs/image_and_text.md)).",
        "",
        f"Synthetic reviews ({s['n_train']} train / {s['n_val']} validation / {s['n_test']} "
        "held-out, one planted sentiment word each), the paper's classifier (biGRU "
        f"{result['hidden']}) and word mask (2-layer biGRU 100, entropy 0.05 + L1 0.01):",
        "",
        "| classifier training | base accuracy | masked accuracy | planted word in top 3 "
        "| top 1 | chance (top 3) | mean weight |",
        "|---|---|---|---|---|---|---|",
    ]
    rows = [("word dropout 0.3", s)]
    if "ablation" in result:
        rows.append(("no word dropout (ablation)", result["ablation"]))
    if "entropy_only" in result:
        rows.append(("word dropout 0.3, mask with entropy only (L1 0)", result["entropy_only"]))
    for name, r in rows:
        lines.append(
            f"| {name} | {r['base_accuracy']:.4f} | {r['masked_accuracy']:.4f} | "
            f"**{r['planted_in_top3']:.3f}** | {r['planted_top1']:.3f} | {r['chance_top3']:.3f} "
            f"| {r['mean_weight']:.3f} |"
        )
    lines += ["", "Highest mean mask weight per predicted class (held-out reviews):", ""]
    for label, pairs in s["top_words"].items():
        lines.append(f"- {label}: " + ", ".join(f"{w} ({v:.2f})" for w, v in pairs))
    if "imdb" in result:
        r = result["imdb"]
        lines += ["", f"IMDB ({r['n_train']} train reviews): base accuracy {r['base_accuracy']:.4f}, "
                  f"masked {r['masked_accuracy']:.4f}."]  # fmt: skip
    lines += ["", "![words scaled by weight](text_words.png)"]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks")
    parser.add_argument("--quick", action="store_true", help="tiny epochs (smoke test)")
    parser.add_argument("--no-ablation", action="store_true")
    parser.add_argument("--imdb", type=Path, help="a local aclImdb folder or aclImdb_v1.tar.gz")
    parser.add_argument("--imdb-n", type=int, default=5000, help="IMDB reviews used per split")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    args.hidden = 256 if not args.quick else 16
    args.epochs, args.mask_epochs = (15, 15) if not args.quick else (1, 1)
    args.vocab_size = 20000
    n = 3000 if not args.quick else 200
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.time()
    corpus = synthetic_reviews(n, random_state=args.seed)
    held_out = synthetic_reviews(500 if not args.quick else 50, random_state=args.seed + 1)
    result = {"seed": args.seed, "quick": args.quick, "hidden": args.hidden}
    cache: dict = {}
    for name, dropout, mask_options in [
        ("synthetic", True, {}),
        ("ablation", False, {}),
        ("entropy_only", True, {"l1": 0.0}),
    ]:
        if name != "synthetic" and args.no_ablation:
            continue
        summary, weights, predicted, lengths, tokens = train_and_explain(
            args, corpus, held_out, dropout, mask_options=mask_options, cache=cache
        )
        summary.update(planted_scores(weights, lengths, held_out.position.values))
        if name == "synthetic":
            summary["top_words"] = top_words(weights, predicted, lengths, tokens)
            plot_words(tokens, weights, held_out.label.values, args.out / "text_words.png")
        result[name] = summary
        print(name, json.dumps({k: v for k, v in summary.items() if k != "top_words"}), flush=True)
        if "top_words" in summary:
            print("top words:", summary["top_words"], flush=True)
    if args.imdb is not None:
        rng = np.random.default_rng(args.seed)
        train_frame, test_frame = (load_imdb(args.imdb, split) for split in ("train", "test"))
        train_frame = train_frame.iloc[rng.permutation(len(train_frame))[: args.imdb_n]]
        test_frame = test_frame.iloc[rng.permutation(len(test_frame))[: args.imdb_n]]
        summary, weights, predicted, lengths, tokens = train_and_explain(
            args, train_frame, test_frame, dropout=True, max_length=200
        )
        summary["top_words"] = top_words(weights, predicted, lengths, tokens)
        result["imdb"] = summary
        print("imdb", json.dumps(summary), flush=True)
    result["seconds"] = time.time() - start
    write_atomically(args.out / "text.json", json.dumps(result, indent=1))
    if not args.quick and args.out.resolve() == (ROOT / "benchmarks").resolve():
        replace_block(README, "text", readme_table(result))
    print(f"done in {result['seconds']:.0f} s; wrote {args.out / 'text.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
