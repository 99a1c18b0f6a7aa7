"""Self-checks for lesson 6 (pretraining: the losses and the schedule).

Each check calls the student's function on small batches it builds itself, validates the type and
shape of what comes back before using it, and names the misconception behind each common wrong
answer (the table of wrong answers is ``tests/test_exercise_hints_06.py``). An exception raised by
the student's code becomes an ``ExerciseError`` that says what the exercise expected; a stub that
still raises ``NotImplementedError`` is "not attempted yet" (``exercise_check``).
"""
from __future__ import annotations

import math
from numbers import Real

from ..model import IGNORE_INDEX
from . import ExerciseError, exercise_check, passed


def _call(fn, what: str, expects: str, hints: dict[str, str], *args):
    """Run the student's ``fn(*args)``; an exception becomes an ``ExerciseError`` whose hint is picked
    by a fragment of the exception's message (``hints``), else a plain statement of what was expected.
    ``NotImplementedError`` passes through untouched: the stub has not been written yet."""
    try:
        return fn(*args)
    except NotImplementedError:
        raise
    except ExerciseError:
        raise
    except Exception as e:  # noqa: BLE001 -- any error in the student's code becomes a hint
        message = f"{type(e).__name__}: {e}"
        hint = next((h for fragment, h in hints.items() if fragment in message), None)
        raise ExerciseError(f"{what} raised {message}. {hint or expects}") from e


def _number(x) -> str:
    return f"{x:.6g}"


# --- exercise 1 (predict, then run): the chance-level losses ----------------------------------------
@exercise_check
def check_chance_losses(chance_mlm_loss, chance_nsp_loss, vocab_size: int = 8000) -> None:
    """The losses of a model that knows nothing: uniform over the vocabulary, 50/50 on NSP. Both are
    cross-entropies in nats (natural log), as ``F.cross_entropy`` computes them."""
    mlm_loss, nsp_loss = chance_mlm_loss, chance_nsp_loss
    for name, value in (("chance_mlm_loss", mlm_loss), ("chance_nsp_loss", nsp_loss)):
        if hasattr(value, "item") and getattr(value, "numel", lambda: 1)() == 1:
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, Real):
            raise ExerciseError(f"{name} must be a number (a float), got {type(value).__name__}: {value!r}.")
    mlm_loss, nsp_loss = (float(v.item() if hasattr(v, "item") else v) for v in (mlm_loss, nsp_loss))
    want_mlm, want_nsp = math.log(vocab_size), math.log(2)

    def near(a, b):
        return math.isclose(a, b, rel_tol=1e-3, abs_tol=1e-3)

    if near(mlm_loss, want_nsp) and near(nsp_loss, want_mlm):
        raise ExerciseError("the two answers are swapped: the MLM loss is over the vocabulary, the NSP loss over 2 classes.")
    for name, got, n in (("chance_mlm_loss", mlm_loss, vocab_size), ("chance_nsp_loss", nsp_loss, 2)):
        want = math.log(n)
        if near(got, want):
            continue
        what = f"the MLM loss of a uniform guess over {n} tokens" if n == vocab_size else "the NSP loss of a 50/50 guess"
        if got < 0:
            hint = ("a cross-entropy is never negative: it is -ln p, and p <= 1. "
                    f"You have the sign wrong (ln(1/{n}) = -ln {n}).")
        elif near(got, math.log2(n)):
            hint = f"{_number(got)} is log base 2 (bits). PyTorch's cross-entropy uses the natural log: ln {n}."
        elif near(got, math.log10(n)):
            hint = f"{_number(got)} is log base 10. Cross-entropy uses the natural log: ln {n}."
        elif near(got, 1 / n):
            hint = f"{_number(got)} = 1/{n} is the probability p the guess gives the right answer; the loss is -ln p."
        elif near(got, n):
            hint = f"{_number(got)} is the number of choices itself; the loss of a uniform guess is its logarithm."
        elif n == vocab_size and near(got, math.log(30522)):
            hint = (f"ln 30522 is BERT-base's vocabulary; this model's has {vocab_size} tokens "
                    "(config.vocab_size).")
        elif n == 2 and near(got, 0.5):
            hint = "0.5 is the probability (or the accuracy) of a coin flip; the loss is -ln(1/2)."
        else:
            hint = f"cross-entropy is -ln p(true answer), and a uniform guess over {n} choices gives p = 1/{n}."
        raise ExerciseError(f"{name} = {_number(got)} is not {what}: {hint}")
    passed("chance-level losses")


# --- exercise 2: the masked-LM loss of every example ------------------------------------------------
def _per_example_cases():
    import torch
    g = torch.Generator().manual_seed(0)
    cases = []
    # (batch, seq, vocab, masked positions per example): counts differ between rows on purpose, so
    # the batch's pooled mean, the mean of the row means and a mean over all T positions all differ
    for batch, seq, vocab, counts in ((3, 7, 11, (1, 3, 2)), (2, 5, 13, (4, 1)), (1, 9, 17, (2,)), (4, 6, 5, (1, 2, 3, 6))):
        logits = torch.randn(batch, seq, vocab, generator=g) * 3
        labels = torch.full((batch, seq), IGNORE_INDEX, dtype=torch.long)
        for b, n in enumerate(counts):
            positions = torch.randperm(seq, generator=g)[:n]
            labels[b, positions] = torch.randint(0, vocab, (n,), generator=g)
        cases.append((logits, labels))
    return cases


_SHAPE_HINTS = {
    "Expected target size": "F.cross_entropy wants logits [N, V] and labels [N] (the class dimension second): "
                            "flatten with logits.reshape(-1, V) and labels.reshape(-1), then reshape the "
                            "per-position losses back to [B, T].",
    "out of bounds": f"the labels are {IGNORE_INDEX} at unmasked positions, which is not a token id: keep "
                     f"the masked positions only, or let F.cross_entropy skip them (ignore_index={IGNORE_INDEX}).",
    "cannot be multiplied": "a matrix product got the wrong shapes: print the shapes of logits [B, T, V] and "
                            "labels [B, T] at each step.",
    "shape '[": "a reshape went wrong: the per-position losses have B*T entries; view them as [B, T].",
}


@exercise_check
def check_masked_lm_loss_per_example(masked_lm_loss_per_example) -> None:
    """``masked_lm_loss_per_example(logits [B, T, V], labels [B, T]) -> [B]``: for each example, the
    mean cross-entropy over *its own* masked positions (label != IGNORE_INDEX)."""
    import torch
    import torch.nn.functional as F
    expects = ("masked_lm_loss_per_example(logits [B, T, V], labels [B, T]) must return a tensor of shape [B]: "
               "one loss per example, the mean over that example's masked positions.")
    for logits, labels in _per_example_cases():
        B, T, V = logits.shape
        got = _call(masked_lm_loss_per_example, "masked_lm_loss_per_example", expects, _SHAPE_HINTS,
                    logits.clone(), labels.clone())
        if not isinstance(got, torch.Tensor):
            raise ExerciseError(f"{expects} It returned {type(got).__name__}: {got!r}.")
        masked = labels != IGNORE_INDEX
        per_position = F.cross_entropy(logits.reshape(-1, V), labels.reshape(-1), reduction="none").view(B, T)
        want = per_position.sum(1) / masked.sum(1)
        pooled = per_position.sum() / masked.sum()
        shape = tuple(got.shape)
        if shape != (B,):
            if got.numel() == 1 and B > 1:
                hint = (" That is one number for the whole batch"
                        + (" (all masked positions pooled: the batch's loss, as model.mlm_loss computes it)"
                           if math.isclose(got.item(), pooled.item(), rel_tol=1e-4) else "")
                        + "; return one per example.")
            elif shape == (B * T,):
                hint = " That is one loss per position, flattened: view it as [B, T], then average each row's masked ones."
            elif shape == (B, T):
                hint = " That is one loss per position: average each row over its masked positions only."
            else:
                hint = ""
            raise ExerciseError(f"expected shape ({B},) for logits of shape {tuple(logits.shape)}, got {shape}.{hint}")
        got = got.detach().float()
        if not torch.isfinite(got).all():
            raise ExerciseError(f"got non-finite losses {got.tolist()}: every example here has at least one "
                                "masked position, so each mean is finite. Did you divide by a count of zero?")
        if torch.allclose(got, want, rtol=1e-4, atol=1e-4):
            continue
        clamped = F.cross_entropy(logits.reshape(-1, V), labels.clamp(min=0).reshape(-1), reduction="none").view(B, T)
        wrong_dim = -(F.log_softmax(logits, dim=1).gather(2, labels.clamp(min=0)[..., None])[..., 0] * masked).sum(1) / masked.sum(1)
        diagnoses = [
            (pooled.expand(B), "every example got the batch's pooled loss; average each example's own masked positions."),
            (per_position.sum(1) / T, f"you divided by T = {T} (all positions); divide each row by its number of "
                                      "masked positions (label != IGNORE_INDEX)."),
            (clamped.mean(1), "you scored every position, unmasked ones included (their labels are IGNORE_INDEX, "
                              "not tokens); only masked positions count."),
            (per_position.sum(1), "you summed each example's masked losses; divide by how many there are (a mean)."),
            (wrong_dim, "the softmax ran over the sequence dimension; it must run over the vocabulary (the last dimension)."),
        ]
        for value, hint in diagnoses:
            if torch.allclose(got, value.float(), rtol=1e-4, atol=1e-4):
                raise ExerciseError(hint)
        worst = int((got - want).abs().argmax())
        raise ExerciseError(f"example {worst} (with {int(masked[worst].sum())} masked positions): got "
                            f"{_number(got[worst].item())}, expected {_number(want[worst].item())}; all: got "
                            f"{[round(x, 5) for x in got.tolist()]}, expected {[round(x, 5) for x in want.tolist()]}.")
    passed("masked-LM loss per example")


# --- exercise 3: the NSP loss from one number per pair ----------------------------------------------
_NSP_HINTS = {
    "between 0 and 1": "F.binary_cross_entropy takes probabilities, but the margin is a logit (any real number): "
                       "apply the sigmoid first, or use F.binary_cross_entropy_with_logits.",
    "can't be cast": "the labels are integers (torch.long); binary cross-entropy wants float targets: labels.float().",
    "Expected floating point type for target": "F.cross_entropy needs [B, C] logits, one per class; here there is "
                                               "one number per pair, so the loss is the binary (sigmoid) one.",
    "0D or 1D target": "F.cross_entropy needs [B, C] logits, one per class; here there is one number per pair, "
                       "so the loss is the binary (sigmoid) one.",
}


@exercise_check
def check_nsp_loss_from_margin(nsp_loss_from_margin) -> None:
    """``nsp_loss_from_margin(margin [B], labels [B]) -> scalar``, with ``margin = z_NotNext - z_IsNext``
    (logit 1 minus logit 0 of the NSP head) and labels 0 = IsNext, 1 = NotNext: the same mean loss as
    the two-class cross-entropy, finite for margins as large as +-200."""
    import torch
    import torch.nn.functional as F
    expects = ("nsp_loss_from_margin(margin [B], labels [B]) must return a scalar tensor: the mean NSP loss "
               "of the batch.")
    g = torch.Generator().manual_seed(1)
    cases = [(torch.randn(batch, generator=g) * 2, torch.randint(0, 2, (batch,), generator=g)) for batch in (4, 7)]
    cases.append((torch.tensor([3.0, -2.0, 0.5, -1.5, 4.0]), torch.tensor([1, 0, 0, 1, 0])))
    cases.append((torch.tensor([200.0, -200.0, 60.0, -60.0]), torch.tensor([0, 1, 1, 0])))   # confident: right and wrong
    for margin, labels in cases:
        got = _call(nsp_loss_from_margin, "nsp_loss_from_margin", expects, _NSP_HINTS, margin.clone(), labels.clone())
        if not isinstance(got, torch.Tensor):
            raise ExerciseError(f"{expects} It returned {type(got).__name__}: {got!r}.")
        if got.numel() != 1:
            raise ExerciseError(f"{expects} It returned shape {tuple(got.shape)}: average over the batch.")
        got = float(got.detach())
        two_logits = torch.stack([torch.zeros_like(margin), margin], dim=1)     # softmax only sees the difference
        want = F.cross_entropy(two_logits, labels).item()
        if not math.isfinite(got):
            raise ExerciseError(f"got {got} for margins {margin.tolist()}: log(sigmoid(m)) underflows to log(0) when "
                                "|m| is large. Use a stable form: F.logsigmoid, F.softplus, or "
                                "F.binary_cross_entropy_with_logits.")
        if math.isclose(got, want, rel_tol=1e-4, abs_tol=1e-4):
            continue
        y, p = labels.float(), torch.sigmoid(margin)
        diagnoses = [
            (F.binary_cross_entropy_with_logits(-margin, y).item(),
             "the sign is flipped: the margin is z_NotNext - z_IsNext, so a large margin means NotNext (label 1), "
             "and p(NotNext) = sigmoid(margin)."),
            (F.binary_cross_entropy_with_logits(margin, y, reduction="sum").item(),
             "you summed over the batch; the NSP loss is a mean."),
            (-(y * p + (1 - y) * (1 - p)).mean().item(),
             "you averaged probabilities; the loss is the negative *log* probability of the right label."),
            ((1 - (y * p + (1 - y) * (1 - p))).mean().item(),
             "1 - p is not the loss; the loss is -log p of the right label."),
            (-(y * margin - (1 - y) * margin).mean().item(),
             "the margin is a logit, not a log-probability (NLL without the log-sigmoid): "
             "log p(NotNext) = log sigmoid(margin)."),
            (-(y * margin).mean().item(),
             "the margin is a logit, not a log-probability (NLL without the log-sigmoid): "
             "log p(NotNext) = log sigmoid(margin), and log p(IsNext) = log sigmoid(-margin)."),
        ]
        for value, hint in diagnoses:
            if math.isclose(got, value, rel_tol=1e-4, abs_tol=1e-4):
                raise ExerciseError(hint)
        raise ExerciseError(f"for margins {[round(m, 4) for m in margin.tolist()]} and labels {labels.tolist()}: "
                            f"got {_number(got)}, expected {_number(want)} (the two-class cross-entropy).")
    passed("NSP loss from the margin")


# --- exercise 4: the reference code's learning-rate schedule ----------------------------------------
def _bertbook_schedule(step, peak, warm, total):       # bertbook's own rule (training.lr_at), for a hint
    if step < warm:
        return peak * (step + 1) / warm
    return peak * max(0.0, (total - step) / max(1, total - warm))


@exercise_check
def check_reference_lr_schedule(reference_lr_at) -> None:
    """``reference_lr_at(step, peak_lr, warmup_steps, total_steps) -> float``: the schedule of BERT's
    reference TensorFlow code (google-research/bert ``optimization.py``), as the lesson states it:
    ``polynomial_decay`` (power 1, from step 0, reaching 0 at ``total_steps`` and staying there),
    replaced by ``peak_lr * step / warmup_steps`` while ``step < warmup_steps``. The expected values
    are computed here, inside the check, so nothing importable computes the answer."""
    import torch

    def reference(step, peak, warm, total):
        if warm and step < warm:
            return peak * step / warm
        return peak * (1 - min(step, total) / total)
    expects = ("reference_lr_at(step, peak_lr, warmup_steps, total_steps) must return the learning rate "
               "as a number.")
    hints = {"division by zero": "warmup_steps = 0 means no warm-up at all (the reference code skips it): "
                                 "only the decay applies."}
    settings = ((1e-3, 10, 100), (1e-4, 10_000, 1_000_000), (5e-4, 100, 1000), (2e-3, 1, 7), (3e-4, 0, 50))
    for peak, warm, total in settings:
        steps = sorted({0, 1, warm // 2, max(warm - 1, 0), warm, warm + 1, (warm + total) // 2, total - 1,
                        total, total + 5})
        rates = {}
        for step in steps:
            got = _call(reference_lr_at, f"reference_lr_at({step}, {peak}, {warm}, {total})", expects, hints,
                        step, peak, warm, total)
            if isinstance(got, torch.Tensor) and got.numel() == 1:
                got = got.item()
            if isinstance(got, bool) or not isinstance(got, Real):
                raise ExerciseError(f"{expects} reference_lr_at({step}, {peak}, {warm}, {total}) returned "
                                    f"{type(got).__name__}: {got!r}.")
            rates[step] = float(got)

        def same(a, b):
            return math.isclose(a, b, rel_tol=1e-7, abs_tol=1e-15)

        is_bertbooks = all(same(rates[s], _bertbook_schedule(s, peak, warm, total)) for s in steps)
        decays_from_warm_up = warm > 0 and all(same(rates[s], peak * max(0.0, (total - s) / (total - warm)))
                                               for s in steps if s >= warm)
        for step in steps:
            got, want = rates[step], reference(step, peak, warm, total)
            if same(got, want):
                continue
            call = f"reference_lr_at({step}, {peak}, {warm}, {total}) = {got:.9g}, expected {want:.9g}"
            if is_bertbooks:
                hint = ("that is bertbook's schedule (training.lr_at): warm-up (step + 1) / warmup_steps and a decay "
                        "that starts at the end of warm-up. The reference code warms up with step / warmup_steps "
                        "and decays from step 0 over all total_steps.")
            elif step >= total and got < 0:
                hint = "after total_steps the rate stays 0 (the decay uses min(step, total_steps)), never negative."
            elif step < warm and same(got, peak * (step + 1) / warm):
                hint = "during warm-up the reference code uses step / warmup_steps: step 0 has rate 0."
            elif step < warm:
                hint = (f"step {step} < warmup_steps = {warm} is still warm-up: the rate is peak_lr * step / "
                        "warmup_steps, whatever the decay says.")
            elif step >= warm and decays_from_warm_up:
                hint = ("your decay starts at the end of warm-up; the reference decay runs from step 0 over all "
                        "total_steps: peak_lr * (1 - min(step, total_steps) / total_steps).")
            elif step == warm and same(got, peak):
                hint = ("at step == warmup_steps warm-up is over (step < warmup_steps is false), and the decay has "
                        "been running since step 0: the rate is peak_lr * (1 - warmup_steps / total_steps), "
                        "not the peak.")
            else:
                hint = "the decay phase is peak_lr * (1 - min(step, total_steps) / total_steps)."
            raise ExerciseError(f"{call} ({'warm-up' if step < warm else 'decay'} phase): {hint}")
    passed("the reference schedule")
