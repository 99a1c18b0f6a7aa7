"""Lesson 5's exercise checks: every listed wrong answer gets its own hint, crashes become
ExerciseError with a clear message, the right answer passes and an untouched stub is "not attempted"."""
import pytest

from bertbook.exercises import ExerciseError, results
from bertbook.exercises import pretraining_data as ex

SP = "\u2581"


def _stub(*args):
    raise NotImplementedError


def _hint(check, *answers):
    with pytest.raises(ExerciseError) as info:
        check(*answers)
    return str(info.value)


# --- exercise 1 (predict): the shares ---------------------------------------------------------------

@pytest.mark.parametrize("a, b, words", [
    (0.15, 0.1, ["(a) 0.1500", "chosen", "80%"]),
    (0.8, 0.1, ["(a) 0.8000", "*chosen* tokens", "15%"]),
    (12, 0.1, ["percentage", "0.12"]),
    (0.015, 0.1, ["(a) 0.0150", "*random*"]),
    (0.135, 0.1, ["counts the random replacements"]),
    (1.5, 0.1, ["more than 1"]),
    (0.3, 0.1, ["(a) 0.3000", "80% of the chosen"]),
    (0.12, 0.2, ["(b) 0.2000", "'keep' case"]),
    (0.12, 0.9, ["(b) 0.9000", "*not* the true token"]),
    (0.12, 0.015, ["(b) 0.0150", "*all* input tokens", "predicted positions only"]),
    (0.12, 10, ["percentage", "0.1"]),
    (0.12, 0.8, ["(b) 0.8000", "[MASK]"]),
    (0.12, 0.85, ["never chosen"]),
    (0.12, 0.5, ["(b) 0.5000", "Which of the three cases"]),
    ("12%", 0.1, ["should be a number", "str"]),
    (0.12, None, ["true_token_share_of_predictions", "NoneType"]),
    (True, 0.1, ["should be a number", "bool"]),
])
def test_mask_shares_wrong_answers(a, b, words):
    message = _hint(ex.check_mask_shares, a, b)
    for word in words:
        assert word in message, message


def test_mask_shares_right_answer_stub_and_half_answered(capsys):
    ex.check_mask_shares(0.15 * 0.8, 0.1)
    assert "correct" in capsys.readouterr().out
    ex.check_mask_shares(..., ...)
    assert results()["check_mask_shares"]["status"] == "not attempted"
    assert "still `...`" in _hint(ex.check_mask_shares, 0.12, ...)


# --- exercise 2: truncate_pair -----------------------------------------------------------------------

def right_truncate(a, b, max_seq_length):
    a, b = list(a), list(b)
    while len(a) + len(b) > max_seq_length - 3:
        (a if len(a) > len(b) else b).pop()
    return a, b


def from_the_front(a, b, max_seq_length):
    a, b = list(a), list(b)
    while len(a) + len(b) > max_seq_length - 3:
        del (a if len(a) >= len(b) else b)[0]        # the other tie-break, and the other end
    return a, b


def budget(n_specials):
    def truncate(a, b, max_seq_length):
        a, b = list(a), list(b)
        while len(a) + len(b) > max_seq_length - n_specials:
            (a if len(a) > len(b) else b).pop()
        return a, b
    return truncate


def cut_once(a, b, max_seq_length):
    room = max_seq_length - 3
    if len(a) + len(b) <= room:
        return a, b
    if len(a) >= len(b):
        return a[:room - len(b)], b
    return a, b[:room - len(a)]


def only_b(a, b, max_seq_length):
    return a, b[:max(0, max_seq_length - 3 - len(a))]


def only_a(a, b, max_seq_length):
    return a[:max(0, max_seq_length - 3 - len(b))], b


def proportional(a, b, max_seq_length):
    room = max_seq_length - 3
    total = len(a) + len(b)
    if total <= room:
        return a, b
    na = round(len(a) * room / total)
    return a[:na], b[:room - na]


def halves(a, b, max_seq_length):
    room = (max_seq_length - 3) // 2
    return a[:room], b[:room]


def middle_out(a, b, max_seq_length):
    a, b = list(a), list(b)
    while len(a) + len(b) > max_seq_length - 3:
        longer = a if len(a) > len(b) else b
        del longer[len(longer) // 2]
    return a, b


@pytest.mark.parametrize("answer, words", [
    (budget(0), ["take 3 of the 128 positions", "share 125"]),
    (budget(2), ["two special tokens", "three"]),
    (budget(5), ["Only", "positions are used"]),
    (lambda a, b, n: (a, b), ["more than 128"]),
    (cut_once, ["cut to fit in one go", "*now*"]),
    (only_b, ["shorter segment", "longer one"]),
    (only_a, ["shorter segment", "longer one"]),
    (proportional, ["in proportion", "short segment keeps all"]),
    (halves, ["Only", "positions are used"]),
    (middle_out, ["contiguous", "never in the middle"]),
    (lambda a, b, n: (["[CLS]", *right_truncate(a, b, n)[0], "[SEP]"], right_truncate(a, b, n)[1]),
     ["[CLS] or [SEP]", "*without*"]),
    (lambda a, b, n: (right_truncate(a, b, n)[1], right_truncate(a, b, n)[0]), ["contiguous"]),
])
def test_truncate_pair_wrong_answers(answer, words):
    message = _hint(ex.check_truncate_pair, answer)
    for word in words:
        assert word in message, message


def in_place_only(a, b, max_seq_length):
    while len(a) + len(b) > max_seq_length - 3:
        (a if len(a) > len(b) else b).pop()


@pytest.mark.parametrize("answer, words", [
    (in_place_only, ["returned None", "in place"]),
    (lambda a, b, n: a + b, ["a pair", "list of length"]),
    (lambda a, b, n: (len(a), len(b)), ["list of tokens", "int"]),
    (lambda a, b, n: ([1, 2], b), ["tokens (strings)", "int"]),
    (lambda a, b, n: a[n], ["raised IndexError"]),
])
def test_truncate_pair_crash_cases(answer, words):
    message = _hint(ex.check_truncate_pair, answer)
    for word in words:
        assert word in message, message


def test_truncate_pair_refuses_a_wrapper_around_bertbook():
    import random

    from bertbook import pretraining_data

    def wrapper(a, b, max_seq_length):
        a, b = list(a), list(b)
        pretraining_data._truncate_pair(a, b, max_seq_length - 3, random.Random(0))
        return a, b
    assert "write the rule yourself" in _hint(ex.check_truncate_pair, wrapper)


def test_truncate_pair_right_answers_and_stub(capsys):
    ex.check_truncate_pair(right_truncate)
    ex.check_truncate_pair(from_the_front)          # either end, either tie-break
    assert "correct" in capsys.readouterr().out
    ex.check_truncate_pair(_stub)
    assert results()["check_truncate_pair"]["status"] == "not attempted"


def test_truncate_pair_refuses_nothing_right_by_chance():
    # Google's own rule with a random end is right too: the check accepts any end.
    import random
    rng = random.Random(0)

    def google(a, b, n):
        a, b = list(a), list(b)
        while len(a) + len(b) > n - 3:
            longer = a if len(a) > len(b) else b
            del longer[0 if rng.random() < 0.5 else -1]
        return a, b
    ex.check_truncate_pair(google)
    assert results()["check_truncate_pair"]["status"] == "passed"


# --- exercise 3: SentencePiece word groups -----------------------------------------------------------

SPECIALS = ("[CLS]", "[SEP]", "[PAD]")


def right_groups(tokens):
    words = []
    for i, t in enumerate(tokens):
        if t in SPECIALS:
            continue
        if not t.startswith(SP) and words and words[-1][-1] == i - 1:
            words[-1].append(i)
        else:
            words.append([i])
    return words


def hash_convention(tokens):                     # BERT's '##' rule applied to SentencePiece pieces
    words = []
    for i, t in enumerate(tokens):
        if t in SPECIALS:
            continue
        if t.startswith("##") and words and words[-1][-1] == i - 1:
            words[-1].append(i)
        else:
            words.append([i])
    return words


def reversed_mark(tokens):                       # a marked piece joins the word before it
    words = []
    for i, t in enumerate(tokens):
        if t in SPECIALS:
            continue
        if t.startswith(SP) and words and words[-1][-1] == i - 1:
            words[-1].append(i)
        else:
            words.append([i])
    return words


def across_sep(tokens):                          # forgets that a word's pieces are adjacent
    words = []
    for i, t in enumerate(tokens):
        if t in SPECIALS:
            continue
        if not t.startswith(SP) and words:
            words[-1].append(i)
        else:
            words.append([i])
    return words


@pytest.mark.parametrize("answer, words", [
    (hash_convention, ["a word of its own", "*first* piece"]),
    (reversed_mark, ["*starts* a word", "opposite of BERT's '##'"]),
    (across_sep, ["adjacent", "after [SEP]"]),
    (lambda tokens: [[i] for i in range(len(tokens))], ["Special tokens", "never masked"]),
    (lambda tokens: [[i + 1 for i in g] for g in right_groups(tokens)], ["off by one", "[CLS] is position 0"]),
    (lambda tokens: [[tokens[i] for i in g] for g in right_groups(tokens)], ["*positions*", "integers"]),
    (lambda tokens: ["".join(tokens[i] for i in g) for g in right_groups(tokens)], ["string", "positions"]),
    (lambda tokens: [i for g in right_groups(tokens) for i in g], ["flat list", "*per word*"]),
    (lambda tokens: [[i + 100] for i in range(3)], ["index the token list"]),
    (lambda tokens: right_groups(tokens)[:-1], ["should be", "A piece starting with"]),
])
def test_word_groups_wrong_answers(answer, words):
    message = _hint(ex.check_word_groups, answer)
    for word in words:
        assert word in message, message


@pytest.mark.parametrize("answer, words", [
    (lambda tokens: None, ["returned None"]),
    (lambda tokens: 3, ["list of lists", "int"]),
    (lambda tokens: [[1.0]], ["integers"]),
    (lambda tokens: [int(t) for t in tokens], ["raised ValueError"]),
])
def test_word_groups_crash_cases(answer, words):
    message = _hint(ex.check_word_groups, answer)
    for word in words:
        assert word in message, message


def test_word_groups_right_answer_and_stub(capsys):
    ex.check_word_groups(right_groups)
    assert "correct" in capsys.readouterr().out
    ex.check_word_groups(_stub)
    assert results()["check_word_groups"]["status"] == "not attempted"
