"""Where does a step spend its time? torch.profiler's per-operator table for one library and case.

    python benchmarks/profile_step.py --case train-mid-v30522 --lib bertbook --threads 2
    python benchmarks/profile_step.py --case train-mid-v30522 --lib hf

Same models, weights and batch as compare_hf.py. Read the "Self CPU" column: matmuls (aten::mm,
aten::addmm, aten::bmm) are the useful work; everything else (softmax, GELU, LayerNorm, dropout,
copies, AdamW) is overhead to shrink.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402

from compare_hf import CASES, build_pair, step_fn  # noqa: E402


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--case", default="train-mid-v30522", choices=[c.name for c in CASES])
    p.add_argument("--lib", default="bertbook", choices=["bertbook", "hf"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--rows", type=int, default=25)
    p.add_argument("--compile", action="store_true")
    p.add_argument("--toy", action="store_true")
    p.add_argument("--adamw", default="fused", choices=["fused", "foreach", "loop"])
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    case = next(c for c in CASES if c.name == args.case)
    with tempfile.TemporaryDirectory() as d:
        ours, theirs, inputs = build_pair(case, args, Path(d))
    is_ours = args.lib == "bertbook"
    fn = step_fn(ours if is_ours else theirs, inputs, case.kind, is_ours, args.compile, args.adamw)
    fn()                                                             # warm-up
    activities = [torch.profiler.ProfilerActivity.CPU]
    if args.device.startswith("cuda"):
        activities.append(torch.profiler.ProfilerActivity.CUDA)
    with torch.profiler.profile(activities=activities) as prof:
        for _ in range(args.steps):
            fn()
    sort = "self_cuda_time_total" if args.device.startswith("cuda") else "self_cpu_time_total"
    print(prof.key_averages().table(sort_by=sort, row_limit=args.rows))


if __name__ == "__main__":
    main()
