"""How much does all-MiniLM-L6-v2 know about SNLI before lesson 9 fine-tunes it?

Lesson 9's shipped NLI model (``data/pretrained/minilm-snli``) scores 0.786 on our 1,777 validation
pairs after fine-tuning on 8,065 pairs. That number is not what 8k pairs teach a fresh BERT: the
checkpoint's own training data (its model card) already includes SNLI, MultiNLI and Flickr30k
captions, the source of SNLI's premises. This script measures what the checkpoint brings, on the
same split (``bertbook.task_datasets``: 8,065 training pairs, 1,777 validation pairs, split by
premise), with three seeds per setting:

* ``probe-uv`` (the probe lesson 9 reports): MiniLM frozen. Each sentence is encoded on its own and
  mean-pooled (then L2-normalised), exactly the sentence embedding all-MiniLM-L6-v2 was trained to
  produce; a logistic regression reads ``(u, v, |u - v|)`` of premise u and hypothesis v, the
  classifier Sentence-BERT (Reimers & Gurevych, 2019) trained on NLI. It measures what the embeddings the
  checkpoint ships already hold about the label, with no weight of MiniLM changed.
* ``probe-pair`` (optional, not run by default): MiniLM frozen, the pair encoded as one sequence
  (``[CLS] premise [SEP] hypothesis [SEP]``, segments 0/1, the input the fine-tune sees),
  mean-pooled over its tokens, then the same logistic regression. The committed results do not
  have it: on the shared CPU its encoding did not finish in the time the lesson's run had.
* ``scratch``: our tiny BERT (the ``tiny`` preset: 2 layers, hidden 128, 1.5M parameters, our 8k
  tokenizer) with random weights, fine-tuned on the 8,065 pairs with ``finetuning.train``.
* ``pretrained-tiny``: the same architecture started from ``data/pretrained/bertbook-tiny``
  (lesson 6's model, pretrained on nine novels, which contain no SNLI), fine-tuned the same way.

Both tiny models use lesson 8's tiny recipe (``bertbook.learning_curve.RECIPES``: peak lr 1e-3,
batch 32, every weight trained) for the shipped model's 3 epochs, warm-up 10%, dropout 0.1, at most
128 tokens; nothing was tuned on the validation pairs. The probes' logistic regression
(scikit-learn, L2, C = 1 on standardised features, lbfgs) is a convex fit on fixed features: its
seed only shuffles the rows, so the three seeds agree up to where the solver stops (a few thousandths).

Each fine-tune's seed draws the head (and, for ``scratch``, the whole encoder), the batch order
and the dropout masks. Every run is scored once, at its end, on the validation pairs.

    python benchmarks/nli_baselines.py --threads 1

Each setting is saved as soon as its seeds are done; ``--resume`` keeps what ``--out`` already
holds, and ``--merge-from`` adds the settings of a second process's file (run with another
``--out``), so the settings can run one after another or side by side. ``--limit-train`` / ``--limit-val`` / ``--epochs`` make a small run (the test uses them); the
output records them, and the lesson reads only a full run.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SETTINGS = ("probe-uv", "scratch", "pretrained-tiny", "probe-pair")
DEFAULT_SETTINGS = ("probe-uv", "scratch", "pretrained-tiny")
DESCRIPTIONS = {
    "probe-uv": "all-MiniLM-L6-v2 frozen; logistic regression on (u, v, |u-v|) of the mean-pooled, "
                "L2-normalised sentence embeddings (Sentence-BERT's NLI classifier)",
    "probe-pair": "all-MiniLM-L6-v2 frozen; logistic regression on the mean-pooled final vectors of the pair "
                  "encoded as one sequence ([CLS] premise [SEP] hypothesis [SEP], segments 0/1)",
    "scratch": "tiny BERT (2 layers, hidden 128, our 8k tokenizer), random weights, every weight fine-tuned",
    "pretrained-tiny": "tiny BERT started from data/pretrained/bertbook-tiny (lesson 6), every weight fine-tuned",
}


def machine() -> dict:
    import torch
    return {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(), "threads": torch.get_num_threads(), "torch": torch.__version__,
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}


# --- frozen MiniLM features + logistic regression --------------------------------------------------
def _encode_mean(model, tokenizer, texts, pairs=None, batch_size: int = 64, max_length: int = 128):
    """Mean-pooled final vectors (padding left out), batches sorted by length to pad little."""
    import torch

    from bertbook.pooling import mean_pool
    from bertbook.tokenizer import encode
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]) + (len(pairs[i]) if pairs else 0))
    out = torch.empty(len(texts), model.config.hidden_size)
    with torch.no_grad():
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            batch = encode(tokenizer, [texts[i] for i in idx], [pairs[i] for i in idx] if pairs else None,
                           max_length=max_length, truncation=True)
            hidden = model(batch["input_ids"], batch["attention_mask"], batch["token_type_ids"]).last_hidden_state
            out[idx] = mean_pool(hidden, batch["attention_mask"])
    return out


def probe_features(setting: str, train, val):
    """(X_train, X_val) for one probe setting from frozen all-MiniLM-L6-v2."""
    import torch

    from bertbook import BertModel, load_pretrained, load_tokenizer
    tokenizer = load_tokenizer("minilm")
    model = load_pretrained("minilm", model_class=BertModel).eval()
    if setting == "probe-pair":
        return tuple(_encode_mean(model, tokenizer, [x["premise"] for x in d], [x["hypothesis"] for x in d]).numpy()
                     for d in (train, val))
    sentences = sorted({x["premise"] for x in train + val} | {x["hypothesis"] for x in train + val})
    vectors = torch.nn.functional.normalize(_encode_mean(model, tokenizer, sentences), dim=-1)
    row = {s: i for i, s in enumerate(sentences)}

    def uv(data):
        u = vectors[[row[x["premise"]] for x in data]]
        v = vectors[[row[x["hypothesis"]] for x in data]]
        return torch.cat([u, v, (u - v).abs()], dim=-1).numpy()

    return uv(train), uv(val)


def probe_accuracy(x_train, y_train, x_val, y_val, seed: int) -> float:
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    rows = np.random.default_rng(seed).permutation(len(y_train))
    clf = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=3000, random_state=seed))
    clf.fit(x_train[rows], np.asarray(y_train)[rows])
    return float((clf.predict(x_val) == np.asarray(y_val)).mean())


# --- tiny BERTs fine-tuned with the package's loop ----------------------------------------------
def fine_tune_tiny(init: str, train, val, seed: int, epochs: int) -> dict:
    import torch

    from bertbook.finetuning import build_classifier, encode_examples, evaluate, train as train_loop
    from bertbook.learning_curve import RECIPES
    recipe = RECIPES["scratch" if init == "scratch" else "pretrained"]
    model, tokenizer = build_classifier("scratch" if init == "scratch" else "pretrained", num_labels=3, seed=seed)
    pairs = [(x["premise"], x["hypothesis"]) for x in train]
    labels = [x["label"] for x in train]

    def make_batch(idx):
        batch = encode_examples(tokenizer, [pairs[i] for i in idx], max_length=128)
        return {**batch, "labels": torch.tensor([labels[i] for i in idx])}

    history = train_loop(model, make_batch, len(pairs), epochs=epochs, batch_size=recipe["batch_size"],
                         lr=recipe["lr"], warmup=0.1, seed=seed, progress=False)
    accuracy = evaluate(model, tokenizer, [(x["premise"], x["hypothesis"]) for x in val],
                        [x["label"] for x in val], max_length=128).accuracy
    return {"accuracy": accuracy, "lr": recipe["lr"], "batch_size": recipe["batch_size"], "epochs": epochs,
            "steps": len(history), "final_loss": history[-1]["loss"]}


def summary(runs: list[dict]) -> dict:
    accs = [r["accuracy"] for r in runs]
    return {"mean": statistics.mean(accs), "sd": statistics.stdev(accs) if len(accs) > 1 else 0.0,
            "min": min(accs), "max": max(accs), "seeds": len(accs)}


def save(path: Path, results: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, indent=1) + "\n")
    os.replace(tmp, path)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--settings", nargs="+", default=list(DEFAULT_SETTINGS), choices=SETTINGS)
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--epochs", type=int, default=3, help="fine-tuning epochs (the shipped minilm-snli ran 3)")
    p.add_argument("--limit-train", type=int, default=None, help="first N training pairs only (a quick test)")
    p.add_argument("--limit-val", type=int, default=None, help="first N validation pairs only (a quick test)")
    p.add_argument("--out", type=Path, default=ROOT / "data" / "results" / "nli_baselines.json")
    p.add_argument("--resume", action="store_true", help="keep the settings --out already holds (same data, seeds)")
    p.add_argument("--merge-from", type=Path, nargs="+", default=[],
                   help="results files of the same data and seeds (e.g. a second process run with another --out): "
                        "their settings and sessions are added to --out, nothing is run")
    args = p.parse_args(argv)

    import torch

    from bertbook.task_datasets import load_snli
    torch.set_num_threads(args.threads)
    started = time.time()
    train, val = load_snli("train")[:args.limit_train], load_snli("validation")[:args.limit_val]
    results = {
        "what": "SNLI validation accuracy (our split) of what all-MiniLM-L6-v2 brings before fine-tuning, "
                "and of our tiny BERT fine-tuned on the same training pairs",
        "script": "benchmarks/nli_baselines.py",
        "command": "python benchmarks/nli_baselines.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "data": {"train_pairs": len(train), "validation_pairs": len(val),
                 "split": "bertbook.task_datasets.load_snli: SNLI 1.0 dev split by premise",
                 "limited": args.limit_train is not None or args.limit_val is not None},
        "descriptions": dict(DESCRIPTIONS),
        "probe": {"classifier": "sklearn LogisticRegression(C=1.0, lbfgs, max_iter=3000) on StandardScaler features",
                  "seed": "shuffles the training rows (and is the solver's random_state): a convex fit, so the "
                          "seeds agree up to the solver's tolerance"},
        "machine": machine(),
        "runs": {},
        "summary": {},
    }
    if args.merge_from:
        merged = json.loads(args.out.read_text())
        for path in args.merge_from:
            other = json.loads(path.read_text())
            if other["data"] != merged["data"] or other.get("seeds") != merged.get("seeds"):
                raise SystemExit(f"{path}: other data or seeds than {args.out}; not merged.")
            for s, runs in other["runs"].items():
                if s in merged["runs"]:
                    raise SystemExit(f"{path}: {s} is already in {args.out}; not merged.")
                merged["runs"][s], merged["summary"][s] = runs, other["summary"][s]
            merged["sessions"] += other.get("sessions", [])
        save(args.out, merged)
        return merged
    if args.resume and args.out.is_file():
        previous = json.loads(args.out.read_text())
        if previous["data"] == results["data"] and previous.get("seeds") == args.seeds:
            results["runs"], results["summary"] = previous["runs"], previous["summary"]
            results["sessions"] = previous.get("sessions", [])
    results["seeds"] = args.seeds
    results.setdefault("sessions", []).append({"command": results["command"], "machine": results["machine"]})
    y_train, y_val = [x["label"] for x in train], [x["label"] for x in val]
    for s in args.settings:
        if s in results["summary"]:
            print(f"{s:>16}: already measured, skipped", flush=True)
            continue
        runs = []
        if s.startswith("probe"):
            t0 = time.time()
            x_train, x_val = probe_features(s, train, val)
            feature_seconds = time.time() - t0
            for seed in args.seeds:
                t0 = time.time()
                acc = probe_accuracy(x_train, y_train, x_val, y_val, seed)
                runs.append({"seed": seed, "accuracy": acc, "seconds": round(time.time() - t0, 1)})
                print(f"{s:>16} seed {seed}: accuracy {acc:.4f}", flush=True)
            extra = {"feature_seconds": round(feature_seconds, 1), "features": int(x_train.shape[1])}
        else:
            for seed in args.seeds:
                t0 = time.time()
                record = fine_tune_tiny(s, train, val, seed, args.epochs)
                runs.append({"seed": seed, **record, "seconds": round(time.time() - t0, 1),
                             "load_average": [round(x, 2) for x in os.getloadavg()]})
                print(f"{s:>16} seed {seed}: accuracy {record['accuracy']:.4f} ({time.time() - t0:.0f} s)", flush=True)
            extra = {}
        results["runs"][s] = runs
        results["summary"][s] = {**summary(runs), **extra}
        save(args.out, results)            # after every setting: a stopped run keeps what it measured
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["seconds"] = round(time.time() - started, 1)
    save(args.out, results)
    return results


if __name__ == "__main__":
    main()
