"""Find attention heads with known patterns, automatically.

Clark et al. (2019), "What Does BERT Look At?", found that many of BERT's heads do something simple
and nameable: look at the previous token, the next token, [SEP], [CLS], or other occurrences of
the same word. Each pattern here is a score in [0, 1] per (layer, head): the attention weight a
token gives to its target, averaged over the tokens of the sentence(s). A score near 1 means the
head does (almost) nothing else; uniform attention over T tokens would score about 1/T.

Input is bertviz's format (a list per layer of ``[1, heads, T, T]``) plus the T tokens.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

PATTERNS = {
    "previous token": "token i -> token i-1",
    "next token": "token i -> token i+1",
    "[SEP]": "any token -> a [SEP]",
    "[CLS]": "any token -> [CLS]",
    "same word": "a word -> its other occurrences (not itself)",
}


def pattern_targets(tokens: Sequence[str]) -> dict[str, np.ndarray]:
    """For each pattern a ``[T, T]`` 0/1 matrix: 1 where query i's target is key j; and the rows
    (queries) that have a target at all are the rows the score averages over."""
    T = len(tokens)
    targets = {name: np.zeros((T, T), dtype=np.float32) for name in PATTERNS}
    idx = np.arange(T)
    targets["previous token"][idx[1:], idx[:-1]] = 1
    targets["next token"][idx[:-1], idx[1:]] = 1
    for j, t in enumerate(tokens):
        if t == "[SEP]":
            targets["[SEP]"][:, j] = 1
        if t == "[CLS]":
            targets["[CLS]"][:, j] = 1
    words = [t.lower() for t in tokens]
    for i, w in enumerate(words):
        if w in ("[cls]", "[sep]", "[pad]") or not any(c.isalnum() for c in w):
            continue
        for j, v in enumerate(words):
            if j != i and v == w:
                targets["same word"][i, j] = 1
    return targets


def head_pattern_scores(attentions, tokens: Sequence[str]) -> dict[str, np.ndarray]:
    """``{pattern: [layers, heads] array}``: the mean attention on the pattern's targets, over
    the query tokens that have a target (NaN when none has, e.g. "same word" with no repeats)."""
    from .attention_maps import as_attention_array
    array = as_attention_array(attentions, tokens)                 # [L, H, T, T]
    scores = {}
    for name, target in pattern_targets(tokens).items():
        rows = target.sum(1) > 0
        if not rows.any():
            scores[name] = np.full(array.shape[:2], np.nan, dtype=np.float32)
            continue
        mass = (array * target).sum(-1)                             # [L, H, T]: weight on the targets
        scores[name] = mass[..., rows].mean(-1)
    return scores


def average_scores(per_sentence: Sequence[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Average the scores of several sentences (ignoring a sentence's NaN for a pattern)."""
    return {name: np.nanmean(np.stack([s[name] for s in per_sentence]), axis=0) for name in PATTERNS}


def model_head_scores(model, tokenizer, texts: Sequence[str]) -> dict[str, np.ndarray]:
    """Run ``model`` on each text and average the pattern scores over the texts."""
    from .attention_maps import model_attentions
    if isinstance(texts, str):
        texts = [texts]
    return average_scores([head_pattern_scores(*model_attentions(model, tokenizer, t)) for t in texts])


def best_heads(scores: dict[str, np.ndarray]) -> list[tuple[str, int, int, float]]:
    """For each pattern the (pattern, layer, head, score) of its highest-scoring head."""
    out = []
    for name, s in scores.items():
        if np.isnan(s).all():
            continue
        layer, head = np.unravel_index(np.nanargmax(s), s.shape)
        out.append((name, int(layer), int(head), float(s[layer, head])))
    return out


def head_pattern_figure(scores: dict[str, np.ndarray], title: str | None = None):
    """One layer x head grid per pattern; the best head of each is boxed."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle
    names = list(scores)
    n_layers, n_heads = next(iter(scores.values())).shape
    fig = Figure(figsize=(2.0 + 2.3 * len(names), 1.4 + 0.32 * n_layers + 0.6), layout="constrained")
    axes = fig.subplots(1, len(names), squeeze=False)[0]
    best = {name: (layer, head) for name, layer, head, _ in best_heads(scores)}
    for ax, name in zip(axes, names):
        image = ax.imshow(scores[name], cmap="magma", vmin=0.0, vmax=1.0, aspect="auto")
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("head")
        ax.set_xticks(range(n_heads), [str(h) if h % max(1, n_heads // 6) == 0 else "" for h in range(n_heads)])
        ax.set_yticks(range(n_layers))
        if name in best:
            layer, head = best[name]
            ax.add_patch(Rectangle((head - 0.5, layer - 0.5), 1, 1, fill=False, edgecolor="cyan", linewidth=2))
    axes[0].set_ylabel("layer")
    fig.colorbar(image, ax=list(axes), shrink=0.9, label="mean attention on the pattern's target")
    if title:
        fig.suptitle(title)
    return fig
