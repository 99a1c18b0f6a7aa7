"""The three task datasets of lesson 9, read from ``data/`` with fixed, documented splits.

* SNLI 1.0 (``data/snli/dev.tsv``, 9,842 premise/hypothesis pairs, 3 labels). There is no SNLI
  training file here, so the dev file is split in two **by premise**: each premise (a Flickr30k
  caption) comes with about three hypotheses, one per label, and a premise seen in training
  would make validation easier than new data. The 3,319 distinct premises, in file order, are
  shuffled with ``random.Random(0)``; the pairs of the first 600 are the validation split (1,777
  pairs), the rest train (8,065 pairs).
* WNUT-17 (``data/wnut17/train.conll`` 3,394 tweets, ``dev.conll`` 1,009), as given: one
  ``word<TAB>tag`` per line, a blank line between sentences, BIO tags over 6 entity types.
* SQuAD v1.1 (``data/squad/dev-v1.1.json``, 48 Wikipedia articles, 10,570 questions). No training
  file either, so it is split **by article**, whole articles on each side (questions about one
  paragraph share words with each other): the 8 articles of :data:`SQUAD_VALIDATION_ARTICLES`,
  drawn with ``random.Random(0).sample(titles, 8)``, hold 1,390 questions; the other 40 articles
  (9,180 questions) train.
"""
from __future__ import annotations

import functools
import json
import random
from pathlib import Path

from .corpus import DATA_DIR

SNLI_LABELS = ("entailment", "neutral", "contradiction")
SNLI_VALIDATION_PREMISES = 600
WNUT_TYPES = ("corporation", "creative-work", "group", "location", "person", "product")
WNUT_LABELS = ("O",) + tuple(f"{bi}-{t}" for t in WNUT_TYPES for bi in "BI")
SQUAD_VALIDATION_ARTICLES = ("Amazon_rainforest", "American_Broadcasting_Company", "Genghis_Khan",
                             "Harvard_University", "Jacksonville,_Florida", "Normans", "Packet_switching",
                             "Pharmacy")
SPLITS = ("train", "validation")


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r} (the test splits are kept aside).")


def _need(path: Path) -> Path:
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: it ships with the repository (see data/SOURCES.md).")
    return path


# --- SNLI --------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def _snli_rows(path: Path) -> tuple[tuple[str, str, str], ...]:
    lines = _need(path).read_text(encoding="utf-8").splitlines()
    if lines[0].split("\t") != ["premise", "hypothesis", "label"]:
        raise ValueError(f"{path}: expected the header 'premise<TAB>hypothesis<TAB>label'.")
    return tuple(tuple(x.strip() for x in line.split("\t")) for line in lines[1:] if line.strip())


def load_snli(split: str = "train", path: str | Path | None = None) -> list[dict]:
    """SNLI pairs of one split: ``[{"premise", "hypothesis", "label"}]`` with ``label`` an index
    into :data:`SNLI_LABELS`, in the file's order."""
    _check_split(split)
    rows = _snli_rows(Path(path) if path else DATA_DIR / "snli" / "dev.tsv")
    premises = list(dict.fromkeys(r[0] for r in rows))
    random.Random(0).shuffle(premises)
    held_out = set(premises[:SNLI_VALIDATION_PREMISES])
    return [{"premise": p, "hypothesis": h, "label": SNLI_LABELS.index(y)}
            for p, h, y in rows if (p in held_out) == (split == "validation")]


# --- WNUT-17 -----------------------------------------------------------------------------------
def read_conll(path: str | Path) -> list[dict]:
    """``[{"words": [...], "tags": [...]}]`` from a two-column CoNLL file."""
    sentences, words, tags = [], [], []
    for n, line in enumerate(_need(Path(path)).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            if words:
                sentences.append({"words": words, "tags": tags})
            words, tags = [], []
            continue
        parts = line.split("\t")
        if len(parts) != 2:
            raise ValueError(f"{path}, line {n}: expected 'word<TAB>tag', got {line!r}.")
        words.append(parts[0])
        tags.append(parts[1])
    if words:
        sentences.append({"words": words, "tags": tags})
    return sentences


def load_wnut17(split: str = "train") -> list[dict]:
    """WNUT-17 sentences: train = ``train.conll``, validation = ``dev.conll``."""
    _check_split(split)
    return read_conll(DATA_DIR / "wnut17" / ("train.conll" if split == "train" else "dev.conll"))


# --- SQuAD -------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def _squad_articles(path: Path) -> tuple:
    return tuple(json.loads(_need(path).read_text(encoding="utf-8"))["data"])


def squad_questions(articles) -> list[dict]:
    """Flatten SQuAD's article / paragraph / question nesting into one dict per question:
    ``{"id", "title", "question", "context", "answers": [{"text", "answer_start"}]}``."""
    return [{"id": qa["id"], "title": a["title"], "question": qa["question"], "context": p["context"],
             "answers": [{"text": x["text"], "answer_start": x["answer_start"]} for x in qa["answers"]]}
            for a in articles for p in a["paragraphs"] for qa in p["qas"]]


def load_squad(split: str = "train", path: str | Path | None = None) -> list[dict]:
    """SQuAD v1.1 questions of one split (by article, see the module docstring)."""
    _check_split(split)
    articles = _squad_articles(Path(path) if path else DATA_DIR / "squad" / "dev-v1.1.json")
    chosen = [a for a in articles if (a["title"] in SQUAD_VALIDATION_ARTICLES) == (split == "validation")]
    return squad_questions(chosen)
