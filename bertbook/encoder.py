"""The encoder: a stack of identical layers, each attention + feed-forward, each wrapped in
a residual connection followed by LayerNorm ("post-LN", as in BERT and the original Transformer).

    h = LayerNorm(x + Dropout(MultiHeadSelfAttention(x)))
    y = LayerNorm(h + Dropout(W2 GELU(W1 h + b1) + b2))

There are no convolutions and no recurrence anywhere in BERT.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .attention import MultiHeadSelfAttention
from .config import BertConfig
from .dropout import Dropout

ACTIVATIONS = {
    "gelu": F.gelu,                                          # exact erf GELU, as BERT uses
    "gelu_new": lambda x: F.gelu(x, approximate="tanh"),
    "relu": F.relu,
}


class FeedForward(nn.Module):
    """Position-wise feed-forward network: the same two-layer MLP applied to every token alone."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.intermediate = nn.Linear(config.hidden_size, config.intermediate_size)
        self.output = nn.Linear(config.intermediate_size, config.hidden_size)
        self.act = ACTIVATIONS[config.hidden_act]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(self.act(self.intermediate(x)))


class BertLayer(nn.Module):
    """One encoder layer, post-LN: normalise *after* adding the residual."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.attention = MultiHeadSelfAttention(config)
        self.attention_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.ffn = FeedForward(config)
        self.output_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = Dropout(config.hidden_dropout_prob)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None,
                output_attentions: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
        attn, probs = self.attention(x, mask, output_attentions)
        h = self.attention_norm(x + self.dropout(attn))
        y = self.output_norm(h + self.dropout(self.ffn(h)))
        return y, probs


class PreLNBertLayer(BertLayer):
    """The *pre-LN* variant of later models (GPT-2, many modern encoders), for comparison only:
    normalise *before* each sub-layer, so the residual stream itself is never normalised."""

    def forward(self, x, mask=None, output_attentions=False):
        attn, probs = self.attention(self.attention_norm(x), mask, output_attentions)
        h = x + self.dropout(attn)
        return h + self.dropout(self.ffn(self.output_norm(h))), probs


class BertEncoder(nn.Module):
    """``num_hidden_layers`` BertLayers applied in turn."""

    def __init__(self, config: BertConfig, layer_class: type[BertLayer] = BertLayer):
        super().__init__()
        self.layer = nn.ModuleList(layer_class(config) for _ in range(config.num_hidden_layers))

    def forward(self, x, mask=None, output_attentions=False, output_hidden_states=False):
        hidden_states = [x] if output_hidden_states else None
        attentions = [] if output_attentions else None
        for layer in self.layer:
            x, probs = layer(x, mask, output_attentions)
            if output_hidden_states:
                hidden_states.append(x)
            if output_attentions:
                attentions.append(probs)
        return x, hidden_states, attentions
