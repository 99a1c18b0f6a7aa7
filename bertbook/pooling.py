"""One vector per sentence from BERT's token vectors: the pooler, raw [CLS], or the mean.

Why this module: a classifier needs one vector per input, and there are three usual ways to get it.

* ``"pooler"``: BERT's own, :math:`c = \\tanh(W_p h_{[CLS]} + b_p)`, a dense layer and a tanh on the
  final [CLS] vector. Devlin et al. (2019) trained it with next-sentence prediction; fine-tuning
  puts the classifier on it (``BertForSequenceClassification`` does this).
* ``"cls"``: the final [CLS] vector itself, :math:`h_{[CLS]}`, with no pooler (the BERT paper's
  section 4 writes the classifier this way).
* ``"mean"``: the average of the final vectors of the real tokens (padding left out), what
  sentence-transformers models such as all-MiniLM-L6-v2 were trained with (Reimers & Gurevych, 2019).

Lesson 8 measures the three on SST-2 with our tiny model and with MiniLM. The classifier here
reuses the encoder, dropout and head of a ``BertForSequenceClassification`` and changes only
which vector reaches the head, so everything else in a comparison stays the same.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .model import BertForSequenceClassification, SequenceClassifierOutput

POOLINGS = ("pooler", "cls", "mean")


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor | None) -> torch.Tensor:
    """Average of the token vectors ``hidden [batch, seq, hidden]`` over the real tokens only
    (``attention_mask`` 1 = real, 0 = padding), so padding a sentence does not change its vector."""
    if hidden.dim() != 3:
        raise ValueError(f"hidden must be [batch, seq, hidden], got shape {tuple(hidden.shape)}")
    if attention_mask is None:
        return hidden.mean(dim=1)
    if attention_mask.shape != hidden.shape[:2]:
        raise ValueError(f"attention_mask has shape {tuple(attention_mask.shape)}, expected "
                         f"{tuple(hidden.shape[:2])} (one 0/1 per token of hidden).")
    weights = attention_mask.to(hidden.dtype).unsqueeze(-1)          # [batch, seq, 1]
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)


def sentence_vectors(output, attention_mask: torch.Tensor | None, pooling: str) -> torch.Tensor:
    """[batch, hidden] from a ``BertModel`` output, by ``pooling`` ("pooler", "cls" or "mean")."""
    if pooling == "pooler":
        if output.pooler_output is None:
            raise ValueError("this encoder has no pooler (add_pooling_layer=False): use 'cls' or 'mean'.")
        return output.pooler_output
    if pooling == "cls":
        return output.last_hidden_state[:, 0]                        # [CLS] is always position 0
    if pooling == "mean":
        return mean_pool(output.last_hidden_state, attention_mask)
    raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")


class PooledSequenceClassifier(nn.Module):
    """``BertForSequenceClassification`` with a choice of the vector under its linear head.

    Built from an existing classifier (``build_classifier`` in ``finetuning``), sharing its encoder,
    dropout, head and config, so it trains with ``fine_tune`` and scores with ``evaluate`` unchanged.
    With ``pooling="pooler"`` it computes exactly what the wrapped model computes."""

    def __init__(self, model: BertForSequenceClassification, pooling: str = "mean"):
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
        self.config = model.config
        self.bert, self.dropout, self.classifier = model.bert, model.dropout, model.classifier
        self.pooling = pooling

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, labels=None) -> SequenceClassifierOutput:
        out = self.bert(input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
        logits = self.classifier(self.dropout(sentence_vectors(out, attention_mask, self.pooling)))
        loss = F.cross_entropy(logits, labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits)

    def extra_repr(self) -> str:
        return f"pooling={self.pooling!r}"
