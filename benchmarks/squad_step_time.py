"""Seconds per training step of the SQuAD recipe (lesson 9's shipped ``minilm-squad``) by window
length and attention dropout: why the recipe sets attention dropout to 0.

With dropout on the attention probabilities, a CPU cannot use torch's fused attention kernel
(it has no dropout), so attention is written out and every [batch, heads, L, L] matrix is kept for
the backward pass; at L = 384 that, not the linear layers, dominates a step. The rows differ only
in those settings (batch 32 of the SQuAD training windows, top 4 layers trained, bfloat16 autocast,
hidden dropout 0.1); ratios are against the first row.

    python benchmarks/squad_step_time.py --threads 2      # about three minutes on 2 cores
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bertbook.finetuning import training_step  # noqa: E402
from bertbook.optimizer import adamw  # noqa: E402
from bertbook.question_answering import squad_batches  # noqa: E402
from bertbook.schedule import warmup_then_decay  # noqa: E402
from bertbook.task_models import new_task_model  # noqa: E402

ROWS = [(160, 64, 0.1), (384, 128, 0.1), (384, 128, 0.0), (256, 128, 0.0)]   # max_length, stride, attention dropout


def seconds_per_step(max_length: int, stride: int, attention_dropout: float, steps: int) -> float:
    model, tokenizer = new_task_model("squad", 4, seed=0, dropout=0.1, attention_dropout=attention_dropout)
    make_batch, n, _ = squad_batches(model, tokenizer, max_length, stride, limit=400)
    optimizer = adamw(model, 1e-4, 0.01)
    schedule = warmup_then_decay(optimizer, 1, 100)
    order = torch.Generator().manual_seed(0)
    batches = [make_batch(torch.randperm(n, generator=order)[:32].tolist()) for _ in range(steps + 1)]
    training_step(model, batches[0], optimizer, schedule, bf16=True)          # warm-up step, not timed
    t0 = time.perf_counter()
    for batch in batches[1:]:
        training_step(model, batch, optimizer, schedule, bf16=True)
    return (time.perf_counter() - t0) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--steps", type=int, default=3)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), batch 32, {args.steps} timed steps per row")
    first = None
    for max_length, stride, p in ROWS:
        s = seconds_per_step(max_length, stride, p, args.steps)
        first = first or s
        print(f"windows of {max_length:3d} (stride {stride:3d}), attention dropout {p}: {s:5.2f} s/step  "
              f"({s / first:.2f}x the first row)", flush=True)


if __name__ == "__main__":
    main()
