"""AdamW and the one weight-decay rule every bertbook training loop uses.

Weight decay pulls every weight a little towards 0 at each step, a brake on weights growing
without need. BERT applies it to the weight matrices only: not to biases (a shift, which does not
make a layer any more sensitive to its input) and not to LayerNorm's gain and bias (decaying the
gain towards 0 would fight the normalisation it exists to undo). In bertbook's models those are
exactly the one-dimensional parameters, so the rule is ``p.ndim < 2`` (the embedding tables are
matrices and are decayed, as in BERT).
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn


def parameter_groups(model: nn.Module, weight_decay: float,
                     lr_of: Callable[[str], float | None] | None = None) -> list[dict]:
    """AdamW's parameter groups for ``model``: decayed matrices, undecayed biases and LayerNorm.

    Frozen parameters (``requires_grad=False``, e.g. MiniLM's bottom layers in lessons 7 and 9) are
    left out. ``lr_of(name)``, when given, may return a peak learning rate of its own for a
    parameter (MiniLM's fresh MLM head learns faster than its pretrained layers); ``None`` keeps
    the optimizer's. Every group names its parameters (``param_names``), so checkpoints can store
    AdamW's state by name."""
    groups: dict[tuple, dict] = {}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        decay = weight_decay if p.ndim >= 2 else 0.0
        lr = lr_of(name) if lr_of is not None else None
        group = groups.setdefault((decay == 0.0, lr), {"params": [], "param_names": [], "weight_decay": decay}
                                  | ({"lr": lr} if lr is not None else {}))
        group["params"].append(p)
        group["param_names"].append(name)
    return [groups[k] for k in sorted(groups, key=lambda k: (k[1] is not None, k[1] or 0.0, k[0]))]


def adamw(model: nn.Module, lr: float, weight_decay: float = 0.01, eps: float = 1e-8,
          lr_of: Callable[[str], float | None] | None = None) -> torch.optim.AdamW:
    """``torch.optim.AdamW`` over :func:`parameter_groups` (betas 0.9, 0.999 as in BERT)."""
    return torch.optim.AdamW(parameter_groups(model, weight_decay, lr_of), lr=lr, betas=(0.9, 0.999), eps=eps)


def optimizer_step(loss: torch.Tensor, optimizer: torch.optim.Optimizer, schedule, max_grad_norm: float = 1.0) -> None:
    """The update every loop makes after its forward pass: gradients of ``loss``, clipped to a total
    norm of ``max_grad_norm`` (one bad batch cannot throw the weights far), AdamW's step, gradients
    cleared, and the learning rate moved on to the next step's."""
    loss.backward()
    torch.nn.utils.clip_grad_norm_([p for g in optimizer.param_groups for p in g["params"]], max_grad_norm)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    schedule.step()
