"""Lesson 4's self-checks: every listed wrong answer gets its own hint, crashes become clear
messages, the right answer passes and an untouched stub is "not attempted"."""
import math

import pytest
import torch
import torch.nn.functional as F

from bertbook import BertConfig
from bertbook.exercises import ExerciseError, results
from bertbook.exercises import encoder as ex4


def status(check):
    return results()[check.__name__]["status"]


# --- 1. feed_forward ------------------------------------------------------------------------------

def right_ffn(x, w1, b1, w2, b2):
    return F.gelu(x @ w1.T + b1) @ w2.T + b2


FFN_WRONG = [
    ("relu", lambda x, w1, b1, w2, b2: F.relu(x @ w1.T + b1) @ w2.T + b2, "ReLU"),
    ("tanh GELU", lambda x, w1, b1, w2, b2: F.gelu(x @ w1.T + b1, approximate="tanh") @ w2.T + b2, "tanh approximation"),
    ("sigmoid GELU", lambda x, w1, b1, w2, b2: (lambda h: h * torch.sigmoid(1.702 * h))(x @ w1.T + b1) @ w2.T + b2,
     "sigmoid approximation"),
    ("no activation", lambda x, w1, b1, w2, b2: (x @ w1.T + b1) @ w2.T + b2, "collapse into one"),
    ("GELU at the end", lambda x, w1, b1, w2, b2: F.gelu((x @ w1.T + b1) @ w2.T + b2), "between the two Linears"),
    ("GELU twice", lambda x, w1, b1, w2, b2: F.gelu(F.gelu(x @ w1.T + b1) @ w2.T + b2), "no activation after it"),
    ("no biases", lambda x, w1, b1, w2, b2: F.gelu(x @ w1.T) @ w2.T, "both biases"),
    ("no b2", lambda x, w1, b1, w2, b2: F.gelu(x @ w1.T + b1) @ w2.T, "output bias b2"),
    ("no b1", lambda x, w1, b1, w2, b2: F.gelu(x @ w1.T) @ w2.T + b2, "inner bias b1"),
    ("untransposed w1", lambda x, w1, b1, w2, b2: F.gelu(x @ w1 + b1) @ w2 + b2, "x @ w.T + b"),
    ("untransposed w2", lambda x, w1, b1, w2, b2: F.gelu(x @ w1.T + b1) @ w2 + b2, "[out, in]"),
    ("stops after the first Linear", lambda x, w1, b1, w2, b2: F.gelu(x @ w1.T + b1), "second Linear (I -> H) is missing"),
    ("something else", lambda x, w1, b1, w2, b2: right_ffn(x, w1, b1, w2, b2) + 0.01, "wrong values"),
]


@pytest.mark.parametrize("name,fn,hint", FFN_WRONG, ids=[w[0] for w in FFN_WRONG])
def test_feed_forward_wrong_answers_get_their_hint(name, fn, hint):
    with pytest.raises(ExerciseError, match=None) as e:
        ex4.check_feed_forward(fn)
    assert hint in str(e.value), str(e.value)
    assert status(ex4.check_feed_forward) == "failed"


def raises_value_error(x, w1, b1, w2, b2):
    raise ValueError("my own bug")


@pytest.mark.parametrize("fn,words", [
    (lambda x, w1, b1, w2, b2: None, "returned None"),
    (lambda x, w1, b1, w2, b2: right_ffn(x, w1, b1, w2, b2).tolist(), "should return a torch.Tensor"),
    (lambda x, w1, b1, w2, b2: right_ffn(x, w1, b1, w2, b2)[0], "expected shape (2, 5, 6), got (5, 6)"),
    (raises_value_error, "ValueError: my own bug"),
], ids=["None", "list", "wrong shape", "raises"])
def test_feed_forward_crashes_become_clear_messages(fn, words):
    with pytest.raises(ExerciseError) as e:
        ex4.check_feed_forward(fn)
    assert words in str(e.value), str(e.value)


def test_feed_forward_right_answer_and_stub(capsys):
    ex4.check_feed_forward(right_ffn)
    assert "correct" in capsys.readouterr().out and status(ex4.check_feed_forward) == "passed"

    def stub(x, w1, b1, w2, b2):
        raise NotImplementedError
    ex4.check_feed_forward(stub)
    assert "not attempted" in capsys.readouterr().out and status(ex4.check_feed_forward) == "not attempted"


def test_feed_forward_accepts_torch_modules_route():
    """Another correct way: F.linear does the transpose itself."""
    ex4.check_feed_forward(lambda x, w1, b1, w2, b2: F.linear(F.gelu(F.linear(x, w1, b1)), w2, b2))


# --- 2. predict: the norm after LayerNorm ------------------------------------------------------

H, GAMMA = ex4.LN_WIDTH, ex4.LN_GAIN
LN_WRONG = [
    (1.0, "does not make each vector unit-length"),
    (math.sqrt(H), "norm with gain 1"),
    (16, "lesson's width H = 256"),
    (GAMMA, "the gain alone"),
    (GAMMA * math.sqrt(H - 1), "biased"),
    (GAMMA ** 2 * H, "squared* norm"),
    (H, "squared norm with gain 1"),
    (GAMMA * H, "mixes the two"),
    (12.0, "is not it"),
]


@pytest.mark.parametrize("answer,hint", LN_WRONG, ids=[str(a) for a, _ in LN_WRONG])
def test_layer_norm_norm_wrong_answers_get_their_hint(answer, hint):
    with pytest.raises(ExerciseError) as e:
        ex4.check_layer_norm_norm(answer)
    assert hint in str(e.value), str(e.value)


@pytest.mark.parametrize("answer,words", [
    ("9.8", "answer with a number"),
    (None, "answer with a number"),
    (torch.ones(3), "got a tensor of shape (3,)"),
    (True, "answer with a number"),
])
def test_layer_norm_norm_bad_types(answer, words):
    with pytest.raises(ExerciseError) as e:
        ex4.check_layer_norm_norm(answer)
    assert words in str(e.value)


def test_layer_norm_norm_right_answer_measured_and_stub(capsys):
    ln = torch.nn.LayerNorm(H, eps=1e-12)
    with torch.no_grad():
        ln.weight.fill_(GAMMA)
        measured = ln(torch.randn(50, H) * 3 + 2).norm(dim=-1)
    assert torch.allclose(measured, torch.full_like(measured, GAMMA * math.sqrt(H)), atol=1e-4)
    ex4.check_layer_norm_norm(measured.mean())                 # a 0-dim tensor is fine
    ex4.check_layer_norm_norm(GAMMA * math.sqrt(H))
    assert "correct" in capsys.readouterr().out
    ex4.check_layer_norm_norm(...)
    assert "not attempted" in capsys.readouterr().out


# --- 3. the parameters of a gated layer ------------------------------------------------------------

def right_count(c):
    H, I = c.hidden_size, c.intermediate_size
    return 3 * H * H + (H * H + H) + 2 * (H * I + I) + (I * H + H) + 4 * H


GATED_WRONG = [
    ("no LayerNorms", lambda c: right_count(c) - 4 * c.hidden_size, "two LayerNorms are missing"),
    ("LayerNorm as H", lambda c: right_count(c) - 2 * c.hidden_size, "one LayerNorm is missing"),
    ("QKV biases counted", lambda c: right_count(c) + 3 * c.hidden_size, "no biases in this layer"),
    ("no gate", lambda c: right_count(c) - c.hidden_size * c.intermediate_size - c.intermediate_size, "gate is missing"),
    ("no output projection", lambda c: right_count(c) - c.hidden_size ** 2 - c.hidden_size, "output projection"),
    ("two of Q, K, V", lambda c: right_count(c) - c.hidden_size ** 2, "one of the Q, K, V"),
    ("no biases", lambda c: right_count(c) - 2 * c.intermediate_size - 2 * c.hidden_size, "the biases are missing"),
    ("no biases, no LayerNorms", lambda c: right_count(c) - 2 * c.intermediate_size - 6 * c.hidden_size,
     "all biases and LayerNorm"),
    ("ordinary BERT layer", lambda c: 4 * c.hidden_size ** 2 + 2 * c.hidden_size * c.intermediate_size
     + c.intermediate_size + 9 * c.hidden_size, "ordinary BERT layer"),
    ("off by one", lambda c: right_count(c) + 1, "off by +1"),
]


@pytest.mark.parametrize("name,fn,hint", GATED_WRONG, ids=[w[0] for w in GATED_WRONG])
def test_gated_layer_wrong_answers_get_their_hint(name, fn, hint):
    with pytest.raises(ExerciseError) as e:
        ex4.check_gated_layer_parameters(fn)
    assert hint in str(e.value) and "H=60, I=100" in str(e.value), str(e.value)


def raises_key_error(c):
    return {"H": 1}["I"]


@pytest.mark.parametrize("fn,words", [
    (lambda c: None, "returned None"),
    (lambda c: float(right_count(c)), "return a whole number"),
    (lambda c: str(right_count(c)), "return a whole number"),
    (raises_key_error, "KeyError"),
], ids=["None", "float", "str", "raises"])
def test_gated_layer_crashes_become_clear_messages(fn, words):
    with pytest.raises(ExerciseError) as e:
        ex4.check_gated_layer_parameters(fn)
    assert words in str(e.value), str(e.value)


def test_gated_layer_refuses_the_checkers_own_reference():
    from bertbook.exercises.encoder import GatedEncoderLayer  # noqa: F401  (what a student might try)

    def wrapper(c):
        return sum(p.numel() for p in GatedEncoderLayer(c).parameters())
    with pytest.raises(ExerciseError, match="checker's own reference layer"):
        ex4.check_gated_layer_parameters(wrapper)


def test_gated_layer_right_answer_and_stub(capsys):
    ex4.check_gated_layer_parameters(right_count)
    ex4.check_gated_layer_parameters(lambda c: torch.tensor(right_count(c)))      # an integer tensor is fine
    assert "correct" in capsys.readouterr().out

    def stub(config):
        raise NotImplementedError
    ex4.check_gated_layer_parameters(stub)
    assert "not attempted" in capsys.readouterr().out


def test_gated_layer_reference_is_the_built_module():
    """The check's reference is a real module; the formula above agrees with it, so the table's
    wrong answers are wrong for the stated reason."""
    for c in (BertConfig(hidden_size=60, num_attention_heads=3, intermediate_size=100), BertConfig.preset("minilm")):
        assert sum(p.numel() for p in ex4.GatedEncoderLayer(c).parameters()) == right_count(c)
