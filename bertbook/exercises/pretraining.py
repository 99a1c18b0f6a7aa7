"""Self-checks for lesson 6 (pretraining: the losses and the schedule)."""
from __future__ import annotations

import math

from . import ExerciseError, exercise_check, passed


def _mlm_cases():
    import torch
    g = torch.Generator().manual_seed(0)
    cases = []
    for batch, seq, vocab, n_masked in ((2, 7, 11, 3), (3, 5, 13, 4), (1, 9, 17, 1)):
        logits = torch.randn(batch, seq, vocab, generator=g) * 3
        labels = torch.full((batch, seq), -100, dtype=torch.long)
        flat = torch.randperm(batch * seq, generator=g)[:n_masked]
        labels.view(-1)[flat] = torch.randint(0, vocab, (n_masked,), generator=g)
        cases.append((logits, labels))
    return cases


@exercise_check
def check_masked_lm_loss(masked_lm_loss) -> None:
    """``masked_lm_loss(logits [B,T,V], labels [B,T]) -> scalar``: mean cross-entropy over the
    positions whose label is not -100 (the masked ones), and over nothing else."""
    import torch
    import torch.nn.functional as F
    for logits, labels in _mlm_cases():
        got = masked_lm_loss(logits.clone(), labels.clone())
        if not isinstance(got, torch.Tensor) or got.numel() != 1:
            raise ExerciseError("masked_lm_loss must return a scalar tensor (one number for the batch).")
        masked = labels != -100
        want = F.cross_entropy(logits[masked], labels[masked])
        if torch.allclose(got.float(), want, atol=1e-4):
            continue
        per_position = F.cross_entropy(logits.flatten(0, 1), labels.clamp(min=0).flatten(), reduction="none")
        if abs(got.item() - per_position.mean().item()) < 1e-4:
            raise ExerciseError("you averaged the loss over all positions; only the masked positions "
                                "(label != -100) count, and the mean divides by their number.")
        if abs(got.item() - per_position[masked.flatten()].sum().item()) < 1e-4:
            raise ExerciseError("you summed over the masked positions; divide by how many there are (a mean).")
        raise ExerciseError(f"got {got.item():.4f}, expected {want.item():.4f} for a batch with "
                            f"{int(masked.sum())} masked positions.")
    passed("masked-LM loss")


@exercise_check
def check_nsp_loss(nsp_loss) -> None:
    """``nsp_loss(logits [B,2], labels [B]) -> scalar``: the mean two-class cross-entropy."""
    import torch
    import torch.nn.functional as F
    g = torch.Generator().manual_seed(1)
    for batch in (4, 7):
        logits = torch.randn(batch, 2, generator=g) * 2
        labels = torch.randint(0, 2, (batch,), generator=g)
        got = nsp_loss(logits.clone(), labels.clone())
        if not isinstance(got, torch.Tensor) or got.numel() != 1:
            raise ExerciseError("nsp_loss must return a scalar tensor.")
        want = F.cross_entropy(logits, labels)
        if not torch.allclose(got.float(), want, atol=1e-4):
            flipped = F.cross_entropy(logits, 1 - labels)
            hint = (" Your labels are flipped: label 0 = IsNext (logit column 0), 1 = random."
                    if torch.allclose(got.float(), flipped, atol=1e-4) else "")
            raise ExerciseError(f"got {got.item():.4f}, expected {want.item():.4f}.{hint}")
    passed("NSP loss")


@exercise_check
def check_chance_losses(mlm_loss: float, nsp_loss: float, vocab_size: int = 8000) -> None:
    """The losses of a model that knows nothing: uniform over the vocabulary, 50/50 on NSP."""
    want_mlm, want_nsp = math.log(vocab_size), math.log(2)
    if abs(mlm_loss - want_mlm) > 0.01:
        raise ExerciseError(f"{mlm_loss} is not the MLM loss of a uniform guess over {vocab_size} tokens: "
                            "cross-entropy is -log p(true token), and a uniform guess gives p = 1/V.")
    if abs(nsp_loss - want_nsp) > 0.01:
        raise ExerciseError(f"{nsp_loss} is not the NSP loss of a 50/50 guess: -log(1/2).")
    passed("chance-level losses")


@exercise_check
def check_lr_schedule(lr_at) -> None:
    """``lr_at(step, peak_lr, warmup_steps, total_steps)``, the learning rate of optimizer step ``step``
    (counted from 0): linear warm-up ``peak_lr * (step + 1) / warmup_steps`` while ``step <
    warmup_steps`` (so step 0 already learns a little), then linear decay
    ``peak_lr * (total_steps - step) / (total_steps - warmup_steps)``, reaching 0 at ``total_steps``."""
    def want(step, peak, warm, total):
        if step < warm:
            return peak * (step + 1) / warm
        return peak * max(0.0, (total - step) / max(1, total - warm))
    for peak, warm, total in ((1e-3, 10, 100), (5e-4, 100, 1000), (2e-3, 1, 7)):
        for step in sorted({0, 1, warm // 2, warm, warm + 1, (warm + total) // 2, total - 1, total, total + 5}):
            got = float(lr_at(step, peak, warm, total))
            if not math.isclose(got, want(step, peak, warm, total), rel_tol=1e-6, abs_tol=1e-12):
                phase = "warm-up" if step < warm else "decay"
                hint = (" During warm-up step s uses (s + 1) / warmup_steps of the peak: step 0 is the first step."
                        if step < warm and math.isclose(got, peak * step / warm, rel_tol=1e-6, abs_tol=1e-12) else "")
                raise ExerciseError(f"lr_at({step}, {peak}, {warm}, {total}) = {got:.3g}, expected "
                                    f"{want(step, peak, warm, total):.3g} (the {phase} phase).{hint}")
    passed("linear warm-up and decay")
