"""The logit lens: read every layer's hidden state at a [MASK] through the masked-LM head.

Why: ``fill_mask`` shows only what the model answers after its last layer. The encoder builds that
answer layer by layer, and every layer writes into the same residual stream of ``hidden_size``
numbers per token, so the MLM head (dense + GELU + LayerNorm, then scores against the tied word
embeddings) can be applied to the stream after any layer, not only the last. Asking "how probable
is the final answer, and at which rank, if the model stopped after layer l?" shows *where* in the
stack the answer appears (nostalgebraist, "interpreting GPT: the logit lens", LessWrong, 2020).

It is an approximation, by construction: the head was trained on the last layer's output only
(for ``minilm-mlm``: layer 6; all six layers trained with it, but the head only ever read the sixth), so an
earlier layer read through it is read in a language the head was not taught. A low probability at layer 3 means
"not yet readable by the final head", not "not yet known". The tuned lens (Belrose et al., 2023,
arXiv:2303.08112) trains one small translator per layer to fix exactly this. Reading 0 is the
embedding layer's output: at a [MASK] it has seen no other word, so it cannot depend on the sentence.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .fill_mask import special_token_ids      # never an answer, as in fill_mask (saliency imports it from here)

MASK = "[MASK]"


@dataclass
class LayerReadout:
    """What the MLM head reads at one [MASK] after each layer (index 0 = the embeddings)."""
    tokens: list                     # the encoded tokens, [CLS] ... [SEP]
    position: int                    # index of the [MASK] in ``tokens``
    answer: str                      # the final answer: the top word after the last layer
    answer_id: int
    probability: np.ndarray          # [layers + 1]: p(answer) when the head reads layer l
    rank: np.ndarray                 # [layers + 1]: 1 = the head's top word at layer l
    top_words: list                  # [layers + 1]: the head's own top word at layer l

    @property
    def n_layers(self) -> int:
        return len(self.probability) - 1

    def first_layer_at_top(self) -> int:
        """The first reading (0 = embeddings) from which the final answer stays rank 1 to the end."""
        layer = self.n_layers
        while layer > 0 and self.rank[layer - 1] == 1:
            layer -= 1
        return layer


def layer_probabilities(model, tokenizer, text: str) -> tuple[list, list, torch.Tensor]:
    """Run ``model`` (a BertForPreTraining) once on ``text``; return ``(tokens, mask_positions, probs)``
    with ``probs`` of shape ``[n_masks, layers + 1, vocab]``: the MLM head's softmax over the
    vocabulary at each [MASK], reading the embeddings (0) and the output of each layer (1..L).
    Special tokens are set to probability 0 (not renormalised, as in ``fill_mask``): no answer may be one."""
    if not isinstance(text, str) or MASK not in text:
        raise ValueError(f"the logit lens needs a text with {MASK} in it, got {text!r}.")
    if not hasattr(model, "mlm"):
        raise TypeError(f"the logit lens reads hidden states through a masked-LM head: pass a BertForPreTraining, "
                        f"got {type(model).__name__}.")
    encoding = tokenizer.encode(text)
    mask_id = tokenizer.token_to_id(MASK)
    positions = [i for i, t in enumerate(encoding.ids) if t == mask_id]
    device = next(model.parameters()).device
    input_ids = torch.tensor([encoding.ids], device=device)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = model.bert(input_ids, torch.ones_like(input_ids), output_hidden_states=True)
            hidden = torch.stack([h[0, positions] for h in out.hidden_states], 1)   # [n_masks, L + 1, hidden]
            logits = model.mlm(hidden).float()
    finally:
        model.train(was_training)
    probs = logits.softmax(-1).cpu()
    probs[..., special_token_ids(tokenizer)] = 0.0
    return list(encoding.tokens), positions, probs


def ranks_of(probs: torch.Tensor, token_id: int) -> np.ndarray:
    """Rank of ``token_id`` in each row of ``probs`` ([..., vocab]): 1 + how many words score higher."""
    p = probs[..., token_id:token_id + 1]
    return (1 + (probs > p).sum(-1)).numpy()


def layer_readouts(model, tokenizer, text: str) -> list[LayerReadout]:
    """The logit lens at every [MASK] of ``text``, left to right, from one forward pass."""
    tokens, positions, probs = layer_probabilities(model, tokenizer, text)
    readouts = []
    for position, p in zip(positions, probs):                        # p: [L + 1, vocab]
        answer_id = int(p[-1].argmax())
        readouts.append(LayerReadout(tokens=tokens, position=position, answer=tokenizer.id_to_token(answer_id),
                                     answer_id=answer_id, probability=p[:, answer_id].numpy(),
                                     rank=ranks_of(p, answer_id),
                                     top_words=[tokenizer.id_to_token(int(i)) for i in p.argmax(-1)]))
    return readouts


def layer_readout(model, tokenizer, text: str, mask_index: int = 0) -> LayerReadout:
    """The logit lens at one [MASK] of ``text`` (``mask_index``: which one, left to right)."""
    readouts = layer_readouts(model, tokenizer, text)
    if not 0 <= mask_index < len(readouts):
        raise IndexError(f"the text has {len(readouts)} [MASK](s); there is no [MASK] number {mask_index}.")
    return readouts[mask_index]


def cloze_readouts(model, tokenizer, sentences) -> list[LayerReadout]:
    """``layer_readout`` for each sentence (one [MASK] each, e.g. the cloze set's)."""
    return [layer_readout(model, tokenizer, s) for s in sentences]


def readout_arrays(readouts) -> tuple[np.ndarray, np.ndarray]:
    """``(probability, rank)``, each ``[sentences, layers + 1]``."""
    return np.stack([r.probability for r in readouts]), np.stack([r.rank for r in readouts])


def logit_lens_figure(readouts, title: str = "logit lens"):
    """Two panels over the sentences: the final answer's rank at each reading (log scale; median,
    quartiles and every sentence as a thin line) and its mean probability (with min-max)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    prob, rank = readout_arrays(readouts)
    layers = np.arange(prob.shape[1])
    labels = ["emb"] + [str(i) for i in layers[1:]]
    fig = Figure(figsize=(9.5, 3.4), layout="constrained")
    FigureCanvasAgg(fig)
    ax_rank, ax_prob = fig.subplots(1, 2)
    for row in rank:
        ax_rank.plot(layers, row, color="#3b6fb6", alpha=0.15, lw=0.8)
    q1, median, q3 = np.percentile(rank, [25, 50, 75], axis=0)
    ax_rank.fill_between(layers, q1, q3, color="#3b6fb6", alpha=0.25, label="middle half of the sentences")
    ax_rank.plot(layers, median, color="#1f3f73", lw=2.2, marker="o", label="median")
    ax_rank.set_yscale("log")
    ax_rank.invert_yaxis()
    ax_rank.set_ylabel("rank of the final answer (1 = top)")
    ax_rank.legend(fontsize=8, loc="lower right")
    ax_prob.fill_between(layers, prob.min(0), prob.max(0), color="#d9822b", alpha=0.2, label="min-max")
    ax_prob.plot(layers, prob.mean(0), color="#b35c00", lw=2.2, marker="o", label="mean")
    ax_prob.set_ylabel("probability of the final answer")
    ax_prob.legend(fontsize=8, loc="upper left")
    for ax in (ax_rank, ax_prob):
        ax.set_xticks(layers, labels)
        ax.set_xlabel("hidden state read by the head (emb = embeddings; l = after layer l)", fontsize=9)
        ax.grid(alpha=0.3)
    fig.suptitle(f"{title} ({len(readouts)} sentences)", fontsize=10)
    return fig


def readout_strip(readouts, dpi: int | None = None):
    """A small picture for the fill-mask widget: one row per [MASK], one cell per reading, coloured by
    the probability of that gap's final answer and labelled with its rank."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    prob, rank = readout_arrays(readouts)
    n, cols = prob.shape
    # wide enough for the title even with few columns (the tiny model has 2 layers: 3 columns)
    fig = Figure(figsize=(max(0.62 * cols + 2.4, 6.2), 0.5 + 0.42 * n), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.imshow(prob, cmap="Blues", vmin=0, vmax=max(0.05, float(prob.max())), aspect="auto")
    for i in range(n):
        for j in range(cols):
            r = int(rank[i, j])
            label = f"#{r}" if r < 1000 else f"#{r / 1000:.1f}k" if r < 10000 else f"#{r / 1000:.0f}k"
            ax.text(j, i, label, ha="center", va="center", fontsize=7,
                    color="white" if prob[i, j] > 0.6 * max(0.05, float(prob.max())) else "black")
    ax.set_xticks(range(cols), ["emb"] + [f"L{l}" for l in range(1, cols)], fontsize=8)
    ax.set_yticks(range(n), [f"[MASK] {i + 1}: {r.answer}" if n > 1 else r.answer for i, r in enumerate(readouts)],
                  fontsize=8)
    ax.set_title("logit lens: rank (#) and probability (colour) of the final answer after each layer", fontsize=8)
    return fig
