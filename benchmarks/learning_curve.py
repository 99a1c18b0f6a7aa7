"""SST-2 learning curve: dev accuracy against the number of labelled training examples.

Lesson 8 plots what this script writes. Three encoders, ``scratch`` (the tiny preset, random
weights), ``pretrained`` (our bertbook-tiny checkpoint) and ``minilm`` (all-MiniLM-L6-v2), are
fine-tuned by ``bertbook.learning_curve.fine_tune_point``, whose module says how the training
subsets (fixed per seed, nested, the same for every encoder) and each encoder's recipe are chosen.
The seed also draws the head (and, for ``scratch``, the whole encoder), the batch order and the
dropout masks. Every run is scored once, at its end, on the 872 dev sentences.

``--poolings`` adds the vector under the head ("pooler": BERT's dense + tanh on [CLS], what
``BertForSequenceClassification`` uses; "cls": the raw [CLS] vector; "mean": the mean over the
tokens, see ``bertbook.pooling``).

Resumable: the output JSON is rewritten (atomically) after every finished run, and a run whose
(model, pooling, n_train, seed) is already recorded is skipped. Run it with one thread:

    python benchmarks/learning_curve.py --threads 1 --models scratch pretrained minilm \\
        --sizes 125 500 2000 --seeds 0 1 2
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def key(record: dict) -> tuple:
    return record["model"], record["pooling"], record["n_train"], record["seed"]


def load(path: Path) -> dict:
    if path.is_file():
        return json.loads(path.read_text())
    return {"what": "SST-2 dev accuracy (872 sentences) after fine-tuning on n labelled training examples",
            "script": "benchmarks/learning_curve.py", "commands": [], "records": []}


def save(path: Path, results: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, indent=1) + "\n")
    os.replace(tmp, path)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", nargs="+", default=["scratch", "pretrained", "minilm"], choices=["scratch", "pretrained", "minilm"])
    p.add_argument("--sizes", nargs="+", type=int, default=[125, 500, 2000])
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--poolings", nargs="+", default=["pooler"], choices=["pooler", "cls", "mean"])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", type=Path, default=ROOT / "data" / "results" / "learning_curve.json")
    args = p.parse_args(argv)

    import torch
    torch.set_num_threads(args.threads)
    from bertbook import load_sst2
    from bertbook.learning_curve import fine_tune_point

    train_texts, train_labels = load_sst2("train")
    dev_texts, dev_labels = load_sst2("dev")
    results = load(args.out)
    command = "python benchmarks/learning_curve.py " + " ".join(argv if argv is not None else sys.argv[1:])
    if command not in results["commands"]:
        results["commands"].append(command)
    done = {key(r) for r in results["records"]}
    for n in args.sizes:
        for seed in args.seeds:
            for model_name in args.models:
                for pooling in args.poolings:
                    if (model_name, pooling, n, seed) in done:
                        continue
                    _, _, record = fine_tune_point(model_name, n, seed, train_texts, train_labels,
                                                   dev_texts, dev_labels, pooling=pooling)
                    record.update(threads=args.threads, torch=torch.__version__)
                    results["records"].append(record)
                    done.add(key(record))
                    save(args.out, results)
                    print(json.dumps(record), flush=True)
    save(args.out, results)


if __name__ == "__main__":
    main()
