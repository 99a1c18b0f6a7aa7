"""Find attention heads with known patterns, automatically.

Clark et al. (2019), "What Does BERT Look At?", found that many of BERT's heads do something simple
and nameable: look at the previous token, the next token, [SEP], [CLS], or other occurrences of
the same word. Each pattern here is a score in [0, 1] per (layer, head): the attention weight a
token gives to its target, averaged over the tokens of the sentence(s). A score near 1 means the
head does (almost) nothing else; uniform attention over T tokens would score about 1/T.

Input is bertviz's format (a list per layer of ``[1, heads, T, T]``) plus the T tokens. Results
carry 0-based indices (``layer`` 0 is ``attentions[0]``); figures and labels name layers as the
lessons do, encoder layers 1..L with layer 0 the embeddings (``attention_maps.head_label``).

Choosing a head and measuring it must use different sentences: the best of 72 heads on one
sentence is partly that sentence's luck (the winner's curse). ``held_out_choice`` picks the head
on one set of texts and reports its score on the others; ``group_splits`` makes such splits while
keeping related sentences (a minimal pair) on the same side; ``held_out_figure`` draws every
head's selection score against its held-out score. ``load_pronoun_pairs`` reads minimal pairs of
sentences whose pronoun refers to a different noun in each half of the pair, so a head that merely
looks at the first noun cannot look like a coreference head.
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Sequence

import numpy as np

from .attention_maps import head_label, layer_number
from .corpus import DATA_DIR

PRONOUN_PAIRS_FILE = DATA_DIR / "pronouns" / "pronoun_pairs.tsv"

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
    """For each pattern the (pattern, layer, head, score) of its highest-scoring head; ``layer`` and
    ``head`` are 0-based indices (name them with ``head_label(layer, head)``)."""
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
        ax.set_yticks(range(n_layers), [str(layer_number(i)) for i in range(n_layers)])
        if name in best:
            layer, head = best[name]
            ax.add_patch(Rectangle((head - 0.5, layer - 0.5), 1, 1, fill=False, edgecolor="cyan", linewidth=2))
    axes[0].set_ylabel("encoder layer")
    fig.colorbar(image, ax=list(axes), shrink=0.9, label="mean attention on the pattern's target")
    if title:
        fig.suptitle(title)
    return fig


# --- choosing heads on some sentences, scoring them on others ------------------------------------

def load_pronoun_pairs(path: str | Path = PRONOUN_PAIRS_FILE) -> list[dict]:
    """Minimal pairs: ``[{"pair", "text", "pronoun", "antecedent", "other"}, ...]``. The two texts of
    a pair differ in one or two words and their pronoun refers to a different noun (``antecedent``),
    the ``other`` noun being the wrong candidate."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    for row in rows:
        row["pair"] = int(row["pair"])
    return rows


def word_position(tokens: Sequence[str], word: str) -> int:
    """The position of ``word`` among the tokens; ValueError unless it occurs exactly once."""
    hits = [i for i, t in enumerate(tokens) if t == word.lower()]
    if len(hits) != 1:
        raise ValueError(f"{word!r} occurs {len(hits)} times in {list(tokens)}; pick a word that is one "
                         "token and occurs once.")
    return hits[0]


def link_weights(maps: Sequence[tuple[np.ndarray, Sequence[str]]], rows: Sequence[dict],
                 target: str = "antecedent") -> np.ndarray:
    """``[texts, layers, heads]``: the weight each head puts from the pronoun to ``row[target]``
    (``"antecedent"`` or ``"other"``). ``maps``: per text, ``(array [L, H, T, T], tokens)``."""
    out = []
    for (array, tokens), row in zip(maps, rows, strict=True):
        out.append(array[:, :, word_position(tokens, row["pronoun"]), word_position(tokens, row[target])])
    return np.stack(out)


def attention_arrays(model, tokenizer, texts: Sequence[str]) -> list[tuple[np.ndarray, list[str]]]:
    """Per text ``(array [layers, heads, T, T], tokens)``: run the model once per text."""
    from .attention_maps import as_attention_array, model_attentions
    out = []
    for text in texts:
        attentions, tokens = model_attentions(model, tokenizer, text)
        out.append((as_attention_array(attentions, tokens), tokens))
    return out


def per_text_pattern_scores(maps: Sequence[tuple[np.ndarray, Sequence[str]]]) -> dict[str, np.ndarray]:
    """``{pattern: [texts, layers, heads]}``, one score per text (see ``head_pattern_scores``)."""
    per_text = [head_pattern_scores(list(array), tokens) for array, tokens in maps]
    return {name: np.stack([s[name] for s in per_text]) for name in PATTERNS}


def group_splits(groups: Sequence[int], n_splits: int, seed: int = 0) -> list[np.ndarray]:
    """``n_splits`` boolean masks over the texts, each True on the texts of a random half of the
    groups (the selection set) and False on the rest (held out). Texts of one group stay together."""
    groups = np.asarray(groups)
    names = np.unique(groups)
    if len(names) < 2:
        raise ValueError("need at least two groups to hold some out")
    rng = np.random.default_rng(seed)
    return [np.isin(groups, rng.permutation(names)[: len(names) // 2]) for _ in range(n_splits)]


def held_out_choice(per_text: np.ndarray, selection: np.ndarray) -> dict:
    """Pick the head with the highest mean score on the ``selection`` texts; score it on the others.

    ``per_text``: ``[texts, layers, heads]``; ``selection``: boolean over the texts. Returns the
    chosen ``layer``/``head``, its ``selection_score`` and ``held_out_score``, the two score grids
    (``selection_scores``, ``held_out_scores``, each ``[layers, heads]``) and the ``held_out_rank``
    of the chosen head among all heads on the held-out texts (0 = still the best)."""
    per_text = np.asarray(per_text, dtype=np.float64)
    selection = np.asarray(selection, dtype=bool)
    if per_text.ndim != 3 or selection.shape != per_text.shape[:1]:
        raise ValueError(f"per_text must be [texts, layers, heads] and selection one bool per text; got "
                         f"{per_text.shape} and {selection.shape}")
    if selection.all() or not selection.any():
        raise ValueError("selection must leave some texts on each side")
    chosen_on = np.nanmean(per_text[selection], axis=0)
    held = np.nanmean(per_text[~selection], axis=0)
    layer, head = np.unravel_index(np.nanargmax(chosen_on), chosen_on.shape)
    rank = int((held > held[layer, head]).sum())
    return {"layer": int(layer), "head": int(head), "selection_score": float(chosen_on[layer, head]),
            "held_out_score": float(held[layer, head]), "held_out_rank": rank,
            "selection_scores": chosen_on, "held_out_scores": held}


def held_out_figure(panels: Sequence[tuple[str, dict]], title: str | None = None):
    """One scatter per ``(name, held_out_choice(...))``: every head's score on the selection texts
    (x) against its score on the held-out texts (y); the chosen head is ringed. Points on the
    diagonal generalise; a chosen head far below it was picked for its luck."""
    from matplotlib.figure import Figure
    fig = Figure(figsize=(2.9 * len(panels) + 0.4, 3.3), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (name, choice) in zip(axes, panels):
        x, y = choice["selection_scores"].ravel(), choice["held_out_scores"].ravel()
        top = max(1e-6, float(np.nanmax([x.max(), y.max()]))) * 1.08
        ax.plot([0, top], [0, top], color="0.75", linewidth=1, zorder=0)
        ax.scatter(x, y, s=10, color="#4c72b0", alpha=0.7)
        ax.scatter([choice["selection_score"]], [choice["held_out_score"]], s=90, facecolors="none",
                   edgecolors="#dd5555", linewidths=2,
                   label=f"chosen: {head_label(choice['layer'], choice['head'])}")
        ax.set_xlim(0, top)
        ax.set_ylim(0, top)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("score on the selection sentences")
        ax.legend(fontsize=7, loc="upper left")
    axes[0].set_ylabel("score on held-out sentences")
    if title:
        fig.suptitle(title)
    return fig
