"""BERT, GPT and encoder-decoder Transformers side by side, as the one thing that tells them apart:
who may attend to whom (the attention mask), and what each position is trained to predict.

* BERT (Devlin et al., 2019): encoder only. Every position attends to every position, so the
  training objective must hide the answer in the input: masked LM (plus next-sentence prediction).
* GPT (Radford et al., 2018): decoder only. A causal mask lets position t attend to 1..t only, so
  "predict token t+1" is a fair question at every position at once.
* Encoder-decoder (Vaswani et al., 2017; T5, Raffel et al., 2020; BART, Lewis et al., 2020): a
  bidirectional encoder reads the input, a causal decoder writes the output and attends to all of
  the encoder's positions (cross-attention).

Lesson 6 draws the figure with :func:`plot_architectures`; the grids are the real masks (``True`` =
may attend), built by :func:`attention_masks`, so a test can check them.
"""
from __future__ import annotations

import numpy as np

PANELS = {
    "BERT": dict(
        title="BERT: encoder only",
        cite="Devlin et al. (2019)",
        tokens=["[CLS]", "the", "[MASK]", "sat", "[SEP]"],
        targets=["", "", "cat", "", ""],
        lines=["bidirectional: every token", "sees every token",
               "objective: masked LM (+ NSP)", "the answer is hidden in the input"]),
    "GPT": dict(
        title="GPT: decoder only",
        cite="Radford et al. (2018)",
        tokens=["the", "cat", "sat", "on", "the"],
        targets=["cat", "sat", "on", "the", "mat"],
        lines=["causal mask: token t sees", "tokens 1..t only",
               "objective: next token", "at every position at once"]),
    "encoder-decoder": dict(
        title="Encoder-decoder",
        cite="Vaswani et al. (2017); T5, BART",
        tokens=["the", "<X>", "sat", "<s>", "<X>", "cat"],
        targets=["", "", "", "<X>", "cat", "</s>"],
        encoder_length=3,
        lines=["encoder: bidirectional; decoder:", "causal + cross-attention to the input",
               "objective: write the output sequence", "(translation; T5 spans; BART denoising)"]),
}


def attention_masks() -> dict[str, np.ndarray]:
    """name -> boolean [query, key] grid: True where the query position may attend to the key."""
    masks = {}
    n = len(PANELS["BERT"]["tokens"])
    masks["BERT"] = np.ones((n, n), dtype=bool)
    n = len(PANELS["GPT"]["tokens"])
    masks["GPT"] = np.tril(np.ones((n, n), dtype=bool))
    spec = PANELS["encoder-decoder"]
    n, e = len(spec["tokens"]), spec["encoder_length"]
    m = np.zeros((n, n), dtype=bool)
    m[:e, :e] = True                                   # encoder self-attention: bidirectional
    m[e:, :e] = True                                   # decoder -> encoder: cross-attention
    m[e:, e:] = np.tril(np.ones((n - e, n - e), dtype=bool))   # decoder self-attention: causal
    masks["encoder-decoder"] = m
    return masks


def plot_architectures(figsize=(12, 4.6)):
    """Three panels: each model's attention mask (rows: the position that attends, columns: the
    positions it may read), its training targets, and a summary. Returns the figure."""
    import matplotlib.pyplot as plt

    masks = attention_masks()
    fig, axes = plt.subplots(1, 3, figsize=figsize)
    for ax, (name, spec) in zip(axes, PANELS.items()):
        grid = masks[name]
        ax.imshow(grid, cmap="Blues", vmin=-0.3, vmax=1.2)
        n = len(spec["tokens"])
        ax.set_xticks(range(n), spec["tokens"], rotation=90, fontsize=8)
        ax.set_yticks(range(n), [f"{t} → {y}" if y else t for t, y in zip(spec["tokens"], spec["targets"])],
                      fontsize=8)
        ax.set_xlabel("may attend to (keys)", fontsize=8)
        ax.tick_params(length=0)
        for i in range(n):
            for j in range(n):
                ax.text(j, i, "✓" if grid[i, j] else "", ha="center", va="center", fontsize=7, color="white")
        if "encoder_length" in spec:
            e = spec["encoder_length"] - 0.5
            ax.axhline(e, color="black", lw=1)
            ax.axvline(e, color="black", lw=1)
            ax.text(-0.4, -0.6, "encoder", fontsize=7, va="bottom")
            ax.text(e + 0.1, -0.6, "decoder", fontsize=7, va="bottom")
        ax.set_title(f"{spec['title']}\n{spec['cite']}", fontsize=10, pad=16)
        ax.text(0.5, -0.42, "\n".join(spec["lines"]), transform=ax.transAxes, ha="center", va="top", fontsize=8.5)
    axes[0].set_ylabel("position  (→ what it is trained to predict)", fontsize=8)
    fig.text(0.5, 0.97, "dark ✓ = may attend;  light = hidden by the attention mask", ha="center", fontsize=8)
    fig.subplots_adjust(bottom=0.33, wspace=0.65)
    return fig
