"""Self-checks for lesson 5 (pretraining data).

The expected answers are written out here for fixed cases (no reference function the lesson could
import and wrap), what the student returns is validated (type, shape) before it is compared, and
each usual mistake gets its own hint.
"""
from __future__ import annotations

from numbers import Real

from . import ExerciseError, exercise_check, passed


# --- exercise 1 (predict): the 15% / 80-10-10 shares ---------------------------------------------

def _share(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ExerciseError(f"{what} should be a number between 0 and 1 (e.g. 0.25), got {type(value).__name__} "
                            f"{value!r}.")
    return float(value)


def _near(x: float, y: float) -> bool:
    return abs(x - y) < 0.0005


@exercise_check
def check_mask_shares(mask_share_of_inputs, true_token_share_of_predictions) -> None:
    """Two numbers of the 15% / 80-10-10 rule (ignore the tiny chance a random token is the true one):
    the share of input tokens that read [MASK], and the share of predicted positions whose input
    shows the true token."""
    a = _share(mask_share_of_inputs, "mask_share_of_inputs")
    b = _share(true_token_share_of_predictions, "true_token_share_of_predictions")
    if not _near(a, 0.15 * 0.8):
        hints = [
            (12.0, "12 looks like a percentage: give the share as a fraction between 0 and 1 (12% = 0.12)."),
            (0.15, "0.15 is the share of tokens *chosen* for prediction; only 80% of those become [MASK]."),
            (0.8, "0.8 is the share of the *chosen* tokens that become [MASK]; as a share of all input tokens, "
                  "multiply by the 15% that are chosen."),
            (0.015, "0.015 = 0.15 x 0.1 is the share of input tokens replaced by a *random* token (or kept); "
                    "[MASK] is the 80% case."),
            (0.135, "0.135 = 0.15 x 0.9 counts the random replacements too; only the 80% case reads [MASK]."),
        ]
        hint = next((h for value, h in hints if _near(a, value)), None)
        if hint is None and a > 1:
            hint = f"{a:g} is more than 1: give a share between 0 and 1, not a percentage or a count."
        raise ExerciseError(f"(a) {a:.4f} is not the share of input tokens that read [MASK]. "
                            + (hint or "Of all input tokens, 15% are chosen, and 80% of the chosen read [MASK]."))
    if not _near(b, 0.1):
        hints = [
            (10.0, "10 looks like a percentage: give the share as a fraction between 0 and 1 (10% = 0.1)."),
            (0.2, "0.2 counts the random replacements too; a random token is (almost) never the true token, so "
                  "only the 'keep' case shows it."),
            (0.9, "0.9 is the share whose input is *not* the true token ([MASK] 80% + random 10%): the question "
                  "asks for the rest."),
            (0.015, "0.015 = 0.15 x 0.1 is a share of *all* input tokens; the question asks about the predicted "
                    "positions only (the 15% chosen)."),
            (0.8, "0.8 is the share of predicted positions that read [MASK], which hides the true token."),
            (0.85, "0.85 is the share of tokens never chosen; the question is about the chosen (predicted) ones."),
        ]
        hint = next((h for value, h in hints if _near(b, value)), None)
        if hint is None and b > 1:
            hint = f"{b:g} is more than 1: give a share between 0 and 1, not a percentage or a count."
        raise ExerciseError(f"(b) {b:.4f} is not the share of predicted positions whose input shows the true "
                            "token. " + (hint or "Which of the three cases, [MASK] / random / keep, leaves the "
                                                 "true token in the input?"))
    passed("the 15% / 80-10-10 shares")


# --- exercise 2: truncating a pair that is too long ---------------------------------------------

# (len A, len B, max_seq_length) -> the lengths after Google's rule (either order when the rule ties)
_TRUNCATION_CASES = [
    ((100, 40, 128), {(85, 40)}),
    ((40, 100, 128), {(40, 85)}),
    ((10, 12, 128), {(10, 12)}),
    ((100, 60, 103), {(50, 50)}),
    ((200, 3, 128), {(122, 3)}),
    ((70, 70, 128), {(63, 62), (62, 63)}),
]


def _segment(got, what: str, original: list[str]) -> list[str]:
    if not isinstance(got, (list, tuple)):
        raise ExerciseError(f"{what} should be a list of tokens (strings), got {type(got).__name__}.")
    if not all(isinstance(t, str) for t in got):
        odd = next(t for t in got if not isinstance(t, str))
        raise ExerciseError(f"{what} should hold tokens (strings) taken from the input, got a "
                            f"{type(odd).__name__} ({odd!r}) among them.")
    got = list(got)
    if any(t in ("[CLS]", "[SEP]") for t in got):
        raise ExerciseError(f"{what} contains [CLS] or [SEP]: return the two segments *without* the special "
                            "tokens; only count their 3 positions in the budget.")
    return got


def _names_used(fn) -> set[str]:
    """Global and attribute names a function's code (and the code nested in it) refers to."""
    code = getattr(fn, "__code__", None)
    names, todo = set(), [code] if code is not None else []
    while todo:
        c = todo.pop()
        names.update(c.co_names)
        todo.extend(k for k in c.co_consts if hasattr(k, "co_names"))
    return names


def _is_contiguous(got: list[str], original: list[str]) -> bool:
    n = len(got)
    return any(original[s:s + n] == got for s in range(len(original) - n + 1))


@exercise_check
def check_truncate_pair(truncate_pair) -> None:
    """``truncate_pair(tokens_a, tokens_b, max_seq_length) -> (tokens_a, tokens_b)`` shortened so that
    ``[CLS] A [SEP] B [SEP]`` fits in ``max_seq_length``, by Google's rule: while too long, take one
    token off whichever segment is longer at that moment (from its front or its back)."""
    if _names_used(truncate_pair) & {"_truncate_pair", "create_pretraining_examples", "examples_from_token_ids"}:
        raise ExerciseError("your function calls bertbook's own pair builder; the exercise is to write the rule "
                            "yourself, from section 2's description.")
    for (na, nb, max_len), allowed in _TRUNCATION_CASES:
        a = [f"a{i}" for i in range(na)]
        b = [f"b{i}" for i in range(nb)]
        got = truncate_pair(list(a), list(b), max_len)
        if got is None:
            raise ExerciseError("truncate_pair returned None: return the pair (tokens_a, tokens_b), even if you "
                                "also shortened the lists in place.")
        if not (isinstance(got, (tuple, list)) and len(got) == 2):
            raise ExerciseError(f"truncate_pair should return a pair (tokens_a, tokens_b), got "
                                f"{type(got).__name__}{f' of length {len(got)}' if isinstance(got, (tuple, list)) else ''}.")
        ga, gb = _segment(got[0], "the first segment", a), _segment(got[1], "the second segment", b)
        case = f"with len(A) = {na}, len(B) = {nb}, max_seq_length = {max_len}"
        if not (_is_contiguous(ga, a) and _is_contiguous(gb, b)):
            raise ExerciseError(f"{case}: each segment must stay a contiguous run of its own tokens, shortened only "
                                "at its ends (front or back), never in the middle or mixed with the other segment.")
        lengths = (len(ga), len(gb))
        if lengths in allowed:
            continue
        want = sorted(allowed)[0]
        total, budget = sum(lengths), max_len - 3
        if total == max_len and na + nb > max_len:
            hint = (f"A and B hold {total} tokens, but [CLS] and two [SEP] take 3 of the {max_len} positions: A and B "
                    f"share {budget}.")
        elif total == max_len - 2 and na + nb > max_len - 2:
            hint = "that leaves room for two special tokens; there are three: one [CLS] and two [SEP]."
        elif total > budget:
            hint = f"A and B hold {total} tokens; with the 3 special tokens that is more than {max_len}."
        elif total < min(budget, na + nb):
            hint = (f"only {total} of the {budget} positions are used: stop as soon as the pair fits, removing one "
                    "token at a time.")
        elif (na, nb) == (100, 60) and lengths == (40, 60):
            hint = ("A was cut to fit in one go. Take one token at a time from whichever segment is longer *now*: "
                    "once A is no longer than B, B starts losing tokens too, and both end near 50.")
        elif lengths[0] < na and lengths[1] == nb and nb > na or lengths[1] < nb and lengths[0] == na and na > nb:
            hint = "you shortened the shorter segment; always take the token from the longer one."
        elif lengths[0] < na and lengths[1] < nb and (want[0] == na or want[1] == nb):
            hint = ("both segments lost tokens, as if in proportion; only the longer one loses tokens, so a short "
                    "segment keeps all of its tokens while the other is much longer.")
        else:
            hint = "take one token at a time from whichever segment is longer at that moment, until the pair fits."
        raise ExerciseError(f"{case} the segments should end with {want[0]} and {want[1]} tokens"
                            f"{' (or the other way round: a tie may go either way)' if len(allowed) > 1 else ''}; "
                            f"yours have {lengths[0]} and {lengths[1]}. {hint[0].upper()}{hint[1:]}")
    passed("truncating a pair to max_seq_length")


# --- exercise 3: whole words from SentencePiece pieces -------------------------------------------

_SP = "\u2581"      # SentencePiece's word-start mark, a "lower one eighth block"
_WORD_CASES = [
    (["[CLS]", f"{_SP}call", f"{_SP}me", f"{_SP}ish", "mael", f"{_SP}.", "[SEP]"],
     [[1], [2], [3, 4], [5]]),
    (["[CLS]", f"{_SP}the", f"{_SP}un", "bel", "iev", "able", f"{_SP}whale", "[SEP]", "y", f"{_SP}storm", "[SEP]"],
     [[1], [2, 3, 4, 5], [6], [8], [9]]),
    (["[CLS]", f"{_SP}a", "[SEP]", f"{_SP}b", "c", "[SEP]", "[PAD]"],
     [[1], [3, 4]]),
]


def _groups(got, tokens) -> list[list[int]]:
    if got is None:
        raise ExerciseError("word_groups returned None: return a list with one list of positions per word.")
    if not isinstance(got, (list, tuple)):
        raise ExerciseError(f"word_groups should return a list of lists of positions, got {type(got).__name__}.")
    got = list(got)
    if got and all(isinstance(g, int) and not isinstance(g, bool) for g in got):
        raise ExerciseError("you returned one flat list of positions; return one list *per word*, e.g. "
                            "[[1], [2], [3, 4]], so that a word's pieces stay together.")
    out = []
    for g in got:
        if isinstance(g, str):
            raise ExerciseError(f"a group is the string {g!r}: return lists of positions, e.g. [3, 4].")
        if not isinstance(g, (list, tuple)):
            raise ExerciseError(f"each word should be a list of positions, got {type(g).__name__} {g!r}.")
        if any(isinstance(i, str) for i in g):
            raise ExerciseError(f"a group holds tokens ({list(g)}): return their *positions* in the token list "
                                "(integers such as [3, 4]), which is what masking needs.")
        if not all(isinstance(i, int) and not isinstance(i, bool) for i in g):
            raise ExerciseError(f"positions must be integers, got {list(g)}.")
        out.append(list(g))
    return out


@exercise_check
def check_word_groups(word_groups) -> None:
    """``word_groups(tokens) -> list of lists of positions`` for SentencePiece pieces: a piece starting
    with "\u2581" starts a word, any other piece continues the word right before it; [CLS], [SEP] and
    [PAD] belong to no word (a piece right after one of them starts a word of its own)."""
    for tokens, want in _WORD_CASES:
        got = _groups(word_groups(list(tokens)), tokens)
        if got == want:
            continue
        flat = [i for g in got for i in g]
        specials = [i for i, t in enumerate(tokens) if t in ("[CLS]", "[SEP]", "[PAD]")]
        if flat and (min(flat) < 0 or max(flat) >= len(tokens)):
            hint = f"positions must index the token list (0 .. {len(tokens) - 1}, [CLS] is 0)."
        elif got == [[i + 1 for i in g] for g in want] or got == [[i - 1 for i in g] for g in want]:
            hint = "the positions are off by one: they index the token list as given, where [CLS] is position 0."
        elif any(i in specials for i in flat):
            hint = "special tokens ([CLS], [SEP], [PAD]) belong to no word: they are never masked."
        elif all(len(g) == 1 for g in got) and len(flat) == sum(len(g) for g in want):
            hint = (f"every piece is a word of its own. Here the mark is on the *first* piece of a word "
                    f"({_SP!r}, SentencePiece's convention); a piece without it continues the word before it.")
        elif any(any(j - i != 1 for i, j in zip(g, g[1:])) for g in got):
            hint = "a word's pieces are adjacent: a piece right after [SEP] cannot continue the word before [SEP]."
        elif any(len(g) > 1 and tokens[g[-1]].startswith(_SP) for g in got):
            hint = (f"a piece starting with {_SP!r} *starts* a word; it is the pieces without the mark that "
                    "continue the word before them (the opposite of BERT's '##').")
        else:
            hint = (f"a piece starting with {_SP!r} starts a word; a piece without it continues the word right "
                    "before it; [CLS], [SEP] and [PAD] belong to no word.")
        raise ExerciseError(f"for {tokens} the word groups should be {want}, got {got}. {hint[0].upper()}{hint[1:]}")
    passed("whole-word groups from SentencePiece pieces")
