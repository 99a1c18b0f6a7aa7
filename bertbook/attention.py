"""Self-attention: every token looks at every other token, in parallel (no recurrence, no convolution).

    Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k)) V

The padding mask has one meaning everywhere in bertbook: ``attention_mask[b, j] == 1`` means token
j of sequence b is a real token, 0 means padding. Padding is masked as a *key* (nobody attends to
it); pad positions' own outputs are computed but meaningless and never leak into real positions.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .config import BertConfig
from .dropout import dropout


def scaled_dot_product_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                                 mask: torch.Tensor | None = None, dropout_p: float = 0.0,
                                 training: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """softmax(q k^T / sqrt(d_k)) v, written out. Returns ``(output, attention_probs)``.

    q: [..., T_q, d_k], k: [..., T_k, d_k], v: [..., T_k, d_v].
    mask: boolean, broadcastable to [..., T_q, T_k]; True = may attend (torch's convention).
    """
    d_k = q.size(-1)
    scores = q @ k.transpose(-2, -1) / math.sqrt(d_k)           # [..., T_q, T_k]
    if mask is not None:
        if mask.dtype != torch.bool:
            raise TypeError("mask must be boolean (True = may attend); convert a 1/0 padding mask with "
                            "padding_mask_to_attention_mask(attention_mask)")
        scores = scores.masked_fill(~mask, float("-inf"))
    probs = torch.softmax(scores, dim=-1)
    probs_for_values = dropout(probs, dropout_p, training)      # attention dropout: some links cut
    return probs_for_values @ v, probs


def padding_mask_to_attention_mask(attention_mask: torch.Tensor) -> torch.Tensor:
    """[batch, seq] of 1 (real) / 0 (pad) -> boolean [batch, 1, 1, seq] that masks pad *keys*."""
    if attention_mask.dim() != 2:
        raise ValueError(f"attention_mask must be [batch, seq] with 1 = real token, 0 = padding; "
                         f"got shape {tuple(attention_mask.shape)}")
    return attention_mask.bool()[:, None, None, :]


class MultiHeadSelfAttention(nn.Module):
    """h heads of attention, each on hidden_size/h dimensions, then an output projection.

    The query, key and value projections are one fused Linear (three matrices side by side): one
    matmul instead of three. ``weights.py`` splits it back into transformers' query/key/value.

    Only the attention step itself mixes positions; the projections before and after it treat every
    token alone. ``padding.py`` uses that to skip pad tokens: it runs ``qkv`` and ``output`` on the
    real tokens only and hands this module the ``[batch, seq]`` grid in between.
    """

    def __init__(self, config: BertConfig):
        super().__init__()
        self.num_heads = config.num_attention_heads
        self.head_dim = config.head_dim
        self.qkv = nn.Linear(config.hidden_size, 3 * config.hidden_size)
        self.output = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout_p = config.attention_probs_dropout_prob

    def split_heads(self, x: torch.Tensor) -> torch.Tensor:
        """[batch, seq, hidden] -> [batch, heads, seq, head_dim]: heads are just a reshape."""
        b, t, _ = x.shape
        return x.view(b, t, self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None,
                output_attentions: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
        """x: [batch, seq, hidden] -> ([batch, seq, hidden], the attention probabilities or None)."""
        qkv = self.qkv(x)
        q, k, v = (self.split_heads(part) for part in qkv.chunk(3, dim=-1))
        dropout_p = self.dropout_p if self.training else 0.0
        # Written out when we need the probabilities (for the pictures), and for attention dropout on
        # CPU, where torch's fused kernel has no dropout and falls back to these same steps itself
        # (with torch's slower dropout). Otherwise the fused kernel: same maths, less memory.
        if output_attentions or (dropout_p and x.device.type == "cpu"):
            context, probs = scaled_dot_product_attention(q, k, v, mask, dropout_p, self.training)
        else:
            context, probs = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p), None
        context = context.transpose(1, 2).flatten(2)      # concatenate the heads: [batch, seq, hidden]
        return self.output(context), probs
