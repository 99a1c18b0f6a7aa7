"""Check the masking rule on generated examples: 15% of tokens chosen, of those 80/10/10.

A histogram over many examples is the quickest way to catch a masking bug (all [MASK], no random
tokens, special tokens masked, ...): the bars must sit on the dashed targets.
"""
from __future__ import annotations

from collections import Counter
from typing import Sequence

from .examples import KIND_COLOURS

TARGETS = {"mask": 0.8, "random": 0.1, "keep": 0.1}


def masking_statistics(examples: Sequence) -> dict:
    """Counts over ``examples``: tokens, how many were chosen for prediction, the share of each kind,
    the per-example chosen fraction, and the share of random-next pairs.

    Fractions are of *all* tokens, [CLS]/[SEP] included, because that is what the recipe rounds:
    ``min(max_predictions_per_seq, max(1, round(len(tokens) * masked_lm_prob)))``."""
    if not examples:
        raise ValueError("masking_statistics needs at least one example.")
    kinds = Counter(k for ex in examples for k in ex.masked_kinds)
    chosen = sum(kinds.values())
    candidates = [len(ex.tokens) for ex in examples]
    per_example = [len(ex.masked_positions) / max(n, 1) for ex, n in zip(examples, candidates)]
    return {
        "examples": len(examples),
        "tokens": sum(candidates),
        "chosen": chosen,
        "chosen_fraction": chosen / max(sum(candidates), 1),
        "kind_fraction": {k: kinds[k] / max(chosen, 1) for k in TARGETS},
        "per_example_fraction": per_example,
        "random_next_fraction": sum(bool(ex.is_random_next) for ex in examples) / len(examples),
    }


def plot_masking_statistics(examples: Sequence, masked_lm_prob: float = 0.15, max_predictions_per_seq: int = 20):
    """Left: share of each kind among chosen tokens vs 80/10/10. Right: tokens chosen per example
    against its length, on the recipe's rule ``min(max_predictions, max(1, round(p * n)))``
    (the steps are the rounding; the dots must sit on the line)."""
    import matplotlib.pyplot as plt
    stats = masking_statistics(examples)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.2))
    kinds = list(TARGETS)
    ax1.bar(kinds, [stats["kind_fraction"][k] for k in kinds], color=[KIND_COLOURS[k] for k in kinds])
    for i, k in enumerate(kinds):
        ax1.hlines(TARGETS[k], i - 0.4, i + 0.4, colors="k", linestyles="dashed")
    ax1.set_ylim(0, 1)
    ax1.set_ylabel("share of chosen tokens")
    ax1.set_title(f"what happened to the {stats['chosen']} chosen tokens (dashed: 80/10/10)", fontsize=9)
    lengths = [len(ex.tokens) for ex in examples]
    n = range(min(lengths), max(lengths) + 1)
    ax2.plot(n, [min(max_predictions_per_seq, max(1, int(round(m * masked_lm_prob)))) for m in n], "k-", lw=1,
             label=f"min({max_predictions_per_seq}, max(1, round({masked_lm_prob} n)))")
    ax2.scatter(lengths, [len(ex.masked_positions) for ex in examples], s=12, alpha=0.3, color="#e76f51",
                label=f"examples (overall {stats['chosen_fraction']:.3f} of tokens)")
    ax2.set_xlabel("example length n (tokens, [CLS]/[SEP] included)")
    ax2.set_ylabel("tokens chosen")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    return fig


def word_groups(tokens: Sequence[str]) -> list[list[int]]:
    """Positions grouped into whole words: a ``##`` piece continues the word before it; [CLS], [SEP]
    and [PAD] belong to no word."""
    words: list[list[int]] = []
    for i, t in enumerate(tokens):
        if t in ("[CLS]", "[SEP]", "[PAD]"):
            continue
        if t.startswith("##") and words and words[-1][-1] == i - 1:
            words[-1].append(i)
        else:
            words.append([i])
    return words


def split_word_share(examples: Sequence, tokenizer) -> float:
    """Among chosen positions inside multi-piece words (``light ##house``), the share whose word was
    chosen only in part: the model then sees ``light [MASK]`` and the task is easy. 0 with whole-word
    masking."""
    inside = split = 0
    for ex in examples:
        tokens = [tokenizer.id_to_token(i) for i in ex.original_ids()]
        chosen = set(ex.masked_positions)
        for word in word_groups(tokens):
            k = sum(p in chosen for p in word)
            if len(word) > 1 and k:
                inside += k
                split += k if k < len(word) else 0
    return split / max(inside, 1)
