"""Post-LN versus pre-LN at initialisation, over seeds, depths, losses and initialisations.

Lesson 4 plots what this script writes (``data/results/layernorm_gradients.json``); the lesson
itself runs one seed live and checks it against the file. Each measurement is one forward and
backward pass of ``bertbook.layernorm_placement.gradients_at_init`` (hidden size 256, 4 sequences
of 24 random unit-variance vectors, no dropout). Resumable: measurements already in the file are
kept, so a stopped run continues where it stopped.

    python benchmarks/layernorm_gradients.py --threads 1          # about two minutes on one core
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bertbook.layernorm_placement import gradients_at_init  # noqa: E402

OUT = ROOT / "data" / "results" / "layernorm_gradients.json"
SEEDS = range(5)


def plan():
    """(name, keyword arguments) of every measurement."""
    runs = []
    # 1. the per-layer picture: 12 layers, Xavier init, a language model's loss, three orders
    for order in ("post-LN", "pre-LN", "post-LN + encoder attention"):
        for seed in SEEDS:
            runs.append(dict(order=order, layers=12, init="xavier", loss="cross_entropy", seed=seed))
    # 2. Xiong et al.'s Theorem 1: the last layer's gradient against depth
    for layers in (2, 4, 6, 24, 48):
        for order in ("post-LN", "pre-LN"):
            for seed in SEEDS:
                runs.append(dict(order=order, layers=layers, init="xavier", loss="cross_entropy", seed=seed))
    # 3. does the loss or the initialisation change the per-layer shape? (12 layers, 3 seeds)
    for init, loss in (("xavier", "mse"), ("bert", "cross_entropy"), ("bert", "mse")):
        for order in ("post-LN", "pre-LN"):
            for seed in range(3):
                runs.append(dict(order=order, layers=12, init=init, loss=loss, seed=seed))
    return [("|".join(f"{k}={v}" for k, v in kw.items()), kw) for kw in runs]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    data = json.loads(args.out.read_text()) if args.out.exists() else {}
    data["command"] = f"python benchmarks/layernorm_gradients.py --threads {args.threads}"
    data["setup"] = ("bertbook.layernorm_placement.gradients_at_init: hidden 256, 4 heads, FFN 1024, "
                     "4 x 24 random unit-variance inputs, no dropout; cross_entropy = output layer over "
                     "1000 words, random targets")
    runs = data.setdefault("runs", {})
    for name, kw in plan():
        if name in runs:
            continue
        start = time.perf_counter()
        runs[name] = dict(kw, **dataclasses.asdict(gradients_at_init(**kw)))
        print(f"{name}: {time.perf_counter() - start:.1f} s", flush=True)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(data, indent=1))
    args.out.write_text(json.dumps(data, indent=1))
    print(f"{len(runs)} measurements in {args.out}")


if __name__ == "__main__":
    main()
