"""SQuAD v1.1's exact match and F1, with the official script's answer normalisation.

The official ``evaluate-v1.1.py`` lower-cases both answers, removes punctuation, the articles
"a", "an", "the" and extra white space, then scores a prediction against *each* gold answer (a
SQuAD dev question usually has three or more, from different annotators) and keeps the best: exact match is 0 or 1,
F1 is the harmonic mean of precision and recall over the bag of words the two answers share.
The dataset's score is the mean over questions, times 100.
"""
from __future__ import annotations

import re
import string
from collections import Counter
from typing import Mapping, Sequence

_PUNCTUATION = set(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(s: str) -> str:
    """Lower case, no punctuation, no articles, single spaces (in the official script's order)."""
    s = s.lower()
    s = "".join(ch for ch in s if ch not in _PUNCTUATION)
    s = _ARTICLES.sub(" ", s)
    return " ".join(s.split())


def exact_match(prediction: str, gold: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(gold))


def f1(prediction: str, gold: str) -> float:
    """Word-overlap F1 of the normalised answers (0 when they share no word)."""
    pred, ref = normalize_answer(prediction).split(), normalize_answer(gold).split()
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def best_over_golds(metric, prediction: str, golds: Sequence[str]) -> float:
    if not golds:
        raise ValueError("a question needs at least one gold answer to be scored.")
    return max(metric(prediction, g) for g in golds)


def squad_scores(questions: Sequence[dict], predictions: Mapping[str, str]) -> dict:
    """``{"exact_match", "f1"}`` in percent over ``questions`` (``{"id", "answers": [{"text"}]}``),
    ``predictions`` mapping question id to answer text; a question with no prediction scores 0
    (as in the official script, which also warns)."""
    if not questions:
        raise ValueError("no questions to score.")
    em = f = 0.0
    for q in questions:
        golds = [a["text"] for a in q["answers"]]
        pred = predictions.get(q["id"])
        if pred is not None:
            em += best_over_golds(exact_match, pred, golds)
            f += best_over_golds(f1, pred, golds)
    return {"exact_match": 100 * em / len(questions), "f1": 100 * f / len(questions)}
