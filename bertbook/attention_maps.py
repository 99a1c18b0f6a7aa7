"""Attention maps as data: collect them from a model, check them, put them in one array.

The lesson layer (``widgets.attention``, ``widgets.attention_lines``) draws them and
``head_patterns`` scores them; both start here, so the core never imports a widget.

Attention comes in bertviz's format, a list or tuple with one ``[1, heads, T, T]`` array per layer
(exactly ``model(..., output_attentions=True).attentions`` for a single sentence), plus the T token
strings. Row i of a map is query token i, column j is key token j.

How layers and heads are *named* (one convention for every lesson, stated in lesson 3): layer 0 is
the embeddings and the encoder layers are 1..L, as ``output_hidden_states`` and the logit lens count
them; heads are 0..H-1. Code keeps Python's indices: ``attentions[0]`` (``layer=0``) is encoder
layer 1, so a label adds 1 to the layer index and an argument stays 0-based. :func:`head_label`
is the one place that turns indices into a name.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np


def as_attention_array(attentions, tokens: Sequence[str]) -> np.ndarray:
    """bertviz-format attentions -> one float array ``[layers, heads, T, T]``, checked against tokens."""
    if isinstance(attentions, (str, bytes)) or not hasattr(attentions, "__len__") or len(attentions) == 0:
        raise ValueError("attentions must be a non-empty list/tuple with one [1, heads, T, T] tensor per "
                         "layer, e.g. model(**batch, output_attentions=True).attentions")
    layers = []
    for i, a in enumerate(attentions):
        if hasattr(a, "detach"):                      # a torch tensor, maybe on the GPU
            a = a.detach().float().cpu().numpy()
        a = np.asarray(a, dtype=np.float32)
        if a.ndim == 4:
            if a.shape[0] != 1:
                raise ValueError(f"layer {i} holds a batch of {a.shape[0]} sequences; the viewer shows one: "
                                 "pass [a[b:b+1] for a in attentions] for sequence b (and its own tokens).")
            a = a[0]
        if a.ndim != 3 or a.shape[1] != a.shape[2]:
            raise ValueError(f"layer {i} has shape {a.shape}; expected [1, heads, T, T] (bertviz's format).")
        layers.append(a)
    if len({a.shape for a in layers}) != 1:
        raise ValueError(f"all layers must have the same [heads, T, T] shape, got {sorted({a.shape for a in layers})}")
    array = np.stack(layers)
    if len(tokens) != array.shape[-1]:
        raise ValueError(f"{len(tokens)} tokens for attention maps over {array.shape[-1]} positions: pass the "
                         "tokens of the same encoded text (with [CLS]/[SEP]), e.g. from model_attentions().")
    return array


def layer_number(layer_index: int) -> int:
    """The name of encoder layer ``attentions[layer_index]``: counted from 1, as layer 0 is the
    embeddings (``hidden_states[0]``)."""
    return int(layer_index) + 1


def head_label(layer: int, head: int) -> str:
    """How the lessons name the map ``attentions[layer][0, head]`` (0-based indices): ``head_label(0, 2)``
    is "layer 1, head 2", encoder layers counted from 1 (layer 0 = the embeddings), heads from 0."""
    return f"layer {layer_number(layer)}, head {int(head)}"


def check_layer_head(array: np.ndarray, layer: int, head: int) -> None:
    """IndexError naming the valid ranges unless ``array[layer, head]`` exists ([layers, heads, ...])."""
    n_layers, n_heads = array.shape[:2]
    if not 0 <= layer < n_layers or not 0 <= head < n_heads:
        raise IndexError(f"layer={layer}, head={head} does not exist: layer indices are 0..{n_layers - 1} "
                         f"(encoder layers 1..{n_layers} in the pictures, which call the embeddings layer 0), "
                         f"heads 0..{n_heads - 1}; arguments are indices from 0, as in attentions[layer][0, head].")


def model_attentions(model, tokenizer, text: str, text_pair: str | None = None):
    """Run ``model`` on one text (or pair) and return ``(attentions, tokens)`` for the viewer:
    attentions in bertviz's format (a tuple of ``[1, heads, T, T]`` CPU tensors, one per layer)."""
    import torch

    from .tokenizer import encode

    if not isinstance(text, str):
        raise TypeError("model_attentions takes one text (a string); the viewer shows one sequence.")
    max_positions = getattr(getattr(model, "config", None), "max_position_embeddings", 512)
    batch = encode(tokenizer, text, text_pair, max_length=max_positions)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = model(**{k: v.to(device) for k, v in batch.items()}, output_attentions=True)
    finally:
        model.train(was_training)
    encoding = tokenizer.encode(text, text_pair) if text_pair is not None else tokenizer.encode(text)
    return tuple(a.cpu() for a in out.attentions), list(encoding.tokens)
