"""Lesson 8's self-checks: every listed wrong answer gets its own hint, a crashing or malformed
answer gets a clear ExerciseError (never a raw exception), the right answer passes and an
untouched stub is "not attempted"."""
import pytest
import torch

from bertbook.exercises import ExerciseError, results
from bertbook.exercises import fine_tuning as ex
from bertbook.long_text import window_spans


def fails_with(check, answer, *words):
    with pytest.raises(ExerciseError) as info:
        check(answer)
    message = str(info.value)
    for w in words:
        assert w in message, f"{w!r} not in {message!r}"
    return message


def stub(*args):
    raise NotImplementedError


def test_stubs_are_not_attempted(capsys):
    for check in (ex.check_masked_max_pool, ex.check_precision_recall, ex.check_flush_windows,
                  ex.check_pool_by_new_tokens):
        check(stub)
        assert results()[check.__name__]["status"] == "not attempted"
    ex.check_padding_prediction(...)
    assert results()["check_padding_prediction"]["status"] == "not attempted"
    assert capsys.readouterr().out.count("not attempted yet") == 5


# --- exercise 1: which vectors does padding change? ------------------------------------------------
@pytest.mark.parametrize("answer", [{"d"}, "d", ["D"], ("d",)])
def test_padding_prediction_right(answer):
    ex.check_padding_prediction(answer)


@pytest.mark.parametrize("answer, words", [
    ({"a", "b", "c", "d"}, ("attention weight of exactly 0",)),    # padding leaks into attention
    ({"c", "d"}, ("mean over the real tokens", "exactly 0")),
    ({"a", "d"}, ("computed from (a) alone",)),                    # [CLS] changes but its pooler not
    ({"b", "d"}, ("computed from (a) alone",)),
    (set(), ("plain mean adds the pad positions",)),                # nothing changes
    ("none", ("not one of the choices",)),
    ({"e"}, ("not one of the choices",)),
    (3, ("set of letters",)),
    ([1, 2], ("answer with letters",)),
])
def test_padding_prediction_wrong(answer, words):
    fails_with(ex.check_padding_prediction, answer, *words)


# --- exercise 2: masked max pooling ----------------------------------------------------------------
def masked_max(hidden, mask):
    return hidden.masked_fill(mask.unsqueeze(-1) == 0, float("-inf")).max(dim=1).values


def test_masked_max_right():
    ex.check_masked_max_pool(masked_max)
    ex.check_masked_max_pool(lambda h, m: torch.stack([h[i, m[i].bool()].amax(0) for i in range(h.size(0))]))


@pytest.mark.parametrize("answer, words", [
    (lambda h, m: h.max(dim=1).values, ("[PAD] included",)),
    (lambda h, m: (h * m.unsqueeze(-1)).max(dim=1).values, ("the pads' 0 wins", "-inf")),
    (lambda h, m: h.masked_fill(m.unsqueeze(-1) == 0, float("-inf")).max(dim=1), ("(values, indices)", ".values")),
    (lambda h, m: h.masked_fill(m.unsqueeze(-1) == 0, float("-inf")).max(dim=-1).values, ("dim=-1", "dim=1")),
    (lambda h, m: h.masked_fill(m.unsqueeze(-1) == 0, float("-inf")).max(dim=0).values, ("dim=0", "dim=1")),
    (lambda h, m: (h * m.unsqueeze(-1)).sum(1) / m.sum(1, keepdim=True), ("a mean",)),
    (lambda h, m: h.min(dim=1).values, ("expected the first row",)),
])
def test_masked_max_wrong(answer, words):
    fails_with(ex.check_masked_max_pool, answer, *words)


@pytest.mark.parametrize("answer, words", [
    (lambda h, m: None, ("returned None", "(2, 3)")),
    (lambda h, m: "max", ("got a str",)),
    (lambda h, m: masked_max(h, m)[0], ("shape (2, 3)", "got shape (3,)")),
    (lambda h, m: h @ h, ("raised RuntimeError",)),                 # a torch error inside the student's code
])
def test_masked_max_crashes(answer, words):
    fails_with(ex.check_masked_max_pool, answer, *words)


# --- exercise 3: precision and recall --------------------------------------------------------------
def precision_recall(m):
    tp, predicted, true = m[1, 1].item(), m[:, 1].sum().item(), m[1].sum().item()
    return (tp / predicted if predicted else 0.0), tp / true


def test_precision_recall_right():
    ex.check_precision_recall(precision_recall)
    ex.check_precision_recall(lambda m: tuple(torch.tensor(precision_recall(m))))   # tensors are fine


@pytest.mark.parametrize("answer, words", [
    (lambda m: precision_recall(m)[::-1], ("swapped",)),
    (lambda m: (m[0, 0].item() / m[:, 0].sum().item(), m[0, 0].item() / m[0].sum().item()), ("negative class",)),
    (lambda m: (m.trace().item() / m.sum().item(),) * 2, ("is the accuracy",)),
    (lambda m: (m[1, 1].item(), m[:, 1].sum().item()), ("counts, not shares",)),
    (lambda m: (m[1, 1].item() / m[1, :].sum().item(), m[1, 1].item() / m[1, :].sum().item()), ("expected precision",)),
    (lambda m: (m[1, 1].item() / m[:, 1].sum().item(), m[1, 1].item() / m[1].sum().item()), ("divided by zero",)),
    (lambda m: ((m[1, 1] / m[:, 1].sum()).item(), (m[1, 1] / m[1].sum()).item()), ("NaN",)),
])
def test_precision_recall_wrong(answer, words):
    fails_with(ex.check_precision_recall, answer, *words)


@pytest.mark.parametrize("answer, words", [
    (lambda m: None, ("returned None",)),
    (lambda m: 0.5, ("return a pair", "float")),
    (lambda m: (0.5, 0.5, 0.5), ("return a pair", "length 3")),
    (lambda m: ("high", "low"), ("must be numbers",)),
    (lambda m: m[2, 2], ("raised IndexError",)),
])
def test_precision_recall_crashes(answer, words):
    fails_with(ex.check_precision_recall, answer, *words)


# --- exercise 4: windows flush with the end ----------------------------------------------------------
def flush(n, max_length, stride):
    size = max_length - 2
    spans = window_spans(n, max_length, stride)
    return spans[:-1] + [(max(0, n - size), n)]


def test_flush_windows_right():
    ex.check_flush_windows(flush)
    ex.check_flush_windows(ex._flush_window_spans)


def test_reference_windows_are_full_and_overlap_at_least_the_stride():
    for n, max_length, stride in ex.WINDOW_CASES:
        spans, size = ex._flush_window_spans(n, max_length, stride), max_length - 2
        assert spans[0][0] == 0 and spans[-1][1] == n
        assert all(b - a == min(size, n) for a, b in spans)
        assert all(b0 - a1 >= stride for (_, b0), (a1, _) in zip(spans, spans[1:]))
        assert len(spans) == len(window_spans(n, max_length, stride))


@pytest.mark.parametrize("answer, words", [
    (window_spans, ("holds only", "move its start back")),                      # the lesson's windows
    (lambda n, m, s: flush(n, m + 2, s), ("too long", "[CLS]")),                # forgot [CLS] and [SEP]
    (lambda n, m, s: [(0, n)] if n <= m - 2 else [(a, a + m - 2) for a in range(0, n - s, m - 2 - s)],
     ("outside",)),                                                             # the last one runs past the end
    (lambda n, m, s: [(0, n)] if n <= m - 2 else [(a, a + m - 2) for a in range(0, n - (m - 2), s)]
     + [(n - (m - 2), n)], ("*overlap*",)),                                     # stride used as the step
    (lambda n, m, s: [(n - (m - 2), n)] if n <= m - 2 else flush(n, m, s), ("fits in one window",)),
    (lambda n, m, s: flush(n, m, s) + [flush(n, m, s)[-1]] if n > m - 2 else [(0, n)], ("more than the",)),
])
def test_flush_windows_wrong(answer, words):
    fails_with(ex.check_flush_windows, answer, *words)


@pytest.mark.parametrize("answer, words", [
    (lambda n, m, s: None, ("returned None",)),
    (lambda n, m, s: [], ("non-empty list",)),
    (lambda n, m, s: 3, ("list of (start, end) pairs",)),
    (lambda n, m, s: [(0, n, 1)], ("non-empty list of (start, end) pairs",)),
    (lambda n, m, s: 1 / 0, ("raised ZeroDivisionError",)),
])
def test_flush_windows_crashes(answer, words):
    fails_with(ex.check_flush_windows, answer, *words)


# --- exercise 5: every token votes once ----------------------------------------------------------------
def pool_by_new_tokens(logits, spans):
    ends = [0] + [b for _, b in spans]
    new = torch.tensor([b - max(a, prev) for (a, b), prev in zip(spans, ends)], dtype=torch.float32)
    return (new.unsqueeze(1) / new.sum() * logits.softmax(-1)).sum(0)


def test_pool_by_new_tokens_right():
    ex.check_pool_by_new_tokens(pool_by_new_tokens)


def test_new_token_weights_count_every_token_once():
    spans = window_spans(300, 128, 32)
    assert torch.allclose(ex._new_token_weights(spans) * 300, torch.tensor([126.0, 94.0, 80.0]))


@pytest.mark.parametrize("answer, words", [
    (lambda l, s: l.softmax(-1).mean(0), ("plain mean",)),
    (lambda l, s: (torch.tensor([b - a for a, b in s], dtype=torch.float32).unsqueeze(1) * l.softmax(-1)).sum(0)
     / sum(b - a for a, b in s), ("counted twice",)),
    (lambda l, s: l.mean(0).softmax(-1), ("averaged the logits",)),
    (lambda l, s: (ex._new_token_weights(s).unsqueeze(1) * l).sum(0).softmax(-1), ("averaged the logits",)),
    (lambda l, s: (ex._new_token_weights(s).unsqueeze(1) * len(s) * l.softmax(-1)).sum(0), ("sum to",)),
    (lambda l, s: l.softmax(0).mean(0), ("softmax over the windows",)),
])
def test_pool_by_new_tokens_wrong(answer, words):
    fails_with(ex.check_pool_by_new_tokens, answer, *words)


@pytest.mark.parametrize("answer, words", [
    (lambda l, s: None, ("returned None", "(2,)")),
    (lambda l, s: l.softmax(-1), ("shape (2,)", "got shape (1, 2)")),
    (lambda l, s: {"pos": 0.5}, ("got a dict",)),
    (lambda l, s: l.softmax(-1) @ l, ("raised RuntimeError",)),
])
def test_pool_by_new_tokens_crashes(answer, words):
    fails_with(ex.check_pool_by_new_tokens, answer, *words)
