"""Lesson 2's self-checks, as a table per exercise: a right answer passes, the untouched stub is
"not attempted", every common wrong answer gets ExerciseError with the hint that names its
misconception, and a student's function that crashes or returns the wrong type or shape gets a
clear ExerciseError, never a raw exception."""
import math

import pytest
import torch
import torch.nn.functional as F

from bertbook.exercises import ExerciseError, results
from bertbook.exercises import positional_encoding as ex


def stub(*args):
    raise NotImplementedError


def assert_not_attempted(capsys, name):
    assert "not attempted yet" in capsys.readouterr().out
    assert results()[name]["status"] == "not attempted"


# --------------------------------------------------------------------------------------------
# exercise 1: predict which output vectors change when dog and man swap places

def test_order_prediction_right_answer_and_stub(capsys):
    ex.check_order_prediction(2, 7)
    assert "correct" in capsys.readouterr().out
    ex.check_order_prediction(..., ...)
    assert_not_attempted(capsys, "check_order_prediction")


def test_order_prediction_matches_a_real_model():
    """The graded counts are what a tiny BERT does, with and without its position table."""
    from bertbook import BertConfig, BertModel, encode, load_tokenizer
    tok = load_tokenizer("bertbook")
    a, b = (encode(tok, s)["input_ids"] for s in ex.ORDER_SENTENCES)
    assert a.shape == (1, ex.ORDER_POSITIONS)
    torch.manual_seed(1)
    model = BertModel(BertConfig.preset("tiny")).eval()

    def changed():
        with torch.no_grad():
            x, y = model(a).last_hidden_state[0], model(b).last_hidden_state[0]
        return sum(not torch.allclose(x[t], y[t], atol=1e-5) for t in range(x.shape[0]))
    assert changed() == ex.ORDER_POSITIONS
    with torch.no_grad():
        model.embeddings.position_embeddings.weight.zero_()
    assert changed() == ex.ORDER_SWAPPED


@pytest.mark.parametrize("without, with_, hint", [
    (0, 7, "EQUIVARIANT, not invariant"),              # "without positions nothing changes"
    (0, 0, "EQUIVARIANT, not invariant"),
    (7, 7, "attends to the same SET of tokens"),        # "everything changes either way"
    (5, 7, "attends to the same SET of tokens"),
    (1, 7, "count the positions whose TOKEN differs"),
    (2, 2, "even the tokens that stay in place"),       # "with positions only the swapped words change"
    (2, 5, "even the tokens that stay in place"),
    (2, 6, "count again"),
])
def test_order_prediction_wrong_answers(without, with_, hint):
    with pytest.raises(ExerciseError, match=hint):
        ex.check_order_prediction(without, with_)


@pytest.mark.parametrize("without, with_, message", [
    (True, False, "must be a count of positions .* got bool"),
    ("two", 7, "must be a count of positions .* got str"),
    (None, 7, "must be a count of positions .* got NoneType"),
    (2, 9, "only 7 positions"),
    (-1, 7, "only 7 positions"),
    (2, ..., "changed_with_positions is still `...`"),
])
def test_order_prediction_malformed_answers(without, with_, message):
    with pytest.raises(ExerciseError, match=message):
        ex.check_order_prediction(without, with_)


def test_order_prediction_accepts_whole_floats_and_numpy_ints(capsys):
    import numpy as np
    ex.check_order_prediction(2.0, np.int64(7))
    assert "correct" in capsys.readouterr().out


# --------------------------------------------------------------------------------------------
# exercise 2: the sinusoidal table, for any base

def math_pe(n, d, base, *, sin_first=True, power=lambda j: 2 * (j // 2), shift=0):
    return [[((math.sin if (j % 2 == 0) == sin_first else math.cos)((p + shift) / base ** (power(j) / d)))
             for j in range(d)] for p in range(n)]


def test_positional_encoding_right_answer_and_stub(capsys):
    ex.check_positional_encoding(math_pe)
    assert "correct" in capsys.readouterr().out
    ex.check_positional_encoding(lambda n, d, base: torch.tensor(math_pe(n, d, base), dtype=torch.float32))
    ex.check_positional_encoding(stub)
    assert_not_attempted(capsys, "check_positional_encoding")


def concatenated(n, d, base):
    t = torch.tensor(math_pe(n, d, base), dtype=torch.float64)
    return torch.cat([t[:, 0::2], t[:, 1::2]], dim=1)


@pytest.mark.parametrize("wrong, hint", [
    (lambda n, d, base: math_pe(n, d, base, sin_first=False), "sin and cos are swapped"),
    (lambda n, d, base: math_pe(n, d, base, power=lambda j: j), "uses the dimension j itself"),
    (lambda n, d, base: math_pe(n, d, base, power=lambda j: 2 * j), "the exponent is 2j/d"),
    (lambda n, d, base: math_pe(n, d, base, power=lambda j: j // 2), "the exponent is i/d"),
    (lambda n, d, base: math_pe(n, d, base, shift=1), "positions start at 1"),
    (lambda n, d, base: [[(math.sin if j % 2 == 0 else math.cos)(p * base ** (2 * (j // 2) / d)) for j in range(d)]
                         for p in range(n)], "multiply"),
    (lambda n, d, base: math_pe(n, d, 10000), "you used 10000 where the base goes: this call has base = 100"),
    (lambda n, d, base: __import__("bertbook").sinusoidal_positional_encoding(n, d), "you used 10000 where the base goes"),
    (concatenated, "all the sines come first"),
    (lambda n, d, base: torch.tensor(math_pe(n, d, base)).T, "transposed"),
    (lambda n, d, base: math_pe(n + 1, d, base), r"has shape \(7, 4\); it must be \[max_len, d_model\] = \[6, 4\]"),
    (lambda n, d, base: torch.tensor(math_pe(n, d, base)) * 1.01, r"is -?\d\.\d{6}, should be -?\d\.\d{6}"),
])
def test_positional_encoding_wrong_answers(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        ex.check_positional_encoding(wrong)


@pytest.mark.parametrize("crash, message", [
    (lambda n, d, base: None, "returned None.*did you forget `return`"),
    (lambda n, d, base: "pe", "must return the .* table as a tensor.*got str"),
    (lambda n, d, base: [[0.0] * d, [0.0]], "must return the .* table as a tensor"),               # ragged lists
    (lambda n, d, base: math_pe(n, d, base)[0][n + d], "raised IndexError"),
    (lambda n, d: math_pe(n, d, 10000), "raised TypeError"),                                       # no base argument
])
def test_positional_encoding_crash_cases(crash, message):
    with pytest.raises(ExerciseError, match=message):
        ex.check_positional_encoding(crash)


# --------------------------------------------------------------------------------------------
# exercise 3: the offset matrix

def offset(k, d, *, two=True, flip=False):
    m = torch.zeros(d, d, dtype=torch.float64)
    for i in range(d // 2):
        w = 10000 ** (-(2 * i if two else i) / d)
        c, s = math.cos(k * w), math.sin(k * w)
        if flip:
            s = -s
        m[2 * i, 2 * i], m[2 * i, 2 * i + 1], m[2 * i + 1, 2 * i], m[2 * i + 1, 2 * i + 1] = c, s, -s, c
    return m


def test_offset_matrix_right_answer_and_stub(capsys):
    ex.check_offset_matrix(offset)
    assert "correct" in capsys.readouterr().out
    ex.check_offset_matrix(lambda k, d: offset(k, d).tolist())                  # nested lists are fine
    ex.check_offset_matrix(stub)
    assert_not_attempted(capsys, "check_offset_matrix")


@pytest.mark.parametrize("wrong, hint", [
    (lambda k, d: offset(k, d, flip=True), "rotates the wrong way"),            # the transposed blocks
    (lambda k, d: offset(abs(k), d), r"with k=-2.*you used \|k\|"),             # only right for k >= 0
    (lambda k, d: torch.eye(d), "That is the identity"),
    (lambda k, d: offset(k, d, two=False), "you left out the 2"),
    (lambda k, d: offset(k, d) + 0.1, "block-diagonal"),                        # mixes different pairs
    (lambda k, d: offset(k, d) * 1.5, r"sin\(w\(p\+k\)\) = sin wp cos wk"),      # right pattern, wrong numbers
])
def test_offset_matrix_wrong_answers(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        ex.check_offset_matrix(wrong)


@pytest.mark.parametrize("crash, message", [
    (lambda k, d: offset(k, d)[:2, :2], r"has shape \(2, 2\).*one 2x2 block"),
    (lambda k, d: torch.eye(d + 1), r"has shape \(17, 17\); it must be \[d_model, d_model\] = \[16, 16\]"),
    (lambda k, d: None, "returned None"),
    (lambda k, d: {"k": k}, "must return the .* matrix as a tensor"),
    (lambda k, d: offset(k, d) @ torch.ones(3), "raised RuntimeError"),
])
def test_offset_matrix_crash_cases(crash, message):
    with pytest.raises(ExerciseError, match=message):
        ex.check_offset_matrix(crash)


# --------------------------------------------------------------------------------------------
# exercise 4: the input embeddings with explicit position ids

def input_embeddings(e, ids, segments, positions):
    x = e.word_embeddings.weight[ids] + e.position_embeddings.weight[positions] + e.token_type_embeddings.weight[segments]
    return F.layer_norm(x, (x.shape[-1],), e.LayerNorm.weight, e.LayerNorm.bias, e.LayerNorm.eps)


def test_input_embeddings_right_answer_and_stub(capsys, minilm):
    ex.check_input_embeddings(input_embeddings)
    assert "correct" in capsys.readouterr().out
    ex.check_input_embeddings(input_embeddings, minilm.embeddings)            # the lesson's call
    ex.check_input_embeddings(lambda e, i, s, p: e.LayerNorm(e.word_embeddings(i) + e.position_embeddings(p)
                                                             + e.token_type_embeddings(s)))
    ex.check_input_embeddings(stub)
    assert_not_attempted(capsys, "check_input_embeddings")


def test_input_embeddings_leaves_the_module_usable(minilm):
    """The check patches a copy, not the student's module."""
    ids = torch.tensor([[101, 2009, 102]])
    before = minilm.embeddings(ids)
    ex.check_input_embeddings(input_embeddings, minilm.embeddings)
    assert torch.equal(minilm.embeddings(ids), before)


arange = lambda e, i: e.position_embeddings(torch.arange(i.shape[1]))


@pytest.mark.parametrize("wrong, hint", [
    (lambda e, i, s, p: e(i, s), r"calls the embedding module itself \(emb\(\.\.\.\)\)"),      # the module's forward
    (lambda e, i, s, p: e.LayerNorm(e.word_embeddings(i) + arange(e, i) + e.token_type_embeddings(s)),
     "you used positions 0, 1, 2, ... for every row"),                                          # ignores position_ids
    (lambda e, i, s, p: e.word_embeddings(i) + e.position_embeddings(p) + e.token_type_embeddings(s),
     "BERT then applies LayerNorm"),
    (lambda e, i, s, p: F.layer_norm(e.word_embeddings(i) + e.position_embeddings(p) + e.token_type_embeddings(s),
                                     (e.LayerNorm.normalized_shape[0],)), "learned scale and shift"),
    (lambda e, i, s, p: e.LayerNorm(e.word_embeddings(i) + e.position_embeddings(p)), "segment embedding is missing"),
    (lambda e, i, s, p: e.LayerNorm(e.word_embeddings(i) + e.token_type_embeddings(s)), "position embedding is missing"),
    (lambda e, i, s, p: e.LayerNorm(e.position_embeddings(p) + e.token_type_embeddings(s)), "word embedding is missing"),
    (lambda e, i, s, p: e.LayerNorm(e.word_embeddings(i) + e.position_embeddings(s) + e.token_type_embeddings(p)),
     "Index each table with its own ids"),                                                      # tables swapped
    (lambda e, i, s, p: input_embeddings(e, i, s, p) * 1.1, r"max difference 0\.\d{6}"),
])
def test_input_embeddings_wrong_answers(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        ex.check_input_embeddings(wrong)


@pytest.mark.parametrize("crash, message", [
    (lambda e, i, s, p: None, r"returned None; return the \[batch, seq, hidden\] = \[2, 7, 128\] tensor"),
    (lambda e, i, s, p: input_embeddings(e, i, s, p)[0], r"has shape \[7, 128\]; it must be .* = \[2, 7, 128\]"),
    (lambda e, i, s, p: input_embeddings(e, i, s, p).tolist(), "return a torch.Tensor of shape .* got list"),
    (lambda e, i, s, p: 1 / 0, "raised ZeroDivisionError"),
    (lambda e, i, s: e.LayerNorm(e.word_embeddings(i)), "raised TypeError"),                  # the old signature
])
def test_input_embeddings_crash_cases(crash, message):
    with pytest.raises(ExerciseError, match=message):
        ex.check_input_embeddings(crash)
