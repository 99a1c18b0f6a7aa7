"""The one masked-LM evaluation: how well a model fills in the hidden words of held-out text.

Used for pretraining's held-out evaluation (``training.py``, with next-sentence prediction) and for
MiniLM's masked-LM training (``minilm_mlm.py``). Everything is summed over *every* masked position
of the set and divided once at the end: an average of per-batch averages would weigh a batch with
few masked tokens as much as one with many.
"""
from __future__ import annotations

from typing import Iterable

import torch
import torch.nn.functional as F

from .batching import IGNORE_INDEX
from .fast_pretraining import masked_lm_predictions


@torch.no_grad()
def evaluate_masked_lm(model, batches: Iterable[dict], skip_padding: bool = True) -> dict:
    """MLM loss, top-1 and top-5 accuracy over all masked positions of ``batches`` (dicts with
    ``input_ids``, ``attention_mask``, ``labels``; maybe ``token_type_ids``).

    With ``next_sentence_label`` in the batches: NSP loss and accuracy over examples too. With
    ``kinds`` (what BERT's masking rule did at each masked position, in row-major order: "mask",
    "random" or "keep"): top-1 / top-5 at the [MASK] positions alone, the honest figure, since a
    kept token can simply be copied from the input."""
    was_training = model.training
    model.eval()
    device = model.device
    losses, top1, top5, kinds = [], [], [], []
    nsp_loss = nsp_correct = n_examples = 0.0
    for b in batches:
        inputs = {k: b[k].to(device) for k in ("input_ids", "attention_mask", "token_type_ids", "labels",
                                                "next_sentence_label") if b.get(k) is not None}
        out = masked_lm_predictions(model, **inputs, skip_padding=skip_padding)
        y = inputs["labels"][inputs["labels"] != IGNORE_INDEX]
        losses.append(F.cross_entropy(out.prediction_logits, y, reduction="none").cpu())
        top1.append((out.prediction_logits.argmax(-1) == y).cpu())
        top5.append((out.prediction_logits.topk(5).indices == y[:, None]).any(-1).cpu())
        kinds += b.get("kinds", [])
        if "next_sentence_label" in inputs:
            nsp = inputs["next_sentence_label"]
            nsp_loss += F.cross_entropy(out.seq_relationship_logits, nsp, reduction="sum").item()
            nsp_correct += (out.seq_relationship_logits.argmax(-1) == nsp).sum().item()
            n_examples += nsp.numel()
    model.train(was_training)
    loss, top1, top5 = torch.cat(losses), torch.cat(top1).float(), torch.cat(top5).float()
    scores = {"mlm_loss": loss.sum().item() / loss.numel(), "mlm_accuracy": top1.mean().item(),
              "mlm_top5": top5.mean().item(), "n": loss.numel()}
    if kinds:
        at_mask = torch.tensor([k == "mask" for k in kinds])
        scores.update(mask_accuracy=top1[at_mask].mean().item(), mask_top5=top5[at_mask].mean().item())
    if n_examples:
        scores.update(nsp_loss=nsp_loss / n_examples, nsp_accuracy=nsp_correct / n_examples)
    return scores
