"""Check the masking rule on generated examples: 15% of tokens chosen, of those 80/10/10.

A histogram over many examples is the quickest way to catch a masking bug (all [MASK], no random
tokens, special tokens masked, ...): the bars must sit on the dashed targets.
"""
from __future__ import annotations

from collections import Counter
from typing import Sequence

from .examples import KIND_COLOURS

SPECIAL = {"[CLS]", "[SEP]", "[PAD]"}
TARGETS = {"mask": 0.8, "random": 0.1, "keep": 0.1}


def masking_statistics(examples: Sequence) -> dict:
    """Counts over ``examples``: how many tokens could be chosen (not [CLS]/[SEP]), how many were,
    the share of each kind, the per-example chosen fraction, and the share of random-next pairs."""
    if not examples:
        raise ValueError("masking_statistics needs at least one example.")
    kinds = Counter(k for ex in examples for k in ex.masked_kinds)
    chosen = sum(kinds.values())
    candidates = [sum(t not in SPECIAL for t in ex.tokens) for ex in examples]
    per_example = [len(ex.masked_positions) / max(n, 1) for ex, n in zip(examples, candidates)]
    return {
        "examples": len(examples),
        "candidate_tokens": sum(candidates),
        "chosen": chosen,
        "chosen_fraction": chosen / max(sum(candidates), 1),
        "kind_fraction": {k: kinds[k] / max(chosen, 1) for k in TARGETS},
        "per_example_fraction": per_example,
        "random_next_fraction": sum(bool(ex.is_random_next) for ex in examples) / len(examples),
    }


def plot_masking_statistics(examples: Sequence, masked_lm_prob: float = 0.15):
    """Left: share of each kind among chosen tokens vs 80/10/10. Right: per-example chosen fraction
    vs ``masked_lm_prob`` (short examples round to whole tokens, so the spread is real, not noise)."""
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
    ax2.hist(stats["per_example_fraction"], bins=30, color="#8ab6d6")
    ax2.axvline(masked_lm_prob, color="k", linestyle="dashed", label=f"masked_lm_prob = {masked_lm_prob}")
    ax2.axvline(stats["chosen_fraction"], color="#e76f51", label=f"overall: {stats['chosen_fraction']:.3f}")
    ax2.set_xlabel("fraction of an example's tokens chosen for prediction")
    ax2.set_ylabel("examples")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    return fig
