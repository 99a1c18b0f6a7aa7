"""SQuAD v1.1 scoring: hand-worked cases, and the official evaluate-v1.1.py logic re-typed here as
the reference (bertbook's version must agree with it on every prediction)."""
import re
import string
from collections import Counter

import pytest

from bertbook.squad_metrics import best_over_golds, exact_match, f1, normalize_answer, squad_scores


# --- the official script (evaluate-v1.1.py), re-typed ---------------------------------------------
def official_normalize_answer(s):
    def remove_articles(text):
        return re.sub(r'\b(a|an|the)\b', ' ', text)

    def white_space_fix(text):
        return ' '.join(text.split())

    def remove_punc(text):
        exclude = set(string.punctuation)
        return ''.join(ch for ch in text if ch not in exclude)

    def lower(text):
        return text.lower()

    return white_space_fix(remove_articles(remove_punc(lower(s))))


def official_f1_score(prediction, ground_truth):
    prediction_tokens = official_normalize_answer(prediction).split()
    ground_truth_tokens = official_normalize_answer(ground_truth).split()
    common = Counter(prediction_tokens) & Counter(ground_truth_tokens)
    num_same = sum(common.values())
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(prediction_tokens)
    recall = 1.0 * num_same / len(ground_truth_tokens)
    return (2 * precision * recall) / (precision + recall)


def official_exact_match_score(prediction, ground_truth):
    return official_normalize_answer(prediction) == official_normalize_answer(ground_truth)


# --- hand-worked cases ---------------------------------------------------------------------------
@pytest.mark.parametrize("raw, normalised", [
    ("The Eiffel Tower!", "eiffel tower"),
    ("  an   apple, a pear ", "apple pear"),
    ("Theatre", "theatre"),                     # "the" inside a word stays
    ("U.S.A.", "usa"),
    ("the the", ""),
])
def test_normalisation(raw, normalised):
    assert normalize_answer(raw) == normalised


def test_hand_worked_scores():
    assert exact_match("the Broncos", "Broncos") == 1.0
    assert exact_match("Denver Broncos", "Broncos") == 0.0
    # pred {denver, broncos}, gold {broncos}: precision 1/2, recall 1 -> F1 2/3
    assert f1("Denver Broncos", "Broncos") == pytest.approx(2 / 3)
    # pred {in, 1990s}, gold {late, 1990s}: 1 common word, P = R = 1/2 -> F1 1/2
    assert f1("in the 1990s", "the late 1990s") == pytest.approx(0.5)
    assert f1("Paris", "London") == 0.0
    assert f1("a", "the") == 0.0              # both normalise to nothing: no common word
    # repeated words count with multiplicity: pred {new, new, york}, gold {new, york}: common 2
    assert f1("new new york", "new york") == pytest.approx(2 * (2 / 3) * 1 / (2 / 3 + 1))


def test_best_over_several_golds_and_dataset_mean():
    golds = ["Denver Broncos", "Broncos", "the Denver Broncos"]
    assert best_over_golds(exact_match, "Broncos", golds) == 1.0
    questions = [{"id": "a", "answers": [{"text": g} for g in golds]},
                 {"id": "b", "answers": [{"text": "1990s"}]},
                 {"id": "c", "answers": [{"text": "Paris"}]}]
    scores = squad_scores(questions, {"a": "Broncos", "b": "late 1990s"})     # "c" unanswered: 0
    assert scores["exact_match"] == pytest.approx(100 / 3)
    assert scores["f1"] == pytest.approx(100 * (1 + 2 / 3) / 3)
    with pytest.raises(ValueError, match="gold"):
        best_over_golds(f1, "x", [])


def test_agrees_with_the_official_script_on_real_answers():
    """Every gold answer of the validation articles scored against every other answer of its
    question and against shifted spans: the same numbers as the official functions."""
    from bertbook.task_datasets import load_squad
    questions = load_squad("validation")[:400]
    n = 0
    for q in questions:
        golds = [a["text"] for a in q["answers"]]
        candidates = golds + [q["context"][a["answer_start"]:a["answer_start"] + len(a["text"]) + 7] for a in q["answers"]]
        for pred in candidates:
            for g in golds:
                assert normalize_answer(pred) == official_normalize_answer(pred)
                assert f1(pred, g) == pytest.approx(official_f1_score(pred, g))
                assert exact_match(pred, g) == float(official_exact_match_score(pred, g))
                n += 1
    assert n > 2000
