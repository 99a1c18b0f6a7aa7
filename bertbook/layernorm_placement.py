"""Post-LN versus pre-LN at initialisation: the residual stream, and the gradient each layer gets.

Why this module: lesson 4 compares BERT's post-LN layer with the pre-LN layer of later models and
cites Xiong et al. (2020), *On Layer Normalization in the Transformer Architecture* (ICML), whose
Theorem 1 says that at initialisation the gradient of the last layer's FFN weights stays the same
size however deep a post-LN Transformer is, while a pre-LN one's shrinks like 1/sqrt(L). The
lesson runs one seed live; ``benchmarks/layernorm_gradients.py`` runs the seeds, depths and variants
and commits ``data/results/layernorm_gradients.json``. Both call :func:`gradients_at_init`, so the
live point and the committed numbers come from the same code.

One variant is not BERT: ``encoder_attention=True`` adds to every post-LN layer a third sub-layer
that attends from the stream to a fixed "encoder output" (the decoder layer of an encoder-decoder
Transformer, as in Xiong et al.'s translation experiments). Its output barely depends on its
input, so its LayerNorm shrinks the gradient on the way down and nothing makes up for it: the
lesson uses it to show where the "gradients grow toward the output" picture comes from.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .config import BertConfig
from .encoder import BertEncoder, BertLayer, PreLNBertLayer

ORDERS = ("post-LN", "pre-LN", "post-LN + encoder attention")


class EncoderAttention(nn.Module):
    """Multi-head attention from the stream (queries) to a fixed memory (keys and values)."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.heads = config.num_attention_heads
        self.query, self.key, self.value, self.output = (
            nn.Linear(config.hidden_size, config.hidden_size) for _ in range(4))

    def forward(self, x: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        def split(t):
            return t.view(*t.shape[:2], self.heads, -1).transpose(1, 2)
        a = F.scaled_dot_product_attention(split(self.query(x)), split(self.key(memory)), split(self.value(memory)))
        return self.output(a.transpose(1, 2).reshape(x.shape))


class PostLNDecoderLayer(BertLayer):
    """A post-LN layer with encoder attention between self-attention and the FFN (no causal mask:
    only the gradient's path matters here). ``memory`` is set before the forward pass."""

    def __init__(self, config: BertConfig):
        super().__init__(config)
        self.encoder_attention = EncoderAttention(config)
        self.encoder_attention_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.memory: torch.Tensor | None = None

    def forward(self, x, mask=None, output_attentions=False):
        attn, probs = self.attention(x, mask, output_attentions)
        h = self.attention_norm(x + attn)
        h = self.encoder_attention_norm(h + self.encoder_attention(h, self.memory))
        return self.output_norm(h + self.ffn(h)), probs


@dataclass
class InitGradients:
    """What one backward pass at initialisation measured (lists run from layer 1 to layer L)."""
    order: str
    stream_norm: list[float]     # mean ||x|| of the residual stream: embeddings, then after each layer
    layer_grad: list[float]      # gradient norm of all of a layer's parameters
    ffn_out_grad: list[float]    # gradient norm of the layer's FFN output weight W2 (Xiong et al.'s W^{2,l})
    loss_value: float            # the loss itself (about ln(vocab) for cross-entropy at initialisation)


def gradients_at_init(order: str = "post-LN", layers: int = 12, init: str = "xavier", loss: str = "cross_entropy",
                      seed: int = 0, hidden_size: int = 256, batch: int = 4, seq: int = 24,
                      vocab_size: int = 1000) -> InitGradients:
    """Build an encoder of ``layers`` layers in the given ``order`` (see ``ORDERS``), initialise it
    (``"xavier"``: Xavier-normal weights as in Xiong et al.; ``"bert"``: N(0, 0.02)), run a batch of
    random unit-variance inputs and one ``loss`` (``"cross_entropy"``: an output layer over
    ``vocab_size`` words and random target words, like a language model's; ``"mse"``: distance to a
    random target) and measure every layer's gradient. No dropout.

    The same ``seed`` gives every order the same weights for the parts they share, the same inputs
    and the same targets. Pre-LN ends with one LayerNorm before the output layer, as pre-LN models do.
    """
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}, got {order!r}")
    if init not in ("xavier", "bert") or loss not in ("cross_entropy", "mse"):
        raise ValueError(f"init is 'xavier' or 'bert' (got {init!r}); loss is 'cross_entropy' or 'mse' (got {loss!r})")
    config = BertConfig(hidden_size=hidden_size, num_attention_heads=max(1, hidden_size // 64),
                        intermediate_size=4 * hidden_size, num_hidden_layers=layers,
                        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    layer_class = {"post-LN": BertLayer, "pre-LN": PreLNBertLayer,
                   "post-LN + encoder attention": PostLNDecoderLayer}[order]
    encoder = BertEncoder(config, layer_class=layer_class)
    head = nn.Linear(hidden_size, vocab_size)
    final_norm = nn.LayerNorm(hidden_size)
    g = torch.Generator().manual_seed(seed)
    # draw the shared parts first and in the same order, so that every order gets the same numbers
    linears = [m for layer in encoder.layer for m in (layer.attention.qkv, layer.attention.output,
                                                       layer.ffn.intermediate, layer.ffn.output)] + [head]
    if order == "post-LN + encoder attention":
        linears += [m for layer in encoder.layer for m in layer.encoder_attention.children()]
    with torch.no_grad():
        for m in linears:
            if init == "xavier":
                fan_out, fan_in = m.weight.shape
                m.weight.normal_(0.0, (2.0 / (fan_in + fan_out)) ** 0.5, generator=g)
            else:
                m.weight.normal_(0.0, 0.02, generator=g)
            m.bias.zero_()
    x = F.layer_norm(torch.randn(batch, seq, hidden_size, generator=g), (hidden_size,))
    memory = F.layer_norm(torch.randn(batch, seq, hidden_size, generator=g), (hidden_size,))
    target_words = torch.randint(vocab_size, (batch, seq), generator=g)
    target_vectors = torch.randn(batch, seq, hidden_size, generator=g)
    for layer in encoder.layer:
        if isinstance(layer, PostLNDecoderLayer):
            layer.memory = memory
    out, hidden_states, _ = encoder(x, output_hidden_states=True)
    if order == "pre-LN":
        out = final_norm(out)
    if loss == "cross_entropy":
        value = F.cross_entropy(head(out).reshape(-1, vocab_size), target_words.reshape(-1))
    else:
        value = F.mse_loss(out, target_vectors)
    value.backward()

    def norm(params):
        return torch.sqrt(sum((p.grad ** 2).sum() for p in params)).item()

    return InitGradients(
        order=order,
        stream_norm=[h.norm(dim=-1).mean().item() for h in hidden_states],
        layer_grad=[norm(layer.parameters()) for layer in encoder.layer],
        ffn_out_grad=[layer.ffn.output.weight.grad.norm().item() for layer in encoder.layer],
        loss_value=value.item())
