"""The lesson-9 data splits: sizes as documented, disjoint, fixed."""
from collections import Counter

from bertbook.task_datasets import (SNLI_LABELS, SQUAD_VALIDATION_ARTICLES, WNUT_LABELS, load_snli, load_squad,
                                    load_wnut17)


def test_snli_split_by_premise():
    train, val = load_snli("train"), load_snli("validation")
    assert (len(train), len(val)) == (8065, 1777)
    assert not {x["premise"] for x in train} & {x["premise"] for x in val}
    counts = Counter(x["label"] for x in val)
    assert set(counts) == {0, 1, 2} and min(counts.values()) > 500          # balanced, as SNLI is
    assert load_snli("validation") == val                                   # fixed
    assert all(x["premise"] and x["hypothesis"] for x in train + val)
    assert SNLI_LABELS == ("entailment", "neutral", "contradiction")


def test_wnut17_as_given():
    train, dev = load_wnut17("train"), load_wnut17("validation")
    assert (len(train), len(dev)) == (3394, 1009)
    tags = {t for s in train + dev for t in s["tags"]}
    assert tags <= set(WNUT_LABELS) and len(WNUT_LABELS) == 13
    assert all(len(s["words"]) == len(s["tags"]) > 0 for s in train)


def test_squad_split_by_article():
    train, val = load_squad("train"), load_squad("validation")
    assert (len(train), len(val)) == (9180, 1390)
    assert {q["title"] for q in val} == set(SQUAD_VALIDATION_ARTICLES)
    assert not {q["title"] for q in train} & set(SQUAD_VALIDATION_ARTICLES)
    assert len({q["title"] for q in train}) == 40
    for q in val[:200]:
        for a in q["answers"]:
            assert q["context"][a["answer_start"]:a["answer_start"] + len(a["text"])] == a["text"]
