"""Who is answering: a one-line card for each fill-mask model, read from its checkpoint's metadata.

A student who sees "paris" fill "Paris is the capital of [MASK]" should not conclude that BERT is
foolish: the small model on screen read a few million words for an hour or two on a CPU, where
BERT-base read 3.3 billion for days on TPUs. So the widget prints, under every prediction, the
model's name, size, what it read, for how long, and how it scores on the course's cloze test. The
facts live beside the weights (``card.json`` in the checkpoint folder, written by
``python -m bertbook.model_cards NAME`` from the training metadata and a fresh cloze run), never in
the widget's code, and a test checks the stored cloze scores against a live run.
"""
from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path

from .corpus import DATA_DIR

CARD_FILE = "card.json"


@dataclass
class ModelCard:
    name: str
    read: str                      # what the model read ("the 52 books and 4.3M words of everyday English")
    trained: str                   # for how long ("2,400 steps of 64 sentences, 1.6 h on a 2-core CPU")
    cloze: dict = field(default_factory=dict)    # {"everyday": {"top1": 20, "top5": 30, "n": 47}, "novels": ...}

    def line(self, parameters: int | None = None) -> str:
        """The one line the widget shows."""
        size = f", {parameters / 1e6:.1f}M parameters" if parameters else ""
        scores = "; ".join(f"{register} {s['top1']}/{s['n']} right first, {s['top5']}/{s['n']} in the top 5"
                           for register, s in self.cloze.items())
        return (f"Answering: {self.name}{size}. It read {self.read}; {self.trained}."
                + (f" Cloze test: {scores}." if scores else ""))


def card_path(name: str) -> Path:
    from .weights import resolve_checkpoint_dir
    folder = DATA_DIR / "pretrained" / name
    return (folder if folder.is_dir() else resolve_checkpoint_dir(name)) / CARD_FILE


def load_card(name: str) -> ModelCard | None:
    """The card of a shipped model, or None for a model without one (e.g. a student's own)."""
    path = card_path(name)
    if not path.is_file():
        return None
    return ModelCard(**json.loads(path.read_text(encoding="utf-8")))


def cloze_by_register(model: str, items=None) -> dict:
    """``{register: {"top1", "top5", "n"}}`` on the first cloze set (or ``items``) for a named model (everyday
    first); one pass over the sentences gives both counts."""
    from .cloze import cloze_score
    answers = cloze_score(k=5, model=model, items=items)
    top1, top5 = answers.within(1).by_set(), answers.by_set()
    return {r: {"top1": top1[r][0], "top5": top5[r][0], "n": top5[r][1]} for r in sorted(top5, key=lambda r: r != "everyday")}


def write_card(name: str, read: str, trained: str) -> ModelCard:
    card = ModelCard(name, read, trained, cloze_by_register(name))
    card_path(name).write_text(json.dumps(card.__dict__, indent=1) + "\n", encoding="utf-8")
    return card


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bertbook.model_cards", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", help="a shipped fill-mask model, e.g. minilm-mlm or bertbook-tiny")
    parser.add_argument("--read", help="what it read (default: the card's current text)")
    parser.add_argument("--trained", help="for how long (default: the card's current text)")
    args = parser.parse_args(argv)
    old = load_card(args.name)
    if old is None and not (args.read and args.trained):
        parser.error(f"{args.name} has no card yet: give --read and --trained")
    card = write_card(args.name, args.read or old.read, args.trained or old.trained)
    print(card.line())


if __name__ == "__main__":
    main()
