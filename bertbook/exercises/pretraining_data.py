"""Self-checks for lesson 5 (pretraining data)."""
from __future__ import annotations

from . import ExerciseError, exercise_check, passed

def _expected_pair(a: list[str], b: list[str]) -> tuple[list[str], list[int]]:
    return ["[CLS]", *a, "[SEP]", *b, "[SEP]"], [0] * (len(a) + 2) + [1] * (len(b) + 1)


@exercise_check
def check_pack_pair(pack_pair) -> None:
    """``pack_pair(tokens_a, tokens_b) -> (tokens, segment_ids)`` builds ``[CLS] A [SEP] B [SEP]``."""
    cases = [(["the", "cat"], ["sat", "down", "."]), (["call", "me", "ish", "##mael", "."], ["whale", "!"]),
             (["a"], ["b"])]
    for a, b in cases:
        want_tokens, want_segments = _expected_pair(a, b)
        got = pack_pair(list(a), list(b))
        if not (isinstance(got, tuple) and len(got) == 2):
            raise ExerciseError("pack_pair must return a pair (tokens, segment_ids).")
        tokens, segments = list(got[0]), [int(s) for s in got[1]]
        if tokens != want_tokens:
            raise ExerciseError(f"for A={a}, B={b} the tokens should be {want_tokens}, got {tokens}. "
                                "One [CLS] at the front, a [SEP] after A and another after B.")
        if len(segments) != len(tokens):
            raise ExerciseError(f"one segment id per token: {len(tokens)} tokens but {len(segments)} segment ids.")
        if segments != want_segments:
            raise ExerciseError(f"for A={a}, B={b} the segment ids should be {want_segments}, got {segments}. "
                                "[CLS] and A's [SEP] belong to segment 0; B and its final [SEP] to segment 1.")
    passed("[CLS] A [SEP] B [SEP] with segment ids")


@exercise_check
def check_mask_shares(mask_share_of_inputs: float, true_token_share_of_predictions: float) -> None:
    """Two numbers of the 15% / 80-10-10 rule (ignore the tiny chance a random token is the true one):
    the share of input tokens that read [MASK], and the share of predicted positions whose input
    shows the true token."""
    if abs(mask_share_of_inputs - 0.15 * 0.8) > 0.005:
        hint = (" That is the share of tokens *chosen*; only 80% of those become [MASK]."
                if abs(mask_share_of_inputs - 0.15) < 0.005 else "")
        raise ExerciseError(f"{mask_share_of_inputs} is not the share of input tokens that read [MASK].{hint}")
    if abs(true_token_share_of_predictions - 0.1) > 0.005:
        hint = (" Count only the 'keep' case: a random replacement is (almost) never the true token."
                if abs(true_token_share_of_predictions - 0.2) < 0.005 else "")
        raise ExerciseError(f"{true_token_share_of_predictions} is not the share of predicted positions whose "
                            f"input shows the true token.{hint}")
    passed("the 15% / 80-10-10 shares")


@exercise_check
def check_word_groups(word_groups) -> None:
    """``word_groups(tokens) -> list of lists of positions``: one list per whole word, in order; a
    ``##`` piece joins the word before it; [CLS] / [SEP] belong to no word."""
    from ..widgets.masking_stats import word_groups as reference_word_groups   # the lesson's own helper
    cases = [["[CLS]", "call", "me", "ish", "##mael", ".", "[SEP]"],
             ["[CLS]", "the", "un", "##bel", "##iev", "##able", "whale", "[SEP]", "storm", "##y", "[SEP]"],
             ["[CLS]", "a", "[SEP]", "b", "[SEP]"]]
    for tokens in cases:
        want = reference_word_groups(tokens)
        got = [list(map(int, g)) for g in word_groups(list(tokens))]
        if got != want:
            raise ExerciseError(f"for {tokens} the word groups should be {want}, got {got}. A token starting "
                                "with '##' continues the previous word; special tokens are never masked.")
    passed("whole-word groups")
