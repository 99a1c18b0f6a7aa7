"""Why BERT masks, over three seeds: train the one-layer encoder of ``bertbook/why_masking.py`` on
each objective (causal next token, bidirectional next token, bidirectional same token, masked LM)
on uniformly random tokens, and record the final training loss, the held-out loss and the mean
attention at offset +1 (the right neighbour). Lesson 6 runs one seed live and reads this file for
the spread.

    python benchmarks/why_masking.py --threads 1                     # ~1-2 minutes on one core
    python benchmarks/why_masking.py --seeds 0 --steps 3 --out /tmp/x.json   # does it run?

Resumable: runs already in ``--out`` (same objective, seed and settings) are kept.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bertbook.why_masking import OBJECTIVES, attention_offsets, random_windows, train_objective  # noqa: E402

SETTINGS = dict(vocab_size=64, seq_len=16, n_train=4096, n_held_out=64, steps=120, batch_size=32,
                learning_rate=1e-2, hidden_size=64)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=SETTINGS["steps"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default=str(ROOT / "data" / "results" / "why_masking.json"))
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    settings = {**SETTINGS, "steps": args.steps}
    out = Path(args.out)
    result = json.loads(out.read_text()) if out.is_file() else {}
    if result.get("settings") != settings:
        result = {"settings": settings, "runs": []}
    result["command"] = "python benchmarks/why_masking.py " + " ".join(argv if argv is not None else sys.argv[1:])
    result["ln_vocab"] = math.log(settings["vocab_size"])
    V, T = settings["vocab_size"], settings["seq_len"]
    train = random_windows(settings["n_train"], T, V, seed=0)
    held_out = random_windows(settings["n_held_out"], T, V, seed=99)
    done = {(r["objective"], r["seed"]) for r in result["runs"]}
    for seed in args.seeds:
        for objective, (attention, _) in OBJECTIVES.items():
            if (objective, seed) in done:
                continue
            start = time.time()
            run = train_objective(objective, train, held_out, mask_id=V, vocab_size=V + 1, steps=settings["steps"],
                                  batch_size=settings["batch_size"], seed=seed,
                                  learning_rate=settings["learning_rate"], hidden_size=settings["hidden_size"])
            offsets = attention_offsets(run.model, held_out, causal=attention == "causal")
            result["runs"].append(dict(objective=objective, seed=seed, final_train_loss=run.train_losses[-1],
                                       held_out_loss=run.held_out_loss,
                                       attention_at_plus_1=offsets[T].item(), train_losses=run.train_losses))
            print(f"{objective:32s} seed {seed}: held-out loss {run.held_out_loss:.3f}, "
                  f"attention at +1 {offsets[T].item():.3f} ({time.time() - start:.0f} s)", flush=True)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(result, indent=1) + "\n")       # after every run: resumable
    return result


if __name__ == "__main__":
    main()
