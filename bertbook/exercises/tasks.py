"""Self-checks for lesson 9 (BERT for every task): word labels onto WordPiece pieces, BIO tags
back to entity spans, the best answer span from start/end logits, and a prediction about the
hypothesis-only baseline."""
from __future__ import annotations

import torch

from . import ExerciseError, exercise_check, passed

IGNORE = -100


@exercise_check
def check_align_labels(fn) -> None:
    """``fn(word_ids, word_labels) -> piece labels``: the first piece of a word gets the word's
    label; later pieces of the same word and special tokens (word id None) get -100."""
    cases = [
        ([None, 0, 1, 1, 1, None], [3, 4], [IGNORE, 3, 4, IGNORE, IGNORE, IGNORE]),
        ([None, 0, 0, 1, 2, 2, None, None], [7, 0, 5], [IGNORE, 7, IGNORE, 0, 5, IGNORE, IGNORE, IGNORE]),
        ([None, 0, 1, 2, None], [0, 0, 0], [IGNORE, 0, 0, 0, IGNORE]),
        ([None, 0, 0, 0, 0, None], [2], [IGNORE, 2, IGNORE, IGNORE, IGNORE, IGNORE]),
    ]
    for word_ids, word_labels, want in cases:
        got = fn(list(word_ids), list(word_labels))
        got = got.tolist() if isinstance(got, torch.Tensor) else list(got)
        where = f"for word_ids={word_ids} and word_labels={word_labels}"
        if len(got) != len(word_ids):
            raise ExerciseError(f"{where} return one label per piece ({len(word_ids)}), got {len(got)}.")
        if got[0] != IGNORE or got[-1] != IGNORE:
            raise ExerciseError(f"{where} [CLS] and [SEP] (word id None) must get -100, got {got}.")
        if got != want:
            later = [i for i in range(1, len(word_ids)) if word_ids[i] is not None and word_ids[i] == word_ids[i - 1]]
            if any(got[i] == word_labels[word_ids[i]] for i in later) and all(got[i] != IGNORE for i in later):
                raise ExerciseError(f"{where} you labelled every piece of a word; only the first piece keeps the "
                                    f"word's label, the rest get -100 (each word counts once). Expected {want}, got {got}.")
            raise ExerciseError(f"{where} expected {want}, got {got}.")
    passed("word labels to pieces")


@exercise_check
def check_bio_to_spans(fn) -> None:
    """``fn(tags) -> [(type, start, end)]``, ``end`` exclusive, as seqeval reads BIO."""
    cases = [
        (["B-person", "I-person", "O", "B-location"], [("person", 0, 2), ("location", 3, 4)]),
        (["O", "O"], []),
        (["B-group", "B-group", "I-group"], [("group", 0, 1), ("group", 1, 3)]),
        (["B-person", "I-location", "I-location"], [("person", 0, 1), ("location", 1, 3)]),
        (["O", "I-product", "I-product", "O"], [("product", 1, 3)]),
        (["B-corporation", "I-corporation", "I-corporation"], [("corporation", 0, 3)]),
    ]
    for tags, want in cases:
        got = [tuple(s) for s in fn(list(tags))]
        if got == want:
            continue
        if [(t, a, b - 1) for t, a, b in want] == got:
            raise ExerciseError(f"for {tags} your ends are inclusive; make them exclusive (Python slices): "
                                f"expected {want}, got {got}.")
        raise ExerciseError(f"for {tags} expected {want}, got {got}. Remember: B- always starts a new entity, "
                            "I- continues one of the same type, and an I- that continues nothing starts one.")
    passed("BIO tags to entity spans")


@exercise_check
def check_best_span(fn) -> None:
    """``fn(start_logits, end_logits, max_answer_tokens) -> (i, j)``: the legal span (i <= j,
    at most ``max_answer_tokens`` tokens) with the largest start_logits[i] + end_logits[j]."""
    cases = [
        (torch.tensor([0.0, 3.0, 1.0, 0.0]), torch.tensor([0.0, 0.0, 4.0, 1.0]), 30, (1, 2)),
        (torch.tensor([0.0, 1.0, 5.0]), torch.tensor([6.0, 2.0, 1.5]), 30, (2, 2)),   # argmax end is before start
        (torch.tensor([5.0, 0.0, 0.0, 0.0, 0.0]), torch.tensor([0.0, 0.0, 1.0, 0.0, 5.0]), 3, (0, 2)),
    ]
    g = torch.Generator().manual_seed(0)
    for _ in range(20):
        s, e = torch.randn(12, generator=g), torch.randn(12, generator=g)
        best = max((s[a] + e[b], a, b) for a in range(12) for b in range(a, min(12, a + 4)))
        cases.append((s, e, 4, (best[1], best[2])))
    for s, e, m, want in cases:
        got = tuple(int(x) for x in fn(s.clone(), e.clone(), m)[:2])
        if got == want:
            continue
        i, j = got
        if j < i:
            raise ExerciseError(f"for start logits {s.tolist()} and end logits {e.tolist()} you returned ({i}, {j}): "
                                "the end comes before the start. Consider only pairs with j >= i.")
        if j - i + 1 > m:
            raise ExerciseError(f"({i}, {j}) is {j - i + 1} tokens long, more than max_answer_tokens={m}.")
        raise ExerciseError(f"for start logits {[round(x, 2) for x in s.tolist()]} and end logits "
                            f"{[round(x, 2) for x in e.tolist()]} (at most {m} tokens) expected {want}, got {got}: "
                            "maximise start_logits[i] + end_logits[j] over the legal pairs together, not each alone.")
    passed("the best answer span")


HYPOTHESIS_ONLY_CHOICES = {
    "a": "about 33%, chance: without the premise there is nothing to go on",
    "b": "clearly above chance (say 45-70%), but well below the full model",
    "c": "about as good as the model that reads both sentences",
}


@exercise_check
def check_hypothesis_only_prediction(answer, measured_accuracy: float | None = None, chance: float = 1 / 3) -> None:
    """A prediction ("a", "b" or "c") about the hypothesis-only baseline, checked against the
    accuracy measured in the lesson when it is given."""
    choice = str(answer).strip().lower()[:1]
    if choice not in HYPOTHESIS_ONLY_CHOICES:
        raise ExerciseError(f"answer with one letter: {', '.join(f'{k}) {v}' for k, v in HYPOTHESIS_ONLY_CHOICES.items())}.")
    if measured_accuracy is not None and not chance + 0.08 < measured_accuracy < 0.75:
        raise ExerciseError(f"the measured accuracy {measured_accuracy:.3f} is outside the range this exercise "
                            "expects; re-run the baseline cell.")
    if choice == "a":
        raise ExerciseError("not chance: the hypotheses alone give a lot away. Crowd workers asked to write a "
                            "contradiction often used negation ('nobody', 'not', 'sleeping'), and entailments are "
                            "often generic re-phrasings ('a person', 'outdoors'). Run the baseline and look.")
    if choice == "c":
        raise ExerciseError("too far: the cues in the hypothesis help, but most pairs need the premise. Run the "
                            "baseline and compare its accuracy with the pair model's.")
    passed("the hypothesis-only prediction")
