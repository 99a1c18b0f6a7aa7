"""Task heads on top of the encoder.

* ``BertPooler``: tanh(W h_[CLS] + b), the sentence-level vector NSP and classification read.
* ``MaskedLMHead``: transform (dense + GELU + LayerNorm) then a decoder whose weight *is* the
  word-embedding matrix (tied) plus a per-word bias. It predicts the original token at each
  masked position only: MLM predicts the masked word itself, not the words around it.
* ``NextSentenceHead``: two logits, "B follows A" (label 0) or "B is random" (label 1).
"""
from __future__ import annotations

import torch
from torch import nn

from .config import BertConfig
from .encoder import ACTIVATIONS
from .mlm_loss import masked_lm_loss


class BertPooler(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.dense(hidden_states[:, 0]))


class MaskedLMHead(nn.Module):
    def __init__(self, config: BertConfig, word_embeddings: nn.Embedding):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.act = ACTIVATIONS[config.hidden_act]
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size)
        self.decoder.weight = word_embeddings.weight     # tied: input and output share one table

    def transform(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.act(self.dense(hidden_states)))

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        """[..., hidden] -> [..., vocab_size] logits. Pass only the masked positions to save work."""
        return self.decoder(self.transform(hidden_states))

    def loss(self, hidden_states: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Cross-entropy at [n, hidden] masked positions against [n] token ids, without keeping the
        [n, vocab_size] logits (``mlm_loss.py``): the training step's cheapest way to the same loss."""
        return masked_lm_loss(self.transform(hidden_states), self.decoder.weight, self.decoder.bias, targets)


class NextSentenceHead(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.seq_relationship = nn.Linear(config.hidden_size, 2)

    def forward(self, pooled_output: torch.Tensor) -> torch.Tensor:
        return self.seq_relationship(pooled_output)
