"""Lesson 10's pictures: a probe's score against layer for several models (mean over seeds, a band
of one standard deviation, every seed as a dot), and a sentence's gold dependency tree drawn above
its words with the tree a structural probe recovered drawn below."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .probing import summarise

STYLES = {("minilm", "pretrained"): ("#1f5fa8", "-", "MiniLM"),
          ("minilm", "random"): ("#1f5fa8", ":", "MiniLM architecture, random weights"),
          ("bertbook-tiny", "pretrained"): ("#c2571a", "-", "bertbook-tiny"),
          ("bertbook-tiny", "random"): ("#c2571a", ":", "tiny architecture, random weights")}


def layer_summary(records: Sequence[dict], task: str, key: str, probe: str | None = None) -> dict:
    """{(model, weights, layer): summary over seeds} of ``key`` for the records of ``task``."""
    chosen = [r for r in records if r["task"] == task and (probe is None or r.get("probe") == probe)]
    return summarise(chosen, key, by=("model", "weights", "layer"))


def plot_by_layer(records: Sequence[dict], task: str, key: str, ax, probe: str | None = None,
                  baselines: dict[str, float] | None = None, ylabel: str | None = None, legend: bool = True):
    stats = layer_summary(records, task, key, probe)
    for (model, weights), (colour, style, label) in STYLES.items():
        points = sorted((layer, s) for (m, w, layer), s in stats.items() if (m, w) == (model, weights))
        if not points:
            continue
        layers = [p[0] for p in points]
        mean = np.array([p[1]["mean"] for p in points])
        sd = np.nan_to_num(np.array([p[1]["sd"] for p in points]))
        seeds = min(p[1]["seeds"] for p in points)
        ax.plot(layers, mean, style, marker="o", color=colour, label=f"{label} ({seeds} seeds)")
        ax.fill_between(layers, mean - sd, mean + sd, color=colour, alpha=0.2)
        for layer, s in points:
            ax.scatter([layer] * len(s["values"]), s["values"], color=colour, s=8, alpha=0.6)
    for i, (name, value) in enumerate((baselines or {}).items()):
        ax.axhline(value, color="grey", linestyle=["--", "-.", (0, (1, 3))][i % 3], linewidth=1, label=name)
    ax.set_xlabel("layer (0 = embeddings)")
    ax.set_ylabel(ylabel or key)
    if legend:
        ax.legend(fontsize=7)
    return ax


def draw_trees(words: Sequence[str], gold: set, predicted: set, ax, title: str = ""):
    """Gold edges as arcs above the words (black), predicted edges below (green if in the gold tree,
    red if not). Edges are sets of two 0-based word indices, as ``tree_edges`` and
    ``minimum_spanning_tree`` return them."""
    n = len(words)
    for i, w in enumerate(words):
        ax.text(i, 0, w, ha="center", va="center", fontsize=8, rotation=0)
    for edges, sign in ((gold, 1), (predicted, -1)):
        for edge in edges:
            a, b = sorted(edge)
            t = np.linspace(0, np.pi, 30)
            x = a + (b - a) * (1 - np.cos(t)) / 2
            y = sign * (0.25 + 0.18 * (b - a) * np.sin(t))
            colour = "black" if sign > 0 else ("#2e7d32" if edge in gold else "#c62828")
            ax.plot(x, y, color=colour, linewidth=1.2)
    ax.set_xlim(-0.7, n - 0.3)
    span = 0.3 + 0.18 * max((max(e) - min(e) for e in gold | predicted), default=1)
    ax.set_ylim(-span, span)
    ax.axis("off")
    right = len(gold & predicted)
    ax.set_title(title or f"gold tree above, probe's tree below: {right} of {len(gold)} edges right", fontsize=9)
    return ax
