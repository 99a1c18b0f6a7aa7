"""bertbook-tiny (trained on the nine novels) evaluated on the held-out text of the whole library:
does what it learned carry over to books it never read? The table of
data/pretrained/bertbook-tiny/README.md ("On the whole library") is this file's output.

    python benchmarks/tiny_on_library.py --threads 1      # about a minute on one core

For each shelf (the nine novels, the 43 more books, all 52) the last 2% of every book's sentences
is held out (``split_documents(..., 0.02)``, as the trainer does), examples are built as the trainer
builds its evaluation set (128 tokens, seed 43 = the shipped run's seed + 1) and the first 512 are
scored with ``evaluate_pretraining``. Writes data/results/bertbook_tiny_library.json.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bertbook import BertForPreTraining, load_pretrained, load_tokenizer  # noqa: E402
from bertbook.corpus import CORPUS_DIR, CORPUS_MORE_DIR, load_corpus, load_library  # noqa: E402
from bertbook.pretraining_data import create_pretraining_examples  # noqa: E402
from bertbook.training import TrainingArguments, evaluate_pretraining, split_documents  # noqa: E402

SHELVES = {"nine novels": lambda: load_corpus(CORPUS_DIR), "43 new books": lambda: load_corpus(CORPUS_MORE_DIR),
           "whole library": load_library}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default=str(ROOT / "data" / "results" / "bertbook_tiny_library.json"))
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    defaults = TrainingArguments()
    seed, cap = 42 + 1, defaults.eval_examples          # the shipped run's --seed 42; the trainer evaluates on seed + 1
    tokenizer = load_tokenizer("bertbook")
    model = load_pretrained("bertbook-tiny", model_class=BertForPreTraining).eval()
    rows, start = [], time.time()
    for name, load in SHELVES.items():
        books = load()
        _, held_out = split_documents(books, defaults.eval_fraction)
        examples = create_pretraining_examples(held_out, tokenizer, max_seq_length=128, seed=seed)[:cap]
        metrics = evaluate_pretraining(model, examples)
        rows.append({"held_out_text": name, "books": len(books), "examples": len(examples), **metrics})
        print(f"{name:14s} {len(books):3d} books, {len(examples):3d} examples: MLM accuracy {metrics['mlm_accuracy']:.3f}, "
              f"NSP accuracy {metrics['nsp_accuracy']:.3f}", flush=True)
    result = {"command": "python benchmarks/tiny_on_library.py --threads " + str(args.threads),
              "checkpoint": "data/pretrained/bertbook-tiny", "eval_fraction": defaults.eval_fraction, "seed": seed,
              "max_examples": cap, "seconds": round(time.time() - start, 1), "rows": rows}
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    return result


if __name__ == "__main__":
    main()
