"""Input embeddings: what BERT adds together before the first encoder layer.

A token's input vector is the sum of three learned vectors: its WordPiece (token) embedding, its
position embedding (one learned vector per position 0..511, *not* the Transformer paper's fixed
sinusoids) and its segment embedding (sentence A or B). LayerNorm and dropout follow.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from .config import BertConfig
from .dropout import Dropout


def sinusoidal_positional_encoding(max_len: int, d_model: int) -> torch.Tensor:
    """The original Transformer's fixed encoding, shape ``[max_len, d_model]``.

    PE(pos, 2i) = sin(pos / 10000^(2i/d)),  PE(pos, 2i+1) = cos(pos / 10000^(2i/d)).
    BERT does not use it (it learns its position table) but lessons compare the two.
    """
    if max_len <= 0 or d_model <= 0 or d_model % 2:
        raise ValueError(f"need max_len > 0 and an even d_model > 0, got max_len={max_len}, d_model={d_model}")
    position = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)             # [max_len, 1]
    inv_freq = torch.exp(-math.log(10000.0) * torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
    pe = torch.zeros(max_len, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(position * inv_freq)
    pe[:, 1::2] = torch.cos(position * inv_freq)
    return pe.float()


class BertEmbeddings(nn.Module):
    """token + position + segment embeddings, then LayerNorm and dropout."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = Dropout(config.hidden_dropout_prob)
        self.config = config

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor | None = None) -> torch.Tensor:
        batch, seq_len = input_ids.shape
        cfg = self.config
        if seq_len > cfg.max_position_embeddings:
            raise ValueError(
                f"input has {seq_len} tokens but this model has only {cfg.max_position_embeddings} "
                "position embeddings; truncate the text (e.g. encode(..., max_length="
                f"{cfg.max_position_embeddings})) or split it into windows.")
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        positions = torch.arange(seq_len, device=input_ids.device)
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        x = x + self.position_embeddings(positions)     # [seq, hidden] broadcasts over the batch
        return self.dropout(self.LayerNorm(x))
