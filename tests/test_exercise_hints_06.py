"""Lesson 6's self-checks, fed the wrong answers students actually write: each must raise
``ExerciseError`` with a hint that names the misconception (never a raw exception), the right answer
must pass, and an untouched stub must read "not attempted yet"."""
import math

import pytest
import torch
import torch.nn.functional as F

from bertbook import IGNORE_INDEX
from bertbook.exercises import ExerciseError, results
from bertbook.exercises.pretraining import (check_chance_losses, check_masked_lm_loss_per_example,
                                            check_nsp_loss_from_margin, check_reference_lr_schedule)
from bertbook.training import lr_at


def stub(*args):
    raise NotImplementedError


def status(name):
    return results()[name]["status"]


# --- exercise 1 (predict, then run): chance-level losses ---------------------------------------------
def test_chance_losses_right_answer_and_stub(capsys):
    check_chance_losses(math.log(8000), math.log(2))
    assert status("check_chance_losses") == "passed"
    check_chance_losses(torch.tensor(math.log(8000)), math.log(2))          # a 0-d tensor is a number too
    check_chance_losses(..., ...)
    assert status("check_chance_losses") == "not attempted"
    assert "not attempted yet" in capsys.readouterr().out


@pytest.mark.parametrize("mlm, nsp, hint", [
    (math.log2(8000), math.log(2), "log base 2"),
    (math.log10(8000), math.log(2), "log base 10"),
    (1 / 8000, math.log(2), "is the probability p"),
    (8000, math.log(2), "number of choices itself"),
    (-math.log(8000), math.log(2), "never negative"),
    (math.log(30522), math.log(2), "BERT-base's vocabulary"),
    (math.log(8000), 0.5, "is the probability p"),
    (math.log(8000), math.log10(2), "log base 10"),
    (math.log(8000), 1.0, "log base 2"),
    (math.log(2), math.log(8000), "swapped"),
    (math.log(8000), 0.1, "a uniform guess over 2 choices"),
])
def test_chance_losses_wrong_answers(mlm, nsp, hint):
    with pytest.raises(ExerciseError, match=hint.replace("(", r"\(").replace(")", r"\)")):
        check_chance_losses(mlm, nsp)
    assert status("check_chance_losses") == "failed"


@pytest.mark.parametrize("mlm, nsp, hint", [
    ("8.99", math.log(2), "must be a number"),
    (None, math.log(2), "must be a number"),
    (math.log(8000), ..., "chance_nsp_loss is still"),
    (torch.ones(3), math.log(2), "must be a number"),
])
def test_chance_losses_bad_types(mlm, nsp, hint):
    with pytest.raises(ExerciseError, match=hint.replace("`", ".")):
        check_chance_losses(mlm, nsp)


# --- exercise 2: masked-LM loss per example -----------------------------------------------------------
def per_example_right(logits, labels):
    B, T, V = logits.shape
    losses = F.cross_entropy(logits.reshape(-1, V), labels.reshape(-1), reduction="none").view(B, T)
    masked = labels != IGNORE_INDEX
    return losses.sum(1) / masked.sum(1)


def test_per_example_right_answer_and_stub(capsys):
    check_masked_lm_loss_per_example(per_example_right)
    assert status("check_masked_lm_loss_per_example") == "passed"
    check_masked_lm_loss_per_example(stub)
    assert status("check_masked_lm_loss_per_example") == "not attempted"
    assert "not attempted yet" in capsys.readouterr().out


def flat(logits, labels):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), reduction="none")


PER_EXAMPLE_WRONG = {
    "batch mean broadcast": (lambda lo, la: F.cross_entropy(lo.flatten(0, 1), la.flatten()).expand(lo.shape[0]),
                             "batch's pooled loss"),
    "batch mean scalar": (lambda lo, la: F.cross_entropy(lo.flatten(0, 1), la.flatten()),
                          "one number for the whole batch"),
    "divided by T": (lambda lo, la: flat(lo, la).view(la.shape).mean(1), "you divided by T"),
    "unmasked scored": (lambda lo, la: F.cross_entropy(lo.flatten(0, 1), la.clamp(min=0).flatten(),
                                                       reduction="none").view(la.shape).mean(1),
                        "unmasked ones included"),
    "sum": (lambda lo, la: flat(lo, la).view(la.shape).sum(1), "summed"),
    "flattened [B*T]": (lambda lo, la: flat(lo, la), "flattened"),
    "per position [B, T]": (lambda lo, la: flat(lo, la).view(la.shape), "one loss per position"),
    "softmax over positions": (lambda lo, la: -(F.log_softmax(lo, dim=1).gather(2, la.clamp(min=0)[..., None])[..., 0]
                                                * (la != IGNORE_INDEX)).sum(1) / (la != IGNORE_INDEX).sum(1),
                               "over the vocabulary"),
    "no reshape": (lambda lo, la: F.cross_entropy(lo, la, reduction="none").mean(1), "class dimension second"),
    "gather -100": (lambda lo, la: -F.log_softmax(lo, -1).gather(2, la[..., None]).mean((1, 2)),
                    "not a token id"),
    "divide by zero count": (lambda lo, la: flat(lo, la).view(la.shape).sum(1) / 0.0, "non-finite"),
}


@pytest.mark.parametrize("name", list(PER_EXAMPLE_WRONG))
def test_per_example_wrong_answers(name):
    fn, hint = PER_EXAMPLE_WRONG[name]
    with pytest.raises(ExerciseError, match=hint) as info:
        check_masked_lm_loss_per_example(fn)
    assert "Traceback" not in str(info.value)
    assert status("check_masked_lm_loss_per_example") == "failed"


@pytest.mark.parametrize("fn, hint", [
    (lambda lo, la: None, r"must return a tensor of shape \[B\].*NoneType"),
    (lambda lo, la: [0.0] * lo.shape[0], r"must return a tensor of shape \[B\].*list"),
    (lambda lo, la: 1 / 0, r"raised ZeroDivisionError.*must return a tensor of shape \[B\]"),
    (lambda lo, la: torch.zeros(lo.shape[0], 2), r"expected shape \(3,\).*got \(3, 2\)"),
    (lambda lo, la: per_example_right(lo, la) + 0.01, r"example \d.*got .*expected"),
])
def test_per_example_crash_cases(fn, hint):
    with pytest.raises(ExerciseError, match=hint):
        check_masked_lm_loss_per_example(fn)


# --- exercise 3: NSP loss from the margin -------------------------------------------------------------
def nsp_right(margin, labels):
    return F.binary_cross_entropy_with_logits(margin, labels.float())


def test_nsp_right_answers_and_stub(capsys):
    check_nsp_loss_from_margin(nsp_right)
    check_nsp_loss_from_margin(lambda m, y: (F.softplus(m) - y * m).mean())
    check_nsp_loss_from_margin(lambda m, y: F.cross_entropy(torch.stack([torch.zeros_like(m), m], 1), y))
    assert status("check_nsp_loss_from_margin") == "passed"
    check_nsp_loss_from_margin(stub)
    assert status("check_nsp_loss_from_margin") == "not attempted"
    assert "not attempted yet" in capsys.readouterr().out


NSP_WRONG = {
    "flipped sign": (lambda m, y: F.binary_cross_entropy_with_logits(-m, y.float()), "sign is flipped"),
    "flipped labels": (lambda m, y: F.binary_cross_entropy_with_logits(m, 1 - y.float()), "sign is flipped"),
    "sum": (lambda m, y: F.binary_cross_entropy_with_logits(m, y.float(), reduction="sum"), "summed"),
    "BCE without sigmoid": (lambda m, y: F.binary_cross_entropy(m, y.float()), "takes probabilities"),
    "long labels": (lambda m, y: F.binary_cross_entropy_with_logits(m, y), r"labels.float\(\)"),
    "cross_entropy on one logit": (lambda m, y: F.cross_entropy(m, y), r"needs \[B, C\] logits"),
    "unstable log sigmoid": (lambda m, y: -(y * torch.log(torch.sigmoid(m))
                                            + (1 - y) * torch.log(1 - torch.sigmoid(m))).mean(), "stable form"),
    "NLL without log-sigmoid": (lambda m, y: -(y * m - (1 - y) * m).mean(), "NLL without the log-sigmoid"),
    "NLL on the logit, label 1 only": (lambda m, y: -(y * m).mean(), "NLL without the log-sigmoid"),
    "probabilities averaged": (lambda m, y: -(y * torch.sigmoid(m) + (1 - y) * (1 - torch.sigmoid(m))).mean(),
                               "averaged probabilities"),
    "one minus p": (lambda m, y: (1 - (y * torch.sigmoid(m) + (1 - y) * (1 - torch.sigmoid(m)))).mean(),
                    "1 - p is not the loss"),
}


@pytest.mark.parametrize("name", list(NSP_WRONG))
def test_nsp_wrong_answers(name):
    fn, hint = NSP_WRONG[name]
    with pytest.raises(ExerciseError, match=hint):
        check_nsp_loss_from_margin(fn)
    assert status("check_nsp_loss_from_margin") == "failed"


@pytest.mark.parametrize("fn, hint", [
    (lambda m, y: None, "must return a scalar tensor.*NoneType"),
    (lambda m, y: 0.69, "must return a scalar tensor.*float"),
    (lambda m, y: F.binary_cross_entropy_with_logits(m, y.float(), reduction="none"), r"shape \(4,\)"),
    (lambda m, y: m.undefined_method(), "raised AttributeError"),
    (lambda m, y: nsp_right(m, y) + 0.01, "got .*expected .*two-class cross-entropy"),
])
def test_nsp_crash_cases(fn, hint):
    with pytest.raises(ExerciseError, match=hint):
        check_nsp_loss_from_margin(fn)


# --- exercise 4: the reference code's schedule --------------------------------------------------------
def reference_right(step, peak, warm, total):
    if step < warm:
        return peak * step / warm
    return peak * (1 - min(step, total) / total)


def test_schedule_right_answer_and_stub(capsys):
    check_reference_lr_schedule(reference_right)
    check_reference_lr_schedule(lambda s, p, w, t: torch.tensor(reference_right(s, p, w, t), dtype=torch.float64))
    assert status("check_reference_lr_schedule") == "passed"
    check_reference_lr_schedule(stub)
    assert status("check_reference_lr_schedule") == "not attempted"
    assert "not attempted yet" in capsys.readouterr().out


SCHEDULE_WRONG = {
    "bertbook's lr_at": (lr_at, "bertbook's schedule"),
    "a wrapper around lr_at": (lambda s, p, w, t: float(lr_at(s, p, w, t)), "bertbook's schedule"),
    "(step + 1) warm-up": (lambda s, p, w, t: p * (s + 1) / w if s < w else p * (1 - min(s, t) / t),
                           "step 0 has rate 0"),
    "decay from the end of warm-up": (lambda s, p, w, t: p * s / w if s < w else p * max(0.0, (t - s) / (t - w)),
                                      "decay starts at the end of warm-up"),
    "no clamp after total": (lambda s, p, w, t: p * s / w if s < w else p * (1 - s / t), "never negative"),
    "<= at the boundary": (lambda s, p, w, t: p * s / w if s <= w and w else p * (1 - min(s, t) / t),
                           "warm-up is over"),
    "no warm-up": (lambda s, p, w, t: p * (1 - min(s, t) / t), "still warm-up"),
    "warm-up of zero divides": (lambda s, p, w, t: p * s / w if s < w else p * (1 - min(s, t) / t) + 0 * (1 / w),
                                "means no warm-up"),
    "constant after warm-up": (lambda s, p, w, t: p * s / w if s < w else p, "decay phase"),
}


@pytest.mark.parametrize("name", list(SCHEDULE_WRONG))
def test_schedule_wrong_answers(name):
    fn, hint = SCHEDULE_WRONG[name]
    with pytest.raises(ExerciseError, match=hint):
        check_reference_lr_schedule(fn)
    assert status("check_reference_lr_schedule") == "failed"


def test_schedule_off_by_one_step_shows_enough_digits():
    """Off by one step at the end of a 1000-step schedule: the two rates differ in the 4th digit, and
    the message must show digits enough to see it (issue 16: '0.000989, expected 0.000989')."""
    def off_by_one(s, p, w, t):
        return reference_right(s + 1, p, w, t)
    with pytest.raises(ExerciseError) as info:
        check_reference_lr_schedule(off_by_one)
    got, want = [float(x) for x in info.value.args[0].split(" = ")[1].split(" (")[0].split(", expected ")]
    assert got != want


@pytest.mark.parametrize("fn, hint", [
    (lambda s, p, w, t: None, "as a number.*NoneType"),
    (lambda s, p, w, t: "0.001", "as a number.*str"),
    (lambda s, p, w, t: [p], "as a number.*list"),
    (lambda s, p, w, t: {}[s], "raised KeyError"),
])
def test_schedule_crash_cases(fn, hint):
    with pytest.raises(ExerciseError, match=hint):
        check_reference_lr_schedule(fn)
