"""Lesson 1's self-checks, as a table per exercise: a right answer passes, the untouched stub is
"not attempted", every common wrong answer gets ExerciseError with the hint that names its
misconception, and a student's function that crashes or returns the wrong type gets a clear
ExerciseError, never a raw exception."""
import pytest

from bertbook.exercises import ExerciseError, results
from bertbook.exercises import tokenization as ex


def stub(*args):
    raise NotImplementedError


def assert_not_attempted(capsys, name):
    assert "not attempted yet" in capsys.readouterr().out
    assert results()[name]["status"] == "not attempted"


# --------------------------------------------------------------------------------------------
# exercise 1: predict the first merge of BPE and of WordPiece on TOY_CORPUS

def test_first_merges_right_answer_and_stub(capsys):
    ex.check_first_merges(("##o", "##p"), ("o", "##r"))
    assert "correct" in capsys.readouterr().out
    ex.check_first_merges(["##o", "##p"], ["o", "##r"])           # lists are pairs too
    ex.check_first_merges(..., ...)
    assert_not_attempted(capsys, "check_first_merges")


def test_first_merges_answer_is_computed_not_stored():
    """The graded pairs come from counting TOY_CORPUS: the module's own trainer agrees."""
    from bertbook.wordpiece_scores import train_merges
    assert train_merges(ex.TOY_CORPUS, 1, "bpe")[0].pair == ("##o", "##p")
    assert train_merges(ex.TOY_CORPUS, 1, "wordpiece")[0].pair == ("o", "##r")


@pytest.mark.parametrize("bpe, wordpiece, hint", [
    (("o", "##r"), ("##o", "##p"), "swapped"),                                  # the two rules mixed up
    (("##o", "##p"), ("##o", "##p"), "most frequent pair, BPE's choice"),       # WordPiece = BPE
    (("##o", "##p"), ("r", "##o"), r"7/\(7\*15\) = 0\.0667.*BOTH parts"),       # divided by one part only
    (("##o", "##p"), ("h", "##o"), r"another pair scores 0\.1250"),
    (("##p", "##e"), ("o", "##r"), "merges the most frequent pair"),            # a frequent, not the most
    (("##o", "##p"), ("##o", "##r"), "pieces inside a word carry '##'.*\\('o', '##r'\\)"),
    (("o", "##p"), ("o", "##r"), "first piece of a word does not.*\\('##o', '##p'\\)"),
    (("##o", "##p"), ("o", "r"), "pieces inside a word carry '##'"),
    ("op", ("o", "##r"), "not the merged piece"),                               # the new piece, not the pair
    (("##o", "##p"), ("x", "##y"), "not a piece of the corpus"),
    (("##o", "##p"), ("##e", "##o"), "no word of TOY_CORPUS has these two pieces side by side"),
])
def test_first_merges_wrong_answers(bpe, wordpiece, hint):
    with pytest.raises(ExerciseError, match=hint):
        ex.check_first_merges(bpe, wordpiece)


@pytest.mark.parametrize("bpe, wordpiece, hint", [
    (None, ("o", "##r"), "bpe_first must be a tuple of two pieces"),
    (("##o", "##p", "##e"), ("o", "##r"), "tuple of two pieces"),
    (("##o", "##p"), 3, "wordpiece_first must be a tuple of two pieces"),
    (("##o", "##p"), ..., "wordpiece_first is still `...`"),                    # one answer left out
])
def test_first_merges_malformed_answers(bpe, wordpiece, hint):
    with pytest.raises(ExerciseError, match=hint):
        ex.check_first_merges(bpe, wordpiece)


# --------------------------------------------------------------------------------------------
# exercise 2: WordPiece by hand

def wordpiece(word, vocab):
    if len(word) > 100:
        return ["[UNK]"]
    out, start = [], 0
    while start < len(word):
        for end in range(len(word), start, -1):
            piece = ("##" if start else "") + word[start:end]
            if piece in vocab:
                out.append(piece)
                start = end
                break
        else:
            return ["[UNK]"]
    return out


def only_bad_part_unknown(word, vocab):
    """Replaces just the unmatched character by [UNK] and carries on."""
    out, start = [], 0
    while start < len(word):
        for end in range(len(word), start, -1):
            piece = ("##" if start else "") + word[start:end]
            if piece in vocab:
                break
        else:
            piece, end = "[UNK]", start + 1
        out.append(piece)
        start = end
    return out


def backtracking(word, vocab):
    """A 'smarter' splitter that backtracks finds a split for 'abc' that WordPiece does not."""
    if len(word) > 100:
        return ["[UNK]"]

    def split(start):
        if start == len(word):
            return []
        for end in range(len(word), start, -1):
            piece = ("##" if start else "") + word[start:end]
            if piece in vocab and (rest := split(end)) is not None:
                return [piece] + rest
        return None
    return split(0) or ["[UNK]"]


def shortest_first(word, vocab):
    if len(word) > 100:
        return ["[UNK]"]
    out, start = [], 0
    while start < len(word):
        for end in range(start + 1, len(word) + 1):
            piece = ("##" if start else "") + word[start:end]
            if piece in vocab:
                out.append(piece)
                start = end
                break
        else:
            return ["[UNK]"]
    return out


def test_wordpiece_right_answer_and_stub(capsys):
    ex.check_wordpiece(wordpiece)
    assert "correct" in capsys.readouterr().out
    ex.check_wordpiece(stub)
    assert_not_attempted(capsys, "check_wordpiece")


@pytest.mark.parametrize("wrong, hint", [
    (only_bad_part_unknown, r"wordpiece\('x🙂y'\).*the \*whole word\* becomes a single \[UNK\]"),
    (lambda w, v: [p.removeprefix("##") for p in wordpiece(w, v)], "looked up with the '##' prefix"),
    (lambda w, v: ["##" + p if not p.startswith("##") and p != "[UNK]" else p for p in wordpiece(w, v)],
     "first piece of a word has no '##' prefix"),
    (lambda w, v: list(w) if len(w) <= 100 else ["[UNK]"], "LONGEST piece"),
    (shortest_first, "LONGEST piece"),
    (lambda w, v: wordpiece(w[:100], v), "longer than 100 characters becomes a single \\[UNK\\]"),
    (backtracking, r"wordpiece\('abc'\) \(in the small trap vocabulary TRAP_VOCAB\).*never backtracks"),
])
def test_wordpiece_wrong_answers(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        ex.check_wordpiece(wrong)


@pytest.mark.parametrize("crash, message", [
    (lambda w, v: 1 / 0, r"wordpiece\('whale'\) raised ZeroDivisionError"),
    (lambda w, v: None, "must return a list of strings.*got NoneType"),
    (lambda w, v: " ".join(wordpiece(w, v)), "must return a list of strings.*got str"),
    (lambda w, v: [v[p] for p in wordpiece(w, v)], "must return a list of strings.*got list"),   # ids, not pieces
    (lambda w: [w], r"raised TypeError"),                                                        # wrong signature
])
def test_wordpiece_crash_cases(crash, message):
    with pytest.raises(ExerciseError, match=message):
        ex.check_wordpiece(crash)


# --------------------------------------------------------------------------------------------
# exercise 3: longest-first truncation, graded on the concept

def google_rule(a, b, max_length):
    """run_classifier.py: pop from the longer sentence, from B on a tie."""
    a, b = list(a), list(b)
    while len(a) + len(b) + 3 > max_length:
        (a if len(a) > len(b) else b).pop()
    return a, b


def tokenizers_rule(a, b, max_length):
    """The closed form of the `tokenizers` library: the shorter keeps min(len, budget // 2)."""
    budget = max_length - 3
    if len(a) + len(b) <= budget:
        return a, b
    if len(a) <= len(b):
        keep = min(len(a), budget // 2)
        return a[:keep], b[:budget - keep]
    keep = min(len(b), budget // 2)
    return a[:budget - keep], b[:keep]


def ties_from_a(a, b, max_length):
    a, b = list(a), list(b)
    while len(a) + len(b) + 3 > max_length:
        (a if len(a) >= len(b) else b).pop()
    return a, b


@pytest.mark.parametrize("rule", [google_rule, tokenizers_rule, ties_from_a])
def test_truncation_accepts_every_tie_break(rule, capsys):
    ex.check_truncate_longest_first(rule)
    assert "correct" in capsys.readouterr().out


def test_truncation_stub(capsys):
    ex.check_truncate_longest_first(stub)
    assert_not_attempted(capsys, "check_truncate_longest_first")


def test_truncation_concept_equals_the_one_at_a_time_process():
    """The check accepts exactly the results that removing one piece at a time from the longer
    sentence (either one on a tie) can reach: no more, no less."""
    def reachable(la, lb, budget):
        states, out = {(la, lb)}, set()
        while states:
            nxt = set()
            for x, y in states:
                if x + y <= budget:
                    out.add((x, y))
                else:
                    nxt |= {(x - 1, y)} if x > y else {(x, y - 1)} if y > x else {(x - 1, y), (x, y - 1)}
            states = nxt
        return out
    for la in range(10):
        for lb in range(10):
            for max_length in range(3, 18):
                a, b = ex._pieces("A", la), ex._pieces("B", lb)
                accepted = {(x, y) for x in range(la + 1) for y in range(lb + 1)
                            if not ex._truncation_hint(a, b, a[:x], b[:y], max_length)}
                assert accepted == reachable(la, lb, max_length - 3), (la, lb, max_length)


def proportional(a, b, max_length):
    budget = max_length - 3
    if len(a) + len(b) <= budget:
        return a, b
    keep_a = round(len(a) * budget / (len(a) + len(b)))
    return a[:keep_a], b[:budget - keep_a]


@pytest.mark.parametrize("wrong, hint", [
    (lambda a, b, m: (a, b), "more than max_length"),                                       # never cuts
    (lambda a, b, m: google_rule(a, b, m + 3), r"\[CLS\] and the two \[SEP\]s count too"),  # budget = max_length
    (lambda a, b, m: tuple(x[len(x) - len(y):] for x, y in zip((a, b), google_rule(a, b, m))), "from the END"),
    (lambda a, b, m: (a[:max(0, m - 3 - len(b))], b), "shortened A while B was longer"),     # only the first sentence
    (lambda a, b, m: (a, b[:max(0, m - 3 - len(a))]), "shortened B while A was longer"),     # only the second sentence
    (proportional, "LONGER"),                                                                 # in proportion
    (lambda a, b, m: (a[:(m - 3) // 2], b[:(m - 3) // 2]), "removed more than needed|Nothing needed cutting"),
    (lambda a, b, m: google_rule(a, b, m - 1), "removed more than needed|Nothing needed cutting"),                   # one piece too many
    (lambda a, b, m: (list(reversed(google_rule(a, b, m)[0])), google_rule(a, b, m)[1]), "prefix"),
    (lambda a, b, m: tuple(x[len(x) - len(y):] for x, y in zip((a, b), google_rule(a, b, m))), "you kept the end"),
])
def test_truncation_wrong_answers(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        ex.check_truncate_longest_first(wrong)


@pytest.mark.parametrize("crash, message", [
    (lambda a, b, m: None, r"must return a pair \(kept_a, kept_b\).*got NoneType"),
    (lambda a, b, m: a + b, r"must return a pair \(kept_a, kept_b\).*got list"),
    (lambda a, b, m: (a, b, m), r"must return a pair"),
    (lambda a, b, m: ("A0 A1", "B0"), r"must return a pair .* of lists of pieces"),
    (lambda a, b, m: a[m], r"raised IndexError"),
    (lambda a, b: (a, b), r"raised TypeError"),
])
def test_truncation_crash_cases(crash, message):
    with pytest.raises(ExerciseError, match=message):
        ex.check_truncate_longest_first(crash)
