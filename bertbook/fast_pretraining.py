"""The pretraining step's fast path: ``BertForPreTraining``'s loss for a fraction of the work.

``BertForPreTraining.forward`` is the textbook model: logits at every position, ``[batch, seq,
vocab]``, and the MLM loss averaged over the masked ones. A training step reads only that loss, so
it can skip what nobody reads:

* **masked positions only**: the MLM loss counts the ~15% masked positions, so the MLM head (a
  vocabulary-sized matrix multiply, the biggest of the step) runs on those rows alone;
* **no logits kept**: the loss is computed in one vocabulary-sized buffer instead of four
  (``mlm_loss.py``), same loss and gradients;
* **pads skipped** (``skip_padding=True``): the per-token layers run on the real tokens only
  (``padding.py``), same numbers at every real position.

The one call::

    out = pretraining_loss(model, **batch)          # out.loss, out.mlm_loss, out.nsp_loss
    out.loss.backward()

``tests/test_fast_paths.py`` checks loss and gradients against transformers' ``BertForPreTraining``.
``PreTrainingLoss`` is the same as a module, for what must call ``forward``
(``DistributedDataParallel`` syncs gradients only then; ``torch.compile``).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .model import IGNORE_INDEX, BertForPreTraining, BertForPreTrainingOutput


def _masked_hidden(model: BertForPreTraining, input_ids, attention_mask, token_type_ids, labels,
                   next_sentence_label, skip_padding: bool, what: str):
    """The encoder's hidden vectors at the masked positions, their targets, and the NSP part."""
    if labels is None:
        raise ValueError(f"{what} needs labels (the token id at masked positions, {IGNORE_INDEX} elsewhere) "
                         "to know which positions to predict; for logits at every position call the model itself.")
    out = model.bert(input_ids, attention_mask, token_type_ids, skip_padding=skip_padding)
    nsp_logits = model.nsp(out.pooler_output)
    masked = labels != IGNORE_INDEX
    nsp_loss = (F.cross_entropy(nsp_logits, next_sentence_label.reshape(-1))
                if next_sentence_label is not None else None)
    return out.last_hidden_state[masked], labels[masked], nsp_logits, nsp_loss     # [n_masked, ...]


def _output(mlm_loss, nsp_loss, nsp_logits, prediction_logits=None) -> BertForPreTrainingOutput:
    losses = [x for x in (mlm_loss, nsp_loss) if x is not None]
    return BertForPreTrainingOutput(loss=sum(losses), prediction_logits=prediction_logits,
                                    seq_relationship_logits=nsp_logits, mlm_loss=mlm_loss, nsp_loss=nsp_loss)


def pretraining_loss(model: BertForPreTraining, input_ids: torch.Tensor, attention_mask=None, token_type_ids=None,
                     labels=None, next_sentence_label=None, *, skip_padding: bool = False) -> BertForPreTrainingOutput:
    """``model(...).loss`` for training: the same loss and gradients, no logits kept
    (``prediction_logits`` is None). ``labels`` are required: they say where the masked positions are."""
    hidden, targets, nsp_logits, nsp_loss = _masked_hidden(
        model, input_ids, attention_mask, token_type_ids, labels, next_sentence_label, skip_padding,
        "pretraining_loss")
    return _output(model.mlm.loss(hidden, targets), nsp_loss, nsp_logits)


def masked_lm_predictions(model: BertForPreTraining, input_ids: torch.Tensor, attention_mask=None,
                          token_type_ids=None, labels=None, next_sentence_label=None, *,
                          skip_padding: bool = False) -> BertForPreTrainingOutput:
    """The model's predictions at the masked positions only, for evaluation: ``prediction_logits``
    is ``[n_masked, vocab]``, one row per masked position in row-major order (``labels[labels !=
    -100]`` are its targets), with the same losses as ``model(...)``."""
    hidden, targets, nsp_logits, nsp_loss = _masked_hidden(
        model, input_ids, attention_mask, token_type_ids, labels, next_sentence_label, skip_padding,
        "masked_lm_predictions")
    logits = model.mlm(hidden)
    return _output(F.cross_entropy(logits, targets), nsp_loss, nsp_logits, prediction_logits=logits)


class PreTrainingLoss(nn.Module):
    """``pretraining_loss`` as a module: wrap this (not the model) in ``DistributedDataParallel`` or
    ``torch.compile``. It holds the model, so ``.parameters()`` are the model's."""

    def __init__(self, model: BertForPreTraining, skip_padding: bool = False):
        super().__init__()
        self.model = model
        self.skip_padding = skip_padding

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, labels=None,
                next_sentence_label=None) -> BertForPreTrainingOutput:
        return pretraining_loss(self.model, input_ids, attention_mask, token_type_ids, labels,
                                next_sentence_label, skip_padding=self.skip_padding)
