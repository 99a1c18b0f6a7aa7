"""Learning curves: dev accuracy against the number of labelled training examples, over seeds.

Why this module: one fine-tuning run compares two encoders badly. Another seed (the head's draw,
the batch order, the dropout masks, the training subset) moves a small model's SST-2 accuracy by a
few hundredths, as much as the gap one wants to measure. Lesson 8 therefore plots, for each encoder,
accuracy at several training-set sizes, each point the mean of several seeds with its spread.
``benchmarks/learning_curve.py`` runs the grid (resumably, one JSON record per run); the lesson
reruns one point live with :func:`fine_tune_point`, the same function.

For a seed, the training examples are one fixed random order of the training split and a run with
``n`` examples takes its first ``n``: every encoder sees the same sentences at a given (seed, n),
and a seed's subsets are nested. Every run is scored once, at its end, on the whole dev set: no
step is chosen on dev.
"""
from __future__ import annotations

import json
import math
import random
import statistics
import time
from pathlib import Path
from typing import Sequence

from .finetuning import build_classifier, evaluate, fine_tune
from .pooling import PooledSequenceClassifier

# Each encoder's recipe. Small models take larger steps than BERT-base's 2e-5..5e-5. Small training
# sets get more epochs (at least ``min_examples`` examples seen). MiniLM does some 25 times more
# arithmetic per token than the tiny models, so on a CPU it gets fewer passes: one epoch from 500
# examples on. The x-axis is labelled examples, not compute: each encoder keeps its own recipe.
RECIPES = {"scratch": {"lr": 1e-3, "batch_size": 32, "min_epochs": 2, "min_examples": 1000},
           "pretrained": {"lr": 1e-3, "batch_size": 32, "min_epochs": 2, "min_examples": 1000},
           "minilm": {"lr": 1e-4, "batch_size": 16, "min_epochs": 1, "min_examples": 500}}


def epochs_for(model: str, n_train: int) -> int:
    """Epochs for ``n_train`` examples: at least the recipe's ``min_epochs``, and enough passes to see
    its ``min_examples``."""
    recipe = RECIPES[model]
    return max(recipe["min_epochs"], math.ceil(recipe["min_examples"] / n_train))


def training_order(num_train: int, seed: int) -> list[int]:
    """The seed's fixed random order of all training indices; a run with n examples takes the first n."""
    return random.Random(seed).sample(range(num_train), num_train)


def fine_tune_point(model_name: str, n_train: int, seed: int, train_texts: Sequence[str],
                    train_labels: Sequence[int], dev_texts: Sequence[str], dev_labels: Sequence[int],
                    pooling: str = "pooler", device=None, progress: bool = False):
    """Fine-tune ``model_name`` ("scratch", "pretrained", "minilm") on the seed's first ``n_train``
    training examples and score it on the dev set. Returns ``(model, tokenizer, record)``; the
    record is what the learning-curve JSON stores for one run."""
    if model_name not in RECIPES:
        raise ValueError(f"model_name must be one of {sorted(RECIPES)}, got {model_name!r}")
    if not 0 < n_train <= len(train_texts):
        raise ValueError(f"n_train must be between 1 and the {len(train_texts)} training examples, got {n_train}")
    order = training_order(len(train_texts), seed)[:n_train]
    texts, labels = [train_texts[i] for i in order], [train_labels[i] for i in order]
    recipe = {k: RECIPES[model_name][k] for k in ("lr", "batch_size")}
    epochs = epochs_for(model_name, n_train)
    start = time.time()
    model, tokenizer = build_classifier(model_name, seed=seed, device=device)
    if pooling != "pooler":
        model = PooledSequenceClassifier(model, pooling)
    fine_tune(model, tokenizer, texts, labels, epochs=epochs, seed=seed, progress=progress, desc=model_name,
              device=device, **recipe)
    accuracy = evaluate(model, tokenizer, dev_texts, dev_labels, device=device).accuracy
    record = {"model": model_name, "pooling": pooling, "n_train": n_train, "seed": seed, "epochs": epochs,
              "examples_seen": epochs * n_train, **recipe, "dev_accuracy": accuracy,
              "seconds": round(time.time() - start, 1)}
    return model, tokenizer, record


def load_records(path: str | Path) -> list[dict]:
    """The runs recorded in a learning-curve JSON file (``benchmarks/learning_curve.py`` writes it)."""
    return json.loads(Path(path).read_text())["records"]


def summarise(records: Sequence[dict], pooling: str | None = "pooler") -> dict[tuple[str, int], dict]:
    """Per (model, n_train): the seeds' accuracies, their mean, sample standard deviation, min and
    max. ``pooling`` keeps only the runs with that pooling (None: all, keyed with the pooling too)."""
    groups: dict[tuple, list[float]] = {}
    for r in records:
        if pooling is not None and r["pooling"] != pooling:
            continue
        key = (r["model"], r["n_train"]) if pooling is not None else (r["model"], r["pooling"], r["n_train"])
        groups.setdefault(key, []).append(r["dev_accuracy"])
    return {key: {"values": values, "mean": statistics.fmean(values),
                  "sd": statistics.stdev(values) if len(values) > 1 else float("nan"),
                  "min": min(values), "max": max(values), "seeds": len(values)}
            for key, values in sorted(groups.items())}


CURVES = (("scratch", "pooler"), ("pretrained", "pooler"), ("minilm", "mean"), ("minilm", "pooler"))


def plot_learning_curve(records: Sequence[dict], curves: Sequence[tuple[str, str]] = CURVES,
                        baseline: float | None = None, ax=None):
    """Dev accuracy against labelled examples (log scale), one line per (model, pooling) in
    ``curves``: the mean over seeds (line), +- one standard deviation (band) and every seed's run (dots)."""
    import matplotlib.pyplot as plt
    ax = ax or plt.subplots(figsize=(6.5, 4))[1]
    stats = summarise(records, pooling=None)
    for model, pooling in curves:
        points = sorted((n, s) for (m, p, n), s in stats.items() if (m, p) == (model, pooling))
        if not points:
            continue
        ns = [n for n, _ in points]
        means = [s["mean"] for _, s in points]
        sds = [0.0 if math.isnan(s["sd"]) else s["sd"] for _, s in points]
        seeds = min(s["seeds"] for _, s in points)
        line, = ax.plot(ns, means, marker="o", linestyle="--" if pooling == "pooler" and model == "minilm" else "-",
                        label=f"{model}, {pooling} pooling ({seeds} seeds)")
        ax.fill_between(ns, [m - d for m, d in zip(means, sds)], [m + d for m, d in zip(means, sds)],
                        color=line.get_color(), alpha=0.2)
        for n, s in points:
            ax.scatter([n] * len(s["values"]), s["values"], color=line.get_color(), s=10, alpha=0.6)
    if baseline is not None:
        ax.axhline(baseline, color="grey", linestyle="--", linewidth=1, label="majority class")
    ax.set_xscale("log")
    ax.set_xlabel("labelled training examples")
    ax.set_ylabel("dev accuracy")
    ax.legend(fontsize=8)
    return ax
