"""Which input words did a masked-word prediction depend on? Attention, attention rollout, gradients.

Why this module: attention maps are tempting to read as explanations ("the model looked at *candle*,
so *candle* made it answer *lamp*"). Jain & Wallace ("Attention is not Explanation", NAACL 2019)
found that attention weights often disagree with gradient-based importance and that very different
attention can give the same prediction; Wiegreffe & Pinter ("Attention is not not Explanation",
EMNLP 2019) answered that whether attention explains depends on the definition of explanation and
must be tested, not assumed. To test it on one prediction we need scores computed another way:

* **attention** at the [MASK] row of the last layer, averaged over heads: where that one layer
  reads from. It ignores the value vectors, the feed-forward layers and every other layer.
* **attention rollout** (Abnar & Zuidema, "Quantifying Attention Flow in Transformers", ACL 2020):
  follow attention through all layers, with the residual connection added as an identity,
  ``A_hat = 0.5 * A + 0.5 * I`` per layer (heads averaged), multiplied from the first layer to the last.
* **gradient x input** (Shrikumar et al., 2016; Denil et al., 2014): ``grad f(x) . x`` per token,
  the first-order Taylor estimate of what removing that token's word vector would change.
* **integrated gradients** (Sundararajan, Taly & Yan, ICML 2017): average the gradient along the
  straight path from a baseline ``x'`` to ``x`` and multiply by ``x - x'``; the scores add up to
  ``f(x) - f(x')`` (*completeness*), which a test checks.

None of these is the truth. A referee for all four is **occlusion** (leave one word out: Li, Monroe
& Jurafsky, "Understanding Neural Networks through Representation Erasure", 2016): replace one word
by [MASK] and measure how much ``f`` drops. ``faithfulness`` asks, for each method, how much the
answer suffers when the word that method ranks first is hidden.

``f`` is the log-probability of the model's final answer at the [MASK]. The gradients are taken
with respect to the word vectors (the word-embedding rows, before positions are added and before
LayerNorm), through a forward hook on the word-embedding table, so the model code is untouched.
The baseline of integrated gradients replaces every word's vector by the [PAD] row and keeps
[CLS], [SEP] and [MASK] (as Captum's BERT tutorial does), so those get exactly 0.
"""
from __future__ import annotations

import numpy as np
import torch

from .logit_lens import MASK, special_token_ids

SPECIALS = ("[CLS]", "[SEP]", "[MASK]", "[PAD]")
METHODS = ("attention (last layer, heads averaged)", "attention rollout", "gradient x input", "integrated gradients")


def attention_rollout(attentions, residual: float = 0.5) -> np.ndarray:
    """Abnar & Zuidema's rollout: ``[T, T]``, row i = how much token i's top-layer vector draws on
    each input token when attention (heads averaged, plus ``residual`` x identity for the skip
    connection, rows renormalised) is followed down through every layer. ``attentions``: one
    ``[1, heads, T, T]`` (or ``[heads, T, T]``) map per layer, bottom layer first."""
    if not 0.0 <= residual <= 1.0:
        raise ValueError(f"residual is the weight of the identity (skip connection), between 0 and 1; got {residual}.")
    rollout = None
    for a in attentions:
        a = a.detach().float().cpu().numpy() if hasattr(a, "detach") else np.asarray(a, dtype=np.float64)
        a = a.reshape(-1, *a.shape[-2:]).mean(0).astype(np.float64)           # heads averaged: [T, T]
        a = residual * np.eye(len(a)) + (1 - residual) * a
        a /= a.sum(-1, keepdims=True)
        rollout = a if rollout is None else a @ rollout                        # this layer after the ones below
    if rollout is None:
        raise ValueError("attention_rollout needs one attention map per layer, got none.")
    return rollout


def word_positions(tokens) -> list[int]:
    """The positions of real words (not [CLS], [SEP], [MASK], [PAD]): where the methods can be compared."""
    return [i for i, t in enumerate(tokens) if t not in SPECIALS]


def _encode(model, tokenizer, text: str):
    if not isinstance(text, str) or text.count(MASK) != 1:
        raise ValueError(f"give one sentence with exactly one {MASK}, got {text!r}.")
    encoding = tokenizer.encode(text)
    position = encoding.ids.index(tokenizer.token_to_id(MASK))
    device = next(model.parameters()).device
    return list(encoding.tokens), position, torch.tensor([encoding.ids], device=device)


def _log_prob(model, input_ids, position, target_id, word_vectors=None):
    """log p(target) at ``position`` for each row of ``word_vectors`` ([B, T, hidden]; None: the real ones)."""
    table = model.bert.embeddings.word_embeddings
    handle = None
    if word_vectors is not None:
        handle = table.register_forward_hook(lambda module, args, output: word_vectors)
        input_ids = input_ids.expand(word_vectors.shape[0], -1)
    try:
        hidden = model.bert(input_ids, torch.ones_like(input_ids)).last_hidden_state
    finally:
        if handle is not None:
            handle.remove()
    return model.mlm(hidden[:, position]).float().log_softmax(-1)[:, target_id]


def final_answer(model, tokenizer, text: str) -> tuple[str, int]:
    """The model's top word at the [MASK] of ``text`` (special tokens left out) and its id."""
    _, position, input_ids = _encode(model, tokenizer, text)
    with torch.no_grad():
        logits = model.mlm(model.bert(input_ids, torch.ones_like(input_ids)).last_hidden_state[0, position]).float()
    logits[special_token_ids(tokenizer)] = float("-inf")
    answer_id = int(logits.argmax())
    return tokenizer.id_to_token(answer_id), answer_id


def gradient_x_input(model, tokenizer, text: str, target_id: int | None = None) -> np.ndarray:
    """Per token of ``text`` ([CLS] ... [SEP]): ``d log p(target) / d x_i . x_i`` over the word vector
    ``x_i`` (signed). ``target_id``: the model's final answer by default."""
    if target_id is None:
        target_id = final_answer(model, tokenizer, text)[1]
    _, position, input_ids = _encode(model, tokenizer, text)
    x = model.bert.embeddings.word_embeddings(input_ids).detach().requires_grad_(True)
    was_training = model.training
    model.eval()
    try:
        f = _log_prob(model, input_ids, position, target_id, x)[0]
        (grad,) = torch.autograd.grad(f, x)
    finally:
        model.train(was_training)
    return (grad * x).sum(-1)[0].detach().cpu().numpy()


def integrated_gradients(model, tokenizer, text: str, target_id: int | None = None, steps: int = 128,
                         return_delta: bool = False):
    """Integrated gradients per token (signed), midpoint rule with ``steps`` points on the path from the
    baseline (words -> the [PAD] row; [CLS], [SEP], [MASK] kept) to the sentence. With
    ``return_delta``, also ``f(x) - f(baseline)``, which the scores add up to (completeness) as the
    steps grow: check it, as Sundararajan et al. advise. On the shipped minilm-mlm and the widget's
    sentence the sum is 0.8% off at 32 steps, 6% at 64, 0.1% at 128 (the default), 2% at 256, 1.2% at
    512 and 0.05% at 1,024: the midpoint rule's error shrinks with the steps but not monotonically, and
    each retrained model gave other errors (the previous weights: 23% at 32, 6% at 128, 0.6% at 512),
    so check the sentence you explain."""
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}.")
    if target_id is None:
        target_id = final_answer(model, tokenizer, text)[1]
    tokens, position, input_ids = _encode(model, tokenizer, text)
    table = model.bert.embeddings.word_embeddings
    with torch.no_grad():
        x = table(input_ids)                                                    # [1, T, hidden]
        keep = torch.tensor([t in SPECIALS for t in tokens], device=x.device)[None, :, None]
        pad = table.weight[tokenizer.token_to_id("[PAD]")]
        baseline = torch.where(keep, x, pad.expand_as(x))
    alphas = (torch.arange(steps, device=x.device, dtype=x.dtype) + 0.5) / steps
    path = (baseline + alphas[:, None, None] * (x - baseline)).requires_grad_(True)   # [steps, T, hidden]
    was_training = model.training
    model.eval()
    try:
        f = _log_prob(model, input_ids, position, target_id, path)
        (grad,) = torch.autograd.grad(f.sum(), path)
        with torch.no_grad():
            ends = _log_prob(model, input_ids, position, target_id, torch.cat([x, baseline]))
    finally:
        model.train(was_training)
    scores = ((x - baseline)[0] * grad.mean(0)).sum(-1).detach().cpu().numpy()
    if return_delta:
        return scores, float(ends[0] - ends[1])
    return scores


def explanations(model, tokenizer, text: str, steps: int = 128) -> dict:
    """Four answers to "which words did the prediction at the [MASK] use?" (``METHODS``) and the referee,
    ``"occlusion"``, each as a distribution over the tokens (absolute values, summing to 1):
    ``{"tokens", "position", "answer", name: [T] array, ...}``."""
    answer, answer_id = final_answer(model, tokenizer, text)
    tokens, position, input_ids = _encode(model, tokenizer, text)
    with torch.no_grad():
        attentions = model.bert(input_ids, torch.ones_like(input_ids), output_attentions=True).attentions
    views = {
        METHODS[0]: attentions[-1][0, :, position].mean(0).float().cpu().numpy(),
        METHODS[1]: attention_rollout(attentions)[position],
        METHODS[2]: gradient_x_input(model, tokenizer, text, answer_id),
        METHODS[3]: integrated_gradients(model, tokenizer, text, answer_id, steps),
        "occlusion": occlusion(model, tokenizer, text, answer_id),
    }
    out = {"tokens": tokens, "position": position, "answer": answer}
    for name, v in views.items():
        v = np.abs(np.asarray(v, dtype=np.float64))
        out[name] = v / v.sum() if v.sum() > 0 else v
    return out


def spearman(a, b) -> float:
    """Spearman's rank correlation of two score vectors (average ranks for ties)."""
    def ranks(v):
        v = np.asarray(v, dtype=np.float64)
        order = v.argsort()
        r = np.empty(len(v))
        r[order] = np.arange(len(v))
        for value in np.unique(v):                                  # ties share their average rank
            r[v == value] = r[v == value].mean()
        return r
    ra, rb = ranks(a), ranks(b)
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def occlusion(model, tokenizer, text: str, target_id: int | None = None) -> np.ndarray:
    """Per token: ``log p(target | sentence) - log p(target | sentence with that token replaced by
    [MASK])``, one batched forward pass; 0 for [CLS], [SEP] and the [MASK] itself."""
    if target_id is None:
        target_id = final_answer(model, tokenizer, text)[1]
    tokens, position, input_ids = _encode(model, tokenizer, text)
    words = word_positions(tokens)
    batch = input_ids.repeat(len(words) + 1, 1)
    for row, i in enumerate(words, start=1):
        batch[row, i] = tokenizer.token_to_id(MASK)
    with torch.no_grad():
        f = _log_prob(model, batch, position, target_id)
    drops = np.zeros(len(tokens))
    drops[words] = (f[0] - f[1:]).cpu().numpy()
    return drops


def faithfulness(records: list[dict]) -> dict:
    """For each method over ``records`` (each: ``tokens`` and one ``[T]`` score list per method and
    ``"occlusion"``): how much hiding the word the method ranks first lowers log p(answer) (mean, sd,
    over the sentences), how often that word is occlusion's own top word, and the mean Spearman
    correlation with occlusion over the words. ``"random word"`` is the expected drop of hiding any
    one word; ``"occlusion"`` itself is the ceiling of the first measure."""
    table = {}
    for name in (*METHODS, "occlusion", "random word"):
        drops, same, rhos = [], [], []
        for r in records:
            words = word_positions(r["tokens"])
            occ = np.asarray(r["occlusion"])[words]
            if name == "random word":
                drops.append(float(occ.mean()))
                continue
            scores = occ if name == "occlusion" else np.abs(np.asarray(r[name]))[words]
            top = int(np.argmax(scores))
            drops.append(float(occ[top]))
            same.append(top == int(np.argmax(occ)))
            rhos.append(spearman(scores, occ))
        table[name] = {"drop_mean": float(np.mean(drops)), "drop_sd": float(np.std(drops, ddof=1)),
                       "top_word_is_occlusion_top": float(np.mean(same)) if same else float("nan"),
                       "spearman_with_occlusion": float(np.nanmean(rhos)) if rhos else float("nan"),
                       "n": len(drops)}
    return table


def faithfulness_figure(table: dict, title: str = ""):
    """Bars: the mean drop of log p(answer) when each method's top word is hidden, +- one sd."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    names = list(table)
    means = [table[n]["drop_mean"] for n in names]
    sds = [table[n]["drop_sd"] for n in names]
    colors = ["#d9822b" if n.startswith("attention") else "#7f7f7f" if n in ("random word", "occlusion")
              else "#3b6fb6" for n in names]
    fig = Figure(figsize=(8.5, 3.2), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    y = np.arange(len(names))[::-1]
    ax.barh(y, means, xerr=sds, color=colors, capsize=3)
    ax.set_yticks(y, [n + (" (ceiling)" if n == "occlusion" else "") for n in names], fontsize=9)
    for yi, m in zip(y, means):
        ax.text(0.02, yi, f"{m:.2f}", va="center", fontsize=8, color="white")
    ax.set_xlabel("drop of log p(answer) when that word is replaced by [MASK] (mean +- sd over sentences)")
    ax.axvline(0, color="black", lw=0.8)
    ax.set_title(title or "hide the word each method ranks first: how much does the answer suffer?", fontsize=10)
    return fig


def explanation_figure(views: dict, title: str | None = None):
    """The methods side by side (``explanations``' output): one row per method, one column per token,
    each row scaled to its own maximum (the number in a cell is the token's share of that row), the
    [MASK] column outlined."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    tokens, position = views["tokens"], views["position"]
    names = [k for k in (*METHODS, "occlusion") if k in views]
    grid = np.stack([views[n] for n in names])
    scaled = grid / np.maximum(grid.max(1, keepdims=True), 1e-12)
    fig = Figure(figsize=(0.62 * len(tokens) + 3.2, 0.55 * len(names) + 1.3), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.imshow(scaled, cmap="Oranges", vmin=0, vmax=1, aspect="auto")
    for i in range(len(names)):
        for j in range(len(tokens)):
            ax.text(j, i, f"{grid[i, j]:.2f}", ha="center", va="center", fontsize=7,
                    color="white" if scaled[i, j] > 0.6 else "black")
    ax.add_patch(Rectangle((position - 0.5, -0.5), 1, len(names), fill=False, lw=2, color="#1f3f73"))
    ax.set_xticks(range(len(tokens)), tokens, rotation=45, ha="right", fontsize=9)
    ax.set_yticks(range(len(names)), names, fontsize=9)
    ax.set_title(title or f"which tokens does the answer '{views['answer']}' at [MASK] depend on?", fontsize=10)
    return fig
