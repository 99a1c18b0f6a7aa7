"""Lesson 3's exercise checks: every listed wrong answer gets its own hint, crashes become
ExerciseError with a clear message, the right answer passes and an untouched stub is "not attempted"."""
import math

import pytest
import torch
import torch.nn.functional as F

from bertbook.exercises import ExerciseError, results
from bertbook.exercises import attention as ex


def _stub(*args):
    raise NotImplementedError


def _scores(q, k):
    return q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))


def _softmax(s, dim=-1):
    e = (s - s.amax(dim, keepdim=True)).exp()
    return e / e.sum(dim, keepdim=True)


def right_attention(q, k, v):
    return _softmax(_scores(q, k)) @ v


def no_max(q, k, v):
    e = _scores(q, k).exp()
    return e / e.sum(-1, keepdim=True) @ v


def global_max(q, k, v):
    s = _scores(q, k)
    e = (s - s.max()).exp()
    return e / e.sum(-1, keepdim=True) @ v


def max_without_keepdim(q, k, v):
    s = _scores(q, k)
    e = (s - s.amax(-1)).exp()
    return e / e.sum(-1, keepdim=True) @ v


def sum_without_keepdim(q, k, v):
    s = _scores(q, k)
    e = (s - s.amax(-1, keepdim=True)).exp()
    return e / e.sum(-1) @ v


def with_dot_t(q, k, v):            # right on 2-D inputs, a torch size error on 4-D ones
    return _softmax(q @ k.T / math.sqrt(q.size(-1))) @ v


def _assert_hint(check, answer, *words):
    with pytest.raises(ExerciseError) as info:
        check(answer)
    message = str(info.value)
    for word in words:
        assert word in message, message
    return message


# --- exercise 1 --------------------------------------------------------------------------------------

@pytest.mark.parametrize("answer, words", [
    (lambda q, k, v: _softmax(q @ k.transpose(-2, -1)) @ v, ["forgot to divide", "sqrt(d_k)"]),
    (lambda q, k, v: _softmax(q @ k.transpose(-2, -1) / q.size(-1)) @ v, ["not by d_k"]),
    (lambda q, k, v: _softmax(_scores(q, k), dim=-2) @ v, ["wrong axis", "dim=-1"]),
    (lambda q, k, v: _softmax(_scores(q, k)), ["attention weights", "(2, 3, 5, 5)"]),
    (max_without_keepdim, ["batch = heads = T", "keepdim=True"]),
    (sum_without_keepdim, ["row sum", "keepdim=True"]),
    (no_max, ["overflow", "88.7", "max"]),
    (global_max, ["one max for the whole tensor", "own max"]),
    (lambda q, k, v: torch.softmax(_scores(q, k), -1) @ v, ["softmax", "write the softmax yourself"]),
    (lambda q, k, v: F.scaled_dot_product_attention(q, k, v), ["scaled_dot_product_attention"]),
    (lambda q, k, v: _scores(q, k).softmax(-1) @ v, ["softmax"]),
    (lambda q, k, v: torch.special.softmax(_scores(q, k), -1) @ v, ["softmax", "write the softmax yourself"]),
    (lambda q, k, v: torch.nn.Softmax(dim=-1)(_scores(q, k)) @ v, ["softmax", "write the softmax yourself"]),
    (lambda q, k, v: right_attention(q, k, v) + 0.01, ["wrong values", "0.010000"]),
])
def test_attention_wrong_answers(answer, words):
    _assert_hint(ex.check_attention, answer, *words)


def test_attention_with_dot_t_says_the_check_is_batched():
    x = torch.randn(5, 4)
    assert torch.allclose(with_dot_t(x, x, x), right_attention(x, x, x))      # fine in 2-D, as in the lesson
    message = _assert_hint(ex.check_attention, with_dot_t, "batched", "(2, 3, 5, 4)", "k.transpose(-2, -1)",
                           "works on 2-D", "reverses *all* axes")
    assert "size of tensor" in message        # torch's own words, quoted, not raised


def test_bertbook_attention_is_refused_as_a_wrapper():
    from bertbook import scaled_dot_product_attention
    _assert_hint(ex.check_attention, lambda q, k, v: scaled_dot_product_attention(q, k, v)[0], "softmax")


@pytest.mark.parametrize("answer, words", [
    (lambda q, k, v: None, ["torch.Tensor", "None", "return"]),
    (lambda q, k, v: [1.0], ["torch.Tensor", "list"]),
    (lambda q, k, v: torch.zeros(3), ["shape", "(2, 3, 5, 4)", "(3,)"]),
    (lambda q, k, v: q.reshape(-1) @ k, ["raised", "(2, 3, 5, 4)"]),
    (lambda q, k, v: torch.full_like(q, float("nan")), ["NaN"]),
])
def test_attention_crash_cases(answer, words):
    _assert_hint(ex.check_attention, answer, *words)


def test_attention_right_answer_and_stub(capsys):
    ex.check_attention(right_attention)
    ex.check_attention(lambda q, k, v: (right_attention(q, k, v), None))      # (output, weights) is fine
    assert "correct" in capsys.readouterr().out
    ex.check_attention(_stub)
    assert results()["check_attention"]["status"] == "not attempted"


# --- exercise 2 --------------------------------------------------------------------------------------

@pytest.mark.parametrize("answer, words", [
    (lambda t: torch.ones(t, t, dtype=torch.bool).triu(), ["transposed"]),
    (lambda t: torch.ones(t, t, dtype=torch.bool).tril(-1), ["itself", "diagonal"]),
    (lambda t: torch.ones(t, t).tril(), ["boolean", "torch.float32"]),
    (lambda t: torch.ones(t, t, dtype=torch.bool), ["bidirectional"]),
    (lambda t: ~torch.ones(t, t, dtype=torch.bool).tril(), ["swapped"]),
    (lambda t: torch.ones(t, dtype=torch.bool), ["shape", "(4, 4)"]),
    (lambda t: None, ["torch.Tensor", "None"]),
    (lambda t: torch.ones(t, t, dtype=torch.bool).tril(1), ["must not attend"]),
])
def test_causal_mask_wrong_answers(answer, words):
    _assert_hint(ex.check_causal_mask, answer, *words)


def test_causal_mask_right_answer_stub_and_raise(capsys):
    ex.check_causal_mask(lambda t: torch.ones(t, t, dtype=torch.bool).tril())
    assert "correct" in capsys.readouterr().out
    ex.check_causal_mask(_stub)
    assert results()["check_causal_mask"]["status"] == "not attempted"
    _assert_hint(ex.check_causal_mask, lambda t: torch.tril(t), "raised TypeError")


# --- exercise 3 (predict) ------------------------------------------------------------------------

RIGHT_COUNT = 8 * 12 * 128 * 128


@pytest.mark.parametrize("count, growth, words", [
    (8 * 128 * 128, 16, ["every head", "12 heads"]),
    (12 * 128 * 128, 16, ["one sentence", "8"]),
    (128 * 128, 16, ["one head of one sentence"]),
    (8 * 12 * 128 * 64, 16, ["size of Q", "[batch, heads, T, T]"]),
    (8 * 12 * 128, 16, ["every* key"]),
    (12 * RIGHT_COUNT, 16, ["all 12 layers"]),
    (1234, 16, ["1,234", "[batch, heads, T_q, T_k]"]),
    (RIGHT_COUNT, 4, ["4 x 4"]),
    (RIGHT_COUNT, 64, ["T appears twice"]),
    (RIGHT_COUNT, 2, ["factor 4"]),
    ("1572864", 16, ["should be a number", "str"]),
    (RIGHT_COUNT, None, ["growth_factor", "NoneType"]),
])
def test_weight_count_wrong_answers(count, growth, words):
    with pytest.raises(ExerciseError) as info:
        ex.check_attention_weight_count(count, growth)
    for word in words:
        assert word in str(info.value), str(info.value)


def test_weight_count_right_answer_and_stub(capsys):
    ex.check_attention_weight_count(RIGHT_COUNT, 16)
    ex.check_attention_weight_count(8 * 12 * 128 ** 2, 16.0)
    assert "correct" in capsys.readouterr().out
    ex.check_attention_weight_count(..., ...)
    assert results()["check_attention_weight_count"]["status"] == "not attempted"
    with pytest.raises(ExerciseError, match="growth_factor is still"):
        ex.check_attention_weight_count(RIGHT_COUNT, ...)


# --- exercise 4 --------------------------------------------------------------------------------------

def right_head_weights(w, head, num_heads):
    hidden = w.shape[1]
    d = hidden // num_heads
    return tuple(w[p * hidden + head * d: p * hidden + (head + 1) * d] for p in range(3))


def no_offset(w, head, num_heads):
    d = w.shape[1] // num_heads
    rows = w[head * d:(head + 1) * d]
    return rows, rows, rows


def interleaved(w, head, num_heads):
    hidden = w.shape[1]
    return tuple(w[p * hidden:(p + 1) * hidden][head::num_heads] for p in range(3))


def per_head_layout(w, head, num_heads):
    hidden = w.shape[1]
    v = w.view(num_heads, 3, hidden // num_heads, hidden)
    return v[head, 0], v[head, 1], v[head, 2]


def columns(w, head, num_heads):
    d = w.shape[1] // num_heads
    return tuple(w[:, head * d:(head + 1) * d].T for _ in range(3))


def off_by_one(w, head, num_heads):
    return right_head_weights(w, head - 1, num_heads)


def swapped_q_k(w, head, num_heads):
    q, k, v = right_head_weights(w, head, num_heads)
    return k, q, v


@pytest.mark.parametrize("answer, words", [
    (no_offset, ["W_k", "rows of W_q", "[q | k | v]", "12"]),
    (interleaved, ["interleaved", "contiguous"]),
    (per_head_layout, ["per-head [q k v] layout"]),
    (columns, ["rows, not columns", "(4, 12)"]),
    (off_by_one, ["off by one head", "head 0"]),
    (swapped_q_k, ["your W_q holds the rows of W_k"]),
    (lambda w, h, n: right_head_weights(w, h, n)[:2], ["three tensors", "length 2"]),
    (lambda w, h, n: None, ["three tensors", "None"]),
    (lambda w, h, n: (w, w, w), ["shape", "(4, 12)", "(36, 12)"]),
    (lambda w, h, n: ([1.0], [2.0], [3.0]), ["torch.Tensor", "list"]),
    (lambda w, h, n: w.view(5, 7), ["raised RuntimeError"]),
])
def test_head_weights_wrong_answers(answer, words):
    _assert_hint(ex.check_head_weights, answer, *words)


def test_head_weights_right_answer_and_stub(capsys):
    ex.check_head_weights(right_head_weights)
    assert "correct" in capsys.readouterr().out
    ex.check_head_weights(_stub)
    assert results()["check_head_weights"]["status"] == "not attempted"


# --- exercise 5 --------------------------------------------------------------------------------------

@pytest.mark.parametrize("answer, words", [
    (lambda m: (m.float() * -10000.0)[:, None, None, :], ["backwards"]),
    (lambda m: m.float()[:, None, None, :], ["1/0 mask as floats"]),
    (lambda m: (1.0 - m.float()) * -10000.0, ["(2, 5)", "[batch, 1, 1, T]", "last* axes"]),
    (lambda m: ((1.0 - m.float()) * -1.0)[:, None, None, :], ["-1", "not negative enough", "e^(-1)"]),
    (lambda m: ((1.0 - m.float()) * -100.0)[:, None, None, :], ["-100", "not negative enough"]),
    (lambda m: (m == 0)[:, None, None, :], ["boolean"]),
    (lambda m: ((1 - m) * -10000)[:, None, None, :], ["float", "torch.int64"]),
    (lambda m: (1.0 - m.float() * 2)[:, None, None, :], ["exactly 0.0"]),
    (lambda m: ((1.0 - m.float()) * -10000.0)[None, :, None, :], ["(1, 2, 1, 5)"]),
    (lambda m: None, ["torch.Tensor", "None"]),
    (lambda m: m.view(3, 3), ["raised RuntimeError"]),
])
def test_additive_mask_wrong_answers(answer, words):
    _assert_hint(ex.check_additive_mask, answer, *words)


@pytest.mark.parametrize("fill", [-10000.0, torch.finfo(torch.float32).min, float("-inf")])
def test_additive_mask_right_answers_and_stub(fill, capsys):
    ex.check_additive_mask(lambda m: torch.zeros(m.shape).masked_fill(m == 0, fill)[:, None, None, :])
    assert "correct" in capsys.readouterr().out
    ex.check_additive_mask(_stub)
    assert results()["check_additive_mask"]["status"] == "not attempted"
