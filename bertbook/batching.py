"""Padded batches: sentences of different lengths in one ``[batch, seq]`` grid.

A batch is padded to its own longest row, not to a fixed maximum: every position costs compute,
and the attention mask (1 = real token, 0 = padding) keeps the model from reading the padding
anyway, so a shorter grid gives the same answers for less work. Every batch bertbook builds
(tokenizer output, pretraining examples, MiniLM's masked sentences, tagged words, question/passage
windows, long-text windows) goes through :func:`pad_batch`.
"""
from __future__ import annotations

from typing import Sequence

import torch

IGNORE_INDEX = -100   # the label of a position without a target (not masked, padding, a later word piece): no loss there


def pad_batch(rows: Sequence[Sequence[int]], pad_id: int, token_type_ids: Sequence[Sequence[int]] | None = None,
              labels: Sequence[Sequence[int]] | None = None, device=None) -> dict[str, torch.Tensor]:
    """``input_ids``, ``token_type_ids``, ``attention_mask`` (and ``labels`` when given) as
    ``[len(rows), longest row]`` long tensors.

    ``rows``: token ids per example; ``token_type_ids``: a segment id per token (default all 0);
    ``labels``: a target per token, padded with ``IGNORE_INDEX`` so padding adds nothing to the loss."""
    if not len(rows):
        raise ValueError("pad_batch got no rows: a batch needs at least one example.")
    width = max(len(r) for r in rows)
    input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    types = torch.zeros_like(input_ids)
    attention_mask = torch.zeros_like(input_ids)
    target = torch.full_like(input_ids, IGNORE_INDEX) if labels is not None else None
    for r, ids in enumerate(rows):
        n = len(ids)
        input_ids[r, :n] = torch.as_tensor(ids, dtype=torch.long)
        attention_mask[r, :n] = 1
        if token_type_ids is not None:
            types[r, :n] = torch.as_tensor(token_type_ids[r], dtype=torch.long)
        if target is not None:
            target[r, :n] = torch.as_tensor(labels[r], dtype=torch.long)
    batch = {"input_ids": input_ids, "token_type_ids": types, "attention_mask": attention_mask}
    if target is not None:
        batch["labels"] = target
    return {k: v.to(device) for k, v in batch.items()} if device is not None else batch
