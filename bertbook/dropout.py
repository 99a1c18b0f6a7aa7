"""Dropout, written out: in training, zero each value with probability p and scale the survivors
by 1/(1-p), so that the expected value of every activation is what it is at inference (where
dropout does nothing at all). BERT uses p = 0.1 after the embeddings, on the attention
probabilities, and after each sub-layer of every encoder layer.

    keep ~ Bernoulli(1 - p)        y = x * keep / (1 - p)

Why not ``nn.Dropout``? Same maths, a cheaper coin toss. On CPU torch's dropout draws its mask
with ``bernoulli_``, which on many processors runs one element at a time through a slow scalar
path; a uniform draw compared with p (``rand >= p`` is true with probability 1 - p) gives the same
Bernoulli mask faster (``benchmarks/README.md`` has the measurement), and dropout runs three times
in every encoder layer of every training step. The random numbers differ from ``nn.Dropout``'s,
their distribution does not.
GPUs keep torch's own fused dropout kernel, which is faster there.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def dropout(x: torch.Tensor, p: float, training: bool = True) -> torch.Tensor:
    """``x * Bernoulli(1 - p) / (1 - p)`` in training, ``x`` unchanged otherwise."""
    if not training or p == 0.0:
        return x
    if x.device.type != "cpu" or p == 1.0:
        return F.dropout(x, p, training=True)
    keep_scaled = torch.rand_like(x).ge_(p).div_(1.0 - p)     # 1/(1-p) where kept, 0 where dropped
    return x * keep_scaled


class Dropout(nn.Dropout):
    """``nn.Dropout`` with the cheaper mask above; a drop-in (same ``p``, same train/eval switch)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return dropout(x, self.p, self.training)


def set_dropout(model: nn.Module, p: float, attention_p: float | None = None) -> nn.Module:
    """Use dropout ``p`` everywhere in ``model`` (hidden states, attention probabilities, a task
    head's input), whatever its config said, and record it in the config so a saved copy agrees.
    ``attention_p`` (default: ``p``) sets the attention probabilities' apart: at 0, torch's fused
    attention kernel runs on CPU too (it has no dropout), which on windows of 384 tokens makes a
    training step about 3x faster (``task_models``' SQuAD recipe uses it).

    Why a function and not a new config: a pretrained checkpoint brings the dropout it was trained
    with, and fine-tuning (BERT's 0.1) or a short continued-training run on plenty of data (0) wants
    its own. Every training loop here changes it through this one function."""
    attention_p = p if attention_p is None else attention_p
    model.config.hidden_dropout_prob, model.config.attention_probs_dropout_prob = p, attention_p
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.p = p
        elif hasattr(m, "dropout_p"):                       # MultiHeadSelfAttention
            m.dropout_p = attention_p
    return model
