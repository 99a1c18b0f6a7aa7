"""Self-checks for lesson 1 (tokenization).

- ``check_wordpiece``: greedy longest-match-first, compared with the ``tokenizers`` library on real
  words and on a small trap vocabulary;
- ``check_first_merges``: a prediction (which pair BPE and WordPiece merge first on a toy corpus),
  graded against counts made here by hand, with the score of the pair the student named;
- ``check_truncate_longest_first``: the *concept* of longest-first truncation (the result fits,
  keeps the beginning of each sentence, removes no more than needed, and only ever shortens the
  longer sentence), so any tie-break rule that follows it passes, as both the ``tokenizers``
  library's closed form and Google's one-piece-at-a-time loop do. The pieces are synthetic
  (``A0 A1 ...``), so a wrapper around a tokenizer's own truncation cannot reproduce them.

Every check names the misconception behind each common wrong answer.
"""
from __future__ import annotations

from collections import Counter

from . import ExerciseError, exercise_check, passed

# Words for the WordPiece check: common, split, unseen, and a character no vocabulary has.
WORDPIECE_WORDS = ["whale", "harpooneers", "unaffable", "shouting", "tokenization", "x", "x🙂y", "a" * 101]
# A hand-made vocabulary where greedy longest-match-first gives up although a split exists.
TRAP_VOCAB = {"[UNK]": 0, "a": 1, "ab": 2, "##bc": 3, "##d": 4, "##b": 5}
TRAP_WORDS = ["abc", "abd", "ab", "abbd", "c"]

# The predict-then-run corpus: word -> how often it occurs.
TOY_CORPUS = {"rope": 5, "ropes": 2, "hope": 4, "hop": 2, "ore": 6, "hero": 2}


def _reference_wordpiece(word: str, vocab: dict) -> list[str]:
    from tokenizers import models
    return [t.value for t in models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100).tokenize(word)]


def _wordpiece_hint(word: str, voc: dict, got: list[str], want: list[str]) -> str:
    """Name the misconception behind one wrong split."""
    if want == ["[UNK]"]:
        if len(word) > 100:
            return (" A word longer than 100 characters becomes a single [UNK] at once (BERT's "
                    "max_input_chars_per_word), whatever pieces it could be split into.")
        if "[UNK]" in got:
            return (" When some part of the word matches no piece, the *whole word* becomes a single [UNK] "
                    "(not just the bad part).")
        return (" WordPiece is greedy and never backtracks: it takes the longest piece that starts the rest of "
                "the word, and if nothing then matches what is left, the whole word is [UNK], even though a "
                "different first piece would have led to a split.")
    if any(p.startswith("##") for p in want[1:]) and not any(p.startswith("##") for p in got[1:]):
        return " Pieces after the first must be looked up with the '##' prefix (e.g. '##ing')."
    if got and got[0].startswith("##"):
        return " The first piece of a word has no '##' prefix; only the pieces that continue it do."
    if len(got) > len(want):
        return " At each step take the LONGEST piece in the vocabulary that starts the rest of the word."
    return ""


@exercise_check
def check_wordpiece(fn, vocab: dict | None = None) -> None:
    """``fn(word, vocab) -> list of pieces``: greedy longest-match-first WordPiece for one word
    (already lower-cased and split off from punctuation); ``vocab`` maps piece -> id."""
    from ..tokenizer import load_tokenizer
    vocab = vocab if vocab is not None else load_tokenizer("bertbook").get_vocab()
    cases = [(w, vocab) for w in WORDPIECE_WORDS] + [(w, TRAP_VOCAB) for w in TRAP_WORDS]
    for word, voc in cases:
        want = _reference_wordpiece(word, voc)
        try:
            got = fn(word, dict(voc))
        except Exception as e:  # a crash is a wrong answer too: say where
            raise ExerciseError(f"wordpiece({word!r}) raised {type(e).__name__}: {e}") from e
        if not isinstance(got, (list, tuple)) or not all(isinstance(p, str) for p in got):
            raise ExerciseError(f"wordpiece({word!r}) must return a list of strings (the pieces), "
                                f"got {type(got).__name__}: {got!r}.")
        got = list(got)
        if got == want:
            continue
        small = " (in the small trap vocabulary TRAP_VOCAB)" if voc is TRAP_VOCAB else ""
        raise ExerciseError(f"wordpiece({word!r}){small} returned {got}, but WordPiece gives {want}."
                            f"{_wordpiece_hint(word, voc, got, want)}")
    passed("WordPiece, greedy longest-match-first")


# --------------------------------------------------------------------------------------------
# predict, then run: the first merge of BPE and of WordPiece

def _toy_counts(corpus: dict[str, int]):
    """Counts made by hand: every piece and every adjacent pair, each word weighted by its frequency."""
    pieces, pairs = Counter(), Counter()
    for word, n in corpus.items():
        split = [word[0]] + ["##" + c for c in word[1:]]
        for p in split:
            pieces[p] += n
        for a, b in zip(split, split[1:]):
            pairs[a, b] += n
    return pieces, pairs


def _pair_problem(answer, name: str, pieces: Counter, pairs: Counter) -> str | None:
    """What is wrong with the *form* of an answer, or None if it names a pair of the corpus."""
    if isinstance(answer, str):
        return (f"{name} is the string {answer!r}; give the PAIR that is merged, as a tuple of two pieces, "
                f"e.g. ('t', '##h') (not the merged piece 'th').")
    if not isinstance(answer, (tuple, list)) or len(answer) != 2 or not all(isinstance(p, str) for p in answer):
        return f"{name} must be a tuple of two pieces (strings), e.g. ('t', '##h'); got {answer!r}."
    a, b = answer
    if (a, b) in pairs:
        return None
    bare = {(x.removeprefix("##"), y.removeprefix("##")): (x, y) for x, y in pairs}
    key = (a.removeprefix("##"), b.removeprefix("##"))
    if key in bare:
        return (f"{name} = {tuple(answer)} is not written as training writes it: pieces inside a word carry "
                f"'##' and the first piece of a word does not, so the pair is {bare[key]}.")
    unknown = [p for p in answer if p not in pieces]
    if unknown:
        return (f"{name}: {', '.join(map(repr, unknown))} is not a piece of the corpus at the start of "
                f"training (single characters, '##' on all but a word's first).")
    return f"{name} = {tuple(answer)}: no word of TOY_CORPUS has these two pieces side by side."


@exercise_check
def check_first_merges(bpe_first, wordpiece_first) -> None:
    """Prediction: the pair BPE training merges first on ``TOY_CORPUS`` (the most frequent adjacent
    pair) and the pair WordPiece merges first (highest freq(ab) / (freq(a) freq(b)))."""
    pieces, pairs = _toy_counts(TOY_CORPUS)
    score = {p: n / (pieces[p[0]] * pieces[p[1]]) for p, n in pairs.items()}
    bpe = max(pairs, key=pairs.get)
    wp = max(score, key=score.get)
    for answer, name in ((bpe_first, "bpe_first"), (wordpiece_first, "wordpiece_first")):
        problem = _pair_problem(answer, name, pieces, pairs)
        if problem:
            raise ExerciseError(problem)
    bpe_first, wordpiece_first = tuple(bpe_first), tuple(wordpiece_first)

    def describe(p):
        a, b = p
        return (f"{p} occurs {pairs[p]} times; freq({a}) = {pieces[a]}, freq({b}) = {pieces[b]}, so its "
                f"WordPiece score is {pairs[p]}/({pieces[a]}*{pieces[b]}) = {score[p]:.4f}")

    if (bpe_first, wordpiece_first) == (wp, bpe):
        raise ExerciseError("your two answers are swapped: BPE merges the most FREQUENT pair; WordPiece the pair "
                            "with the highest freq(ab) / (freq(a) freq(b)).")
    if bpe_first != bpe:
        if pairs[bpe_first] < pairs[bpe]:
            raise ExerciseError(f"bpe_first: {describe(bpe_first)}. BPE ignores the score and merges the most "
                                f"frequent pair: count every adjacent pair, each word weighted by its count; "
                                f"one pair occurs {pairs[bpe]} times.")
        raise ExerciseError(f"bpe_first: {describe(bpe_first)}, as often as the right pair; recount.")
    if wordpiece_first != wp:
        if wordpiece_first == bpe:
            raise ExerciseError(f"wordpiece_first: {describe(wordpiece_first)}. That is the most frequent pair, "
                                f"BPE's choice; WordPiece divides by how often each part occurs, and the parts "
                                f"of this pair are frequent on their own, so another pair scores higher.")
        raise ExerciseError(f"wordpiece_first: {describe(wordpiece_first)}; another pair scores "
                            f"{score[wp]:.4f}. Score every pair, dividing its count by BOTH parts' counts "
                            f"(a part counted in every word it occurs in, not only next to its partner).")
    passed("the first merge of BPE and of WordPiece")


# --------------------------------------------------------------------------------------------
# longest-first truncation, graded on the concept

# (len_a, len_b, max_length): no cut, one long sentence, both long (even and odd budgets), ties, tiny budgets.
TRUNCATION_CASES = [(3, 4, 12), (5, 5, 13), (20, 4, 12), (4, 20, 12), (14, 4, 12), (10, 10, 13), (10, 10, 12),
                    (9, 10, 12), (12, 11, 9), (7, 6, 8), (2, 30, 12), (30, 2, 12), (6, 6, 4), (1, 1, 4), (8, 3, 9)]


def _pieces(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i}" for i in range(n)]


def _truncation_hint(a, b, got_a, got_b, max_length) -> str:
    """Empty if (got_a, got_b) is a longest-first truncation of (a, b); otherwise what is wrong."""
    budget = max_length - 3
    need = min(budget, len(a) + len(b))
    x, y = len(got_a), len(got_b)
    if got_a != a[:x] or got_b != b[:y]:
        if (0 < x < len(a) and got_a == a[-x:]) or (0 < y < len(b) and got_b == b[-y:]):
            return "Keep the beginning of each sentence: remove pieces from the END (you kept the end)."
        return "Each kept sentence must be the first pieces of the original, in order (a prefix of it)."
    if x < len(a) and y < len(b) and abs(x / len(a) - y / len(b)) < 0.15 and abs(x - y) > 1:
        return ("You cut both sentences in proportion to their lengths. Longest first takes pieces only from "
                "the LONGER sentence, one at a time, until the two are equally long.")
    if x < len(a) and x < y - 1:
        return ("You shortened A while B was longer. Longest first always removes a piece from the LONGER "
                "sentence (whichever it is), so a short sentence is never cut while the other is longer.")
    if y < len(b) and y < x - 1:
        return ("You shortened B while A was longer. Longest first always removes a piece from the LONGER "
                "sentence (whichever it is), so a short sentence is never cut while the other is longer.")
    if x + y > budget:
        if x + y == max_length:
            return ("You used max_length for the pieces alone: [CLS] and the two [SEP]s count too, so the pieces "
                    "may use only max_length - 3.")
        return f"That is {x + y + 3} tokens with [CLS] and two [SEP]s: more than max_length = {max_length}."
    if x + y < need:
        if len(a) + len(b) <= budget:
            return "Nothing needed cutting here: the pair already fits, so keep both sentences whole."
        return f"You removed more than needed: {x + y} pieces kept where {need} fit. Stop as soon as it fits."
    return ""


@exercise_check
def check_truncate_longest_first(fn) -> None:
    """``fn(pieces_a, pieces_b, max_length) -> (kept_a, kept_b)``: remove pieces from the end of the
    longer sentence, one at a time, until [CLS] A [SEP] B [SEP] fits in ``max_length`` tokens.
    When the two are equally long either may lose the next piece: both rules in use pass."""
    for len_a, len_b, max_length in TRUNCATION_CASES:
        a, b = _pieces("A", len_a), _pieces("B", len_b)
        call = f"truncate_longest_first(A = {len_a} pieces, B = {len_b} pieces, max_length={max_length})"
        try:
            result = fn(list(a), list(b), max_length)
        except Exception as e:
            raise ExerciseError(f"{call} raised {type(e).__name__}: {e}") from e
        if (not isinstance(result, (tuple, list)) or len(result) != 2
                or not all(isinstance(r, (list, tuple)) for r in result)):
            raise ExerciseError(f"{call} must return a pair (kept_a, kept_b) of lists of pieces; "
                                f"got {type(result).__name__}: {result!r:.200}.")
        got_a, got_b = list(result[0]), list(result[1])
        hint = _truncation_hint(a, b, got_a, got_b, max_length)
        if hint:
            raise ExerciseError(f"{call}: you kept {len(got_a)} + {len(got_b)} pieces (A={got_a}, B={got_b}). {hint}")
    passed("longest-first truncation")
