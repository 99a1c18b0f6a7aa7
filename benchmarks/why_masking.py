"""Why BERT masks, over three seeds: train the one-layer encoder of ``bertbook/why_masking.py`` on
each objective (causal next token, bidirectional next token, bidirectional same token, masked LM)
on uniformly random tokens, and record the final training loss, the held-out loss and the mean
attention at offset +1 (the right neighbour). Lesson 6 runs one seed live and reads this file for
the spread.

It also records why the settings are what they are (``sensitivity``): the unmasked next-token run,
seed 0, with one CPU thread and with two, at the lesson's settings and at the float32 / lr 1e-2 /
120-step settings the lesson used before. Where a collapsing run lands is sensitive to rounding;
a setting whose two rows differ would print other numbers on another processor. And the four
seed-0 runs with this processor's ATen kernels and with the generic ones (``ATEN_CPU_CAPABILITY=
default``, another processor's rounding in miniature): how many decimals the lesson can print.

    python benchmarks/why_masking.py --threads 1                     # ~1-2 minutes on one core
    python benchmarks/why_masking.py --seeds 0 --steps 3 --out /tmp/x.json   # does it run?

Resumable: runs already in ``--out`` (same objective, seed and settings) are kept.
"""
from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bertbook.why_masking import OBJECTIVES, SETTINGS, random_token_run  # noqa: E402


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=SETTINGS["steps"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default=str(ROOT / "data" / "results" / "why_masking.json"))
    parser.add_argument("--print-seed-0", action="store_true",
                        help="print the four seed-0 held-out losses and this process's ATen kernels as JSON, and stop")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.print_seed_0:
        print(json.dumps(seed_0_losses(args.steps)))
        return {}
    settings = {**SETTINGS, "steps": args.steps}
    out = Path(args.out)
    result = json.loads(out.read_text()) if out.is_file() else {}
    if result.get("settings") != settings:
        result = {"settings": settings, "runs": []}
    result["command"] = "python benchmarks/why_masking.py " + " ".join(argv if argv is not None else sys.argv[1:])
    result["ln_vocab"] = math.log(settings["vocab_size"])
    T = settings["seq_len"]
    done = {(r["objective"], r["seed"]) for r in result["runs"]}
    for seed in args.seeds:
        for objective in OBJECTIVES:
            if (objective, seed) in done:
                continue
            start = time.time()
            run = random_token_run(objective, seed, steps=settings["steps"])
            plus_1 = run.attention_by_offset[T].item()          # offsets run from -(T-1): index T is +1
            result["runs"].append(dict(objective=objective, seed=seed, final_train_loss=run.train_losses[-1],
                                       held_out_loss=run.held_out_loss, attention_at_plus_1=plus_1,
                                       train_losses=run.train_losses))
            print(f"{objective:32s} seed {seed}: held-out loss {run.held_out_loss:.3f}, "
                  f"attention at +1 {plus_1:.3f} ({time.time() - start:.0f} s)", flush=True)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(result, indent=1) + "\n")       # after every run: resumable
    if "sensitivity" not in result:
        result["sensitivity"] = sensitivity(settings["steps"])
        out.write_text(json.dumps(result, indent=1) + "\n")
    return result


def sensitivity(steps: int, objective: str = "next token, no mask") -> dict:
    """Seed 0 of the collapsing objective with 1 and 2 threads, at the lesson's settings and at the
    earlier float32 / lr 1e-2 / 120-step ones (never more steps than ``steps``)."""
    rows = []
    threads = torch.get_num_threads()
    for label, overrides in [("lesson", dict(steps=steps)),
                             ("float32, lr 1e-2", dict(dtype="float32", learning_rate=1e-2, steps=min(steps, 120)))]:
        for n in (1, 2):
            torch.set_num_threads(n)
            run = random_token_run(objective, seed=0, **overrides)
            rows.append(dict(settings=label, **{**SETTINGS, **overrides}, threads=n, held_out_loss=run.held_out_loss,
                             attention_at_plus_1=run.attention_by_offset[SETTINGS["seq_len"]].item()))
            print(f"{label:17s} {n} thread(s): held-out loss {run.held_out_loss:.4f}", flush=True)
    torch.set_num_threads(threads)
    kernels = [seed_0_in_subprocess(steps, capability) for capability in (None, "default")]
    return dict(objective=objective, seed=0, machine=cpu_name(), torch=torch.__version__, rows=rows, kernels=kernels)


def seed_0_losses(steps: int) -> dict:
    return dict(capability=torch.backends.cpu.get_cpu_capability(), threads=torch.get_num_threads(),
                held_out_loss={o: random_token_run(o, seed=0, steps=steps).held_out_loss for o in OBJECTIVES})


def seed_0_in_subprocess(steps: int, capability: str | None = None) -> dict:
    """``seed_0_losses`` in a fresh process on one thread, with ``ATEN_CPU_CAPABILITY=capability``
    (read once, when torch starts) or this machine's own kernels (None)."""
    import os
    import subprocess
    env = {k: v for k, v in os.environ.items() if k != "ATEN_CPU_CAPABILITY"}
    if capability:
        env["ATEN_CPU_CAPABILITY"] = capability
    done = subprocess.run([sys.executable, __file__, "--print-seed-0", "--threads", "1", "--steps", str(steps)],
                          env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def cpu_name() -> str:
    """The processor's model name where Linux says it (rounding differs between processors)."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        return next(line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


if __name__ == "__main__":
    main()
