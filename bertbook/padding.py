"""Skipping the padding: per-token layers only need the real tokens.

A batch of sentences is a ``[batch, seq]`` grid, padded to its longest sentence. Most of BERT's
work is *per token*: the QKV and output projections, the feed-forward network, LayerNorm and
dropout each treat every position on its own. Only attention mixes positions, and there padding
is masked out as a key anyway. So the per-token layers can run on the real tokens alone, packed
into a ``[n_real, hidden]`` matrix, and the grid is rebuilt just for attention. On a batch of
short and long sentences that skips a third to a half of the work, with the same numbers at
every real position. (NVIDIA's "effective transformer" and FlashAttention's varlen kernels do
the same; here it is two index operations.)

The outputs at pad positions are then zeros instead of the meaningless vectors a padded run
computes there.

This is a speed path, kept out of the layers the lessons read: ``encoder_on_real_tokens`` wraps the
encoder, and ``BertModel(..., skip_padding=True)`` is the one argument that turns it on.
"""
from __future__ import annotations

import torch


class Packing:
    """Where the real tokens of a padded batch are, and how to go to and from the grid."""

    def __init__(self, attention_mask: torch.Tensor):
        self.grid = tuple(attention_mask.shape)                           # (batch, seq)
        self.index = attention_mask.reshape(-1).nonzero().squeeze(1)     # real positions in batch*seq

    def pack(self, x: torch.Tensor) -> torch.Tensor:
        """``[batch, seq, ...]`` -> ``[n_real, ...]``: drop the pad positions."""
        return x.reshape(-1, *x.shape[2:]).index_select(0, self.index)

    def unpack(self, x: torch.Tensor) -> torch.Tensor:
        """``[n_real, ...]`` -> ``[batch, seq, ...]``, zeros at the pad positions."""
        grid = x.new_zeros(self.grid[0] * self.grid[1], *x.shape[1:])
        return grid.index_copy(0, self.index, x).view(*self.grid, *x.shape[1:])


def encoder_on_real_tokens(encoder, x: torch.Tensor, attention_mask: torch.Tensor, mask: torch.Tensor,
                           output_attentions: bool = False, output_hidden_states: bool = False):
    """``encoder(x, mask, ...)`` with every per-token layer run on the real tokens only.

    x: [batch, seq, hidden] embeddings; attention_mask: [batch, seq], 1 = real, 0 = pad; mask: the
    boolean attention mask built from it. Returns what ``BertEncoder.forward`` returns, on the grid,
    with zeros at the pad positions.

    The encoder runs unchanged on the packed ``[n_real, hidden]`` matrix: LayerNorm, dropout and the
    feed-forward network do not care about the shape. Attention needs the grid, so for the length
    of this call each layer's QKV projection hands its output back as the grid (``unpack``) and the
    attention output projection packs its input first: the grid exists only between the two.
    The hooks live for this one call (so one model should not run it from two threads at once).
    """
    packing = Packing(attention_mask)
    hooks = []
    try:
        for layer in encoder.layer:
            hooks.append(layer.attention.qkv.register_forward_hook(
                lambda module, args, qkv: packing.unpack(qkv)))
            hooks.append(layer.attention.output.register_forward_pre_hook(
                lambda module, args: (packing.pack(args[0]),)))
        x, hidden_states, attentions = encoder(packing.pack(x), mask, output_attentions, output_hidden_states)
    finally:
        for hook in hooks:
            hook.remove()
    if hidden_states is not None:
        hidden_states = [packing.unpack(h) for h in hidden_states]
    return packing.unpack(x), hidden_states, attentions
