"""The learning-rate schedule every bertbook training loop uses: linear warm-up, then linear decay.

Why warm up: a freshly initialised Transformer (or a new task head on a pretrained one) gets large,
noisy gradients, and Adam's second-moment estimate is still poor in its first steps, so a high
learning rate at step 0 can throw the weights far off; ramping it up over the first steps avoids that.
Why decay to zero: the last steps then make ever smaller moves, so the weights settle instead of
bouncing around a minimum. BERT pretrained with this shape (Devlin et al.,
2019, appendix A.2: warm-up, then linear decay; Google's code decays from step 0 and lets the warm-up
override the first steps, where this one starts the decay when the warm-up ends, as transformers'
``get_linear_schedule_with_warmup`` does), and its released fine-tuning code used it too, and so do pretraining (``training.py``), fine-tuning (``finetuning.py``) and
MiniLM's masked-LM training (``minilm_mlm.py``) here.

The schedule is a multiplier of the peak learning rate, handed to torch's own
``torch.optim.lr_scheduler.LambdaLR``, so resuming, ``state_dict()`` and several parameter groups
with different peaks (MiniLM's new head learns faster than its layers) come for free.
"""
from __future__ import annotations

import warnings

import torch


def linear_warmup_decay(warmup_steps: int, total_steps: int):
    """The multiplier of the peak learning rate at optimizer step ``step`` (counted from 0).

    Warm-up: ``(step + 1) / warmup_steps``, so step 0 already learns a little (a factor 0 would
    waste it) and step ``warmup_steps - 1`` is at the peak. Decay: ``(total_steps - step) /
    (total_steps - warmup_steps)``, a straight line that reaches 0 at ``total_steps`` (the step
    after the last one trained), so no trained step has a learning rate of exactly 0."""
    if warmup_steps < 1 or total_steps < 1:
        raise ValueError(f"warmup_steps and total_steps must be >= 1, got {warmup_steps} and {total_steps}.")

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))
    return factor


def warmup_steps_for(warmup: float, total_steps: int) -> int:
    """``warmup`` as a share of the steps (BERT fine-tuning: 0.1), at least one step."""
    return max(1, round(warmup * total_steps))


def warmup_then_decay(optimizer: torch.optim.Optimizer, warmup_steps: int,
                      total_steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    """A ``LambdaLR`` with :func:`linear_warmup_decay`: each parameter group's peak is the ``lr``
    it has now. Call ``scheduler.step()`` after every ``optimizer.step()``."""
    return torch.optim.lr_scheduler.LambdaLR(optimizer, linear_warmup_decay(warmup_steps, total_steps))


def jump_to(scheduler: torch.optim.lr_scheduler.LRScheduler, step: int) -> None:
    """Set the learning rates for optimizer step ``step`` (a resumed run): the schedule is a pure
    function of the step, so nothing but the step needs saving. Also right after
    ``optimizer.load_state_dict``, which brings back the learning rate of the step it was saved at."""
    with warnings.catch_warnings():       # "scheduler.step() before optimizer.step()": a jump, on purpose
        warnings.simplefilter("ignore")
        scheduler.last_epoch = step - 1
        scheduler.step()
