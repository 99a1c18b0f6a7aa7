"""Lesson 7's exercise checks: every listed wrong answer gets its own hint, crashes become clear
ExerciseErrors (never a raw exception), the right answer passes and an untouched stub is "not
attempted yet". Each table row is a student's likely attempt, written as they would write it."""
import numpy as np
import pytest
import torch

from bertbook.exercises import ExerciseError, results
from bertbook.exercises.exploring import (check_gradient_x_input, check_layer0_prediction, check_mlm_labels,
                                          check_offset_score)

IGNORE = -100


def _stub(*args):
    raise NotImplementedError


def _status(name):
    return results()[name]["status"]


# --- predict: the layer-0 readout ------------------------------------------------------------------
def test_layer0_prediction_right_and_stub(capsys):
    check_layer0_prediction("a")
    check_layer0_prediction(" (A) ")
    assert "correct" in capsys.readouterr().out and _status("check_layer0_prediction") == "passed"
    check_layer0_prediction(...)
    assert "not attempted" in capsys.readouterr().out


@pytest.mark.parametrize("answer, words", [
    ("b", "before the first one"),
    ("c", "no information moves between positions"),
    ("d", "peaked distribution"),
    ("e", "one of the letters a, b, c, d"),
    (2, "one letter as a string"),
    (None, "one letter as a string"),
])
def test_layer0_prediction_wrong_answers(answer, words):
    with pytest.raises(ExerciseError, match=words):
        check_layer0_prediction(answer)


# --- MLM labels ------------------------------------------------------------------------------------
def right_labels(orig, inp, sel):
    return [t if i in sel else IGNORE for i, t in enumerate(orig)]


def test_mlm_labels_right_answers_pass(capsys):
    check_mlm_labels(right_labels)
    check_mlm_labels(lambda o, x, s: torch.tensor(right_labels(o, x, s)))          # a tensor is fine too
    assert capsys.readouterr().out.count("correct") == 2


def test_mlm_labels_stub_is_not_attempted(capsys):
    check_mlm_labels(_stub)
    assert "not attempted" in capsys.readouterr().out and _status("check_mlm_labels") == "not attempted"


@pytest.mark.parametrize("attempt, words", [
    (lambda o, x, s: [IGNORE if i in s else t for i, t in enumerate(o)], "inverted"),
    (lambda o, x, s: [t if (i - 1 in s or i + 1 in s) else IGNORE for i, t in enumerate(o)], "around"),
    (lambda o, x, s: [t if x[i] == 1 else IGNORE for i, t in enumerate(o)], "only where the input shows \\[MASK\\]"),
    (lambda o, x, s: [t if x[i] != t else IGNORE for i, t in enumerate(o)], "differs from the original"),
    (lambda o, x, s: [x[i] if i in s else IGNORE for i in range(len(o))], "corrupted"),
    (lambda o, x, s: list(o), "every token has a label"),
    (lambda o, x, s: [t if i in s else 0 for i, t in enumerate(o)], "not 0"),
    (lambda o, x, s: [1 if i in s else 0 for i in range(len(o))], "0/1 mask"),
    (lambda o, x, s: [t if i in s[-1:] else IGNORE for i, t in enumerate(o)], "expected \\[-100, 17"),   # unrecognised
])
def test_mlm_labels_wrong_answers(attempt, words):
    with pytest.raises(ExerciseError, match=words):
        check_mlm_labels(attempt)
    assert _status("check_mlm_labels") == "failed"


def _raises(o, x, s):
    return o[len(o) + 3]


@pytest.mark.parametrize("attempt, words", [
    (_raises, "mlm_labels raised IndexError"),
    (lambda o, x, s: None, "got NoneType"),
    (lambda o, x, s: right_labels(o, x, s)[:-1], "one label per token \\(8 here\\); got 7"),
    (lambda o, x, s: torch.tensor([right_labels(o, x, s)]), "shape \\(1, 8\\)"),
    (lambda o, x, s: [str(t) for t in right_labels(o, x, s)], "must be an int"),
    (lambda o, x, s: {i: t for i, t in enumerate(o)}, "got dict"),
])
def test_mlm_labels_crashes_become_clear_errors(attempt, words):
    with pytest.raises(ExerciseError, match=words):
        check_mlm_labels(attempt)


# --- gradient x input ------------------------------------------------------------------------------
def _grad(f, x):
    x = x.clone().requires_grad_(True)
    f(x).backward()
    return x.grad, x.detach()


def right_gxi(f, x):
    g, x = _grad(f, x)
    return (g * x).sum(-1)


def test_gradient_x_input_right_answers_pass(capsys):
    check_gradient_x_input(right_gxi)
    check_gradient_x_input(lambda f, x: right_gxi(f, x).numpy())                      # numpy is fine too
    check_gradient_x_input(lambda f, x: torch.autograd.grad(f(x.requires_grad_()), x)[0].mul(x).sum(1))
    assert capsys.readouterr().out.count("correct") == 3


def test_gradient_x_input_stub_is_not_attempted(capsys):
    check_gradient_x_input(_stub)
    assert "not attempted" in capsys.readouterr().out


@pytest.mark.parametrize("attempt, words", [
    (lambda f, x: _grad(f, x)[0].sum(-1), "gradient alone"),
    (lambda f, x: _grad(f, x)[0].norm(dim=-1), "size of the gradient"),
    (lambda f, x: (_grad(f, x)[0] * x).abs().sum(-1), "absolute values before summing"),
    (lambda f, x: right_gxi(f, x).abs(), "Keep the sign"),
    (lambda f, x: (_grad(f, x)[0] * x).norm(dim=-1), "length of the vector"),
    (lambda f, x: x.sum(-1), "no gradient"),
    (lambda f, x: right_gxi(f, x) * 2, "expected \\["),                                 # unrecognised
])
def test_gradient_x_input_wrong_answers(attempt, words):
    with pytest.raises(ExerciseError, match=words):
        check_gradient_x_input(attempt)


def _no_requires_grad(f, x):
    f(x).backward()
    return x.grad * x


@pytest.mark.parametrize("attempt, words", [
    (_no_requires_grad, "x does not require a gradient"),
    (lambda f, x: 1 / 0, "raised ZeroDivisionError"),
    (lambda f, x: None, "returned None"),
    (lambda f, x: _grad(f, x)[0] * x, "got \\[5, 4\\]: that is grad \\* x per hidden dimension"),
    (lambda f, x: (_grad(f, x)[0] * x).sum(0), "you summed over the tokens"),
    (lambda f, x: (_grad(f, x)[0] * x).sum(), "got one number"),
    (lambda f, x: "scores", "got str"),
    (lambda f, x: [[1.0, 2.0]], "one number per token"),
])
def test_gradient_x_input_crashes_become_clear_errors(attempt, words):
    with pytest.raises(ExerciseError, match=words):
        check_gradient_x_input(attempt)


# --- offset score ----------------------------------------------------------------------------------
def right_offset(a, k):
    return float(np.diagonal(a, k).mean())


def test_offset_score_right_answers_pass(capsys):
    check_offset_score(right_offset)
    check_offset_score(lambda a, k: np.mean([a[i, i + k] for i in range(len(a)) if 0 <= i + k < len(a)]))
    assert capsys.readouterr().out.count("correct") == 2


def test_offset_score_stub_is_not_attempted(capsys):
    check_offset_score(_stub)
    assert "not attempted" in capsys.readouterr().out


@pytest.mark.parametrize("attempt, words", [
    (lambda a, k: float(np.diagonal(a, -k).mean()), "wrong side"),
    (lambda a, k: float(np.diagonal(a.T, k).mean()), "wrong side"),                 # rows and columns swapped
    (lambda a, k: float(np.diagonal(a, k).sum()), "that is the sum"),
    (lambda a, k: float(np.diagonal(a, k).sum() / len(a)), "you divided by T"),
    (lambda a, k: float(np.mean([a[i, (i + k) % len(a)] for i in range(len(a))])), "wrap around"),
    (lambda a, k: float(np.diagonal(a, -1).mean()), "always the previous-token score"),
    (lambda a, k: float(np.diagonal(a, k).max()), "expected 0\\.\\d{6}, got"),             # unrecognised
])
def test_offset_score_wrong_answers(attempt, words):
    with pytest.raises(ExerciseError, match=words):
        check_offset_score(attempt)


@pytest.mark.parametrize("attempt, words", [
    (lambda a, k: a[len(a) + 1, 0], "offset_score raised IndexError"),
    (lambda a, k: None, "returned None"),
    (lambda a, k: np.diagonal(a, k), "got an array of shape"),
    (lambda a, k: "high", "got str"),
])
def test_offset_score_crashes_become_clear_errors(attempt, words):
    with pytest.raises(ExerciseError, match=words):
        check_offset_score(attempt)
