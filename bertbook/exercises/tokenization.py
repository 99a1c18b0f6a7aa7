"""Self-checks for lesson 1 (tokenization). Each one compares the student's function with what the
real ``tokenizers`` pipeline does on the same inputs, and names the first case that differs."""
from __future__ import annotations

from . import ExerciseError, exercise_check, passed

# Words for the WordPiece check: common, split, unseen, and a character no vocabulary has.
WORDPIECE_WORDS = ["whale", "harpooneers", "unaffable", "shouting", "tokenization", "x", "x🙂y", "a" * 101]
# A hand-made vocabulary where greedy longest-match-first gives up although a split exists.
TRAP_VOCAB = {"[UNK]": 0, "a": 1, "ab": 2, "##bc": 3, "##d": 4, "##b": 5}
TRAP_WORDS = ["abc", "abd", "ab", "abbd", "c"]

PAIRS = [("the whale", "call me ishmael"), ("unaffable harpooneers!", "yes."), ("north", "south")]
TRUNCATION_CASES = [("the whale swam far away into the deep blue sea", "call me ishmael", m) for m in (20, 12, 9, 8, 6, 5, 4)] + \
                   [("one two three four", "five six seven eight", m) for m in (10, 9, 8, 7)] + \
                   [("call me ishmael", "the whale swam far away into the deep blue sea", m) for m in (12, 9, 8, 6)]


def _reference_wordpiece(word: str, vocab: dict) -> list[str]:
    from tokenizers import models
    return [t.value for t in models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100).tokenize(word)]


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
            got = fn(word, voc)
        except Exception as e:  # a crash is a wrong answer too: say where
            raise ExerciseError(f"wordpiece({word!r}) raised {type(e).__name__}: {e}") from e
        if not isinstance(got, (list, tuple)) or not all(isinstance(p, str) for p in got):
            raise ExerciseError(f"wordpiece({word!r}) must return a list of strings, got {got!r}.")
        got = list(got)
        if got == want:
            continue
        hint = ""
        if want == ["[UNK]"]:
            hint = (" When some part of the word matches no piece, or the word is longer than 100 characters, "
                    "the *whole word* becomes a single [UNK] (not just the bad part).")
        elif any(p.startswith("##") for p in want) and not any(p.startswith("##") for p in got[1:]):
            hint = " Pieces after the first must be looked up with the '##' prefix (e.g. '##ing')."
        elif len(got) > len(want):
            hint = " At each step take the LONGEST piece in the vocabulary that starts the rest of the word."
        small = " (in the small trap vocabulary TRAP_VOCAB)" if voc is TRAP_VOCAB else ""
        raise ExerciseError(f"wordpiece({word!r}){small} returned {got}, but WordPiece gives {want}.{hint}")
    passed("WordPiece, greedy longest-match-first")


@exercise_check
def check_pair_layout(fn) -> None:
    """``fn(pieces_a, pieces_b) -> (tokens, token_type_ids)``: lay out a sentence pair as BERT does."""
    from ..tokenizer import load_tokenizer
    tok = load_tokenizer("bertbook")
    for a, b in PAIRS:
        pa = tok.encode(a, add_special_tokens=False).tokens
        pb = tok.encode(b, add_special_tokens=False).tokens
        ref = tok.encode(a, b)
        want_tokens, want_types = ref.tokens, ref.type_ids
        try:
            result = fn(list(pa), list(pb))
            tokens, types = result
        except (TypeError, ValueError) as e:
            raise ExerciseError(f"fn({pa}, {pb}) must return a pair (tokens, token_type_ids); got an error: {e}") from e
        tokens, types = list(tokens), [int(t) for t in types]
        if tokens != want_tokens:
            hint = ""
            if tokens and tokens[0] != "[CLS]":
                hint = " The sequence starts with [CLS] (its final vector is what classifiers read)."
            elif tokens.count("[SEP]") != 2:
                hint = " A pair has two [SEP]s: one after each sentence."
            raise ExerciseError(f"for A={pa}, B={pb} your tokens are {tokens}, BERT's are {want_tokens}.{hint}")
        if len(types) != len(tokens):
            raise ExerciseError(f"token_type_ids must have one entry per token ({len(tokens)}), got {len(types)}.")
        if types != want_types:
            hint = ""
            if types[-1] != 1:
                hint = " The final [SEP] belongs to sentence B (segment 1); [CLS] and the first [SEP] to A (0)."
            raise ExerciseError(f"for {want_tokens} your token_type_ids are {types}, BERT's are {want_types}.{hint}")
    passed("sentence-pair layout with segment ids")


@exercise_check
def check_truncate_longest_first(fn) -> None:
    """``fn(pieces_a, pieces_b, max_length) -> (kept_a, kept_b)``: cut pieces off the end of the
    longer sentence, one at a time, until [CLS] A [SEP] B [SEP] fits in ``max_length``."""
    from ..tokenizer import encode, load_tokenizer
    tok = load_tokenizer("bertbook")
    for a, b, max_length in TRUNCATION_CASES:
        pa = tok.encode(a, add_special_tokens=False).tokens
        pb = tok.encode(b, add_special_tokens=False).tokens
        ref = encode(tok, a, b, max_length=max_length, truncation=True)
        ids, types = ref["input_ids"][0].tolist(), ref["token_type_ids"][0].tolist()
        pieces = [tok.id_to_token(i) for i in ids]
        want_a = [p for p, t in zip(pieces, types) if t == 0][1:-1]       # drop [CLS] and the first [SEP]
        want_b = [p for p, t in zip(pieces, types) if t == 1][:-1]        # drop the final [SEP]
        try:
            got_a, got_b = fn(list(pa), list(pb), max_length)
        except (TypeError, ValueError) as e:
            raise ExerciseError(f"fn(A, B, {max_length}) must return a pair (kept_a, kept_b); got an error: {e}") from e
        got_a, got_b = list(got_a), list(got_b)
        if (got_a, got_b) == (want_a, want_b):
            continue
        hint = ""
        if len(got_a) + len(got_b) + 3 > max_length:
            hint = f" That is {len(got_a) + len(got_b) + 3} tokens with [CLS] and two [SEP]s: too many."
        elif got_a != pa[:len(got_a)] or got_b != pb[:len(got_b)]:
            hint = " Keep the beginning of each sentence: remove pieces from the END."
        elif len(got_a) + len(got_b) + 3 < max_length and len(want_a) + len(want_b) > len(got_a) + len(got_b):
            hint = " You removed more than needed: stop as soon as it fits."
        else:
            hint = (" With budget = max_length - 3, the shorter sentence keeps min(its length, budget // 2) "
                    "pieces (A counts as the shorter one when both are equally long) and the longer one gets "
                    "the rest: that is what the `tokenizers` library does.")
        raise ExerciseError(f"A={pa}, B={pb}, max_length={max_length}: you kept A={got_a}, B={got_b}; "
                            f"BERT keeps A={want_a}, B={want_b}.{hint}")
    passed("longest-first truncation")
