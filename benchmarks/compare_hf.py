"""bertbook against HF transformers: same config, same weights, same batch, same threads, one run.

    python benchmarks/compare_hf.py --threads 2                 # the full table (a few minutes)
    python benchmarks/compare_hf.py --threads 2 --device cuda   # on a GPU
    python benchmarks/compare_hf.py --cases train-mid-v30522 --repeats 9 --no-memory

For every case both models are built from ONE set of random weights (bertbook's, copied into
transformers through ``save_pretrained`` + ``from_pretrained``; MiniLM loads the real checkpoint in
both). The two are timed in alternating repeats (bertbook, HF, HF, bertbook, ...) so that a noisy,
shared machine slows both alike; medians are reported. A matmul probe runs in the same rounds,
so "% of matmul peak" compares against what the machine delivered *at that time*.

Cases:
  train-*   one pretraining step: forward with MLM + NSP labels, backward, AdamW step.
            bertbook runs its fast path (``fast_pretraining.PreTrainingLoss``: the MLM head on the
            masked positions only, no logits kept, pads skipped; same loss and gradients);
            transformers' BertForPreTraining computes logits at every position.
  infer-*   BertModel forward under torch.no_grad() (encoder + pooler), on 32 real sentences
            (SST-2 dev) padded to the longest, as a classifier or embedding job sees them;
            bertbook skips the pad tokens in its per-token layers (``skip_padding``, same numbers
            at real positions). ``infer-mid-v30522-full`` feeds full-length sequences with no
            padding, where there is nothing to skip.
Peak memory: one fresh subprocess per case and library, after one warm-up step: how far one step
raises the peak above what model, optimizer state and inputs already hold (activations, gradients,
logits). On CPU the resident set's high-water mark (VmHWM, reset through /proc/self/clear_refs,
so Linux only), on CUDA torch.cuda.max_memory_allocated.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))      # run from a checkout without install

import torch  # noqa: E402

from bertbook import IGNORE_INDEX, BertConfig  # noqa: E402
from bertbook.fast_pretraining import PreTrainingLoss  # noqa: E402

MLM_PROBABILITY, MAX_PREDICTIONS = 0.15, 20    # BERT's masking rate and its cap per sequence


# --- the cases ---------------------------------------------------------------------------------
@dataclass
class Case:
    name: str
    kind: str            # "train" or "infer"
    config: str          # "tiny", "mid" or "minilm" (real weights)
    vocab: int | None = None
    inputs: str = "full"  # "full": random, full-length sequences; "text": real sentences, padded


CASES = [
    Case("train-tiny", "train", "tiny"),
    Case("train-mid-v30522", "train", "mid", 30522),
    Case("train-mid-v8000", "train", "mid", 8000),
    Case("infer-tiny", "infer", "tiny", inputs="text"),
    Case("infer-mid-v30522", "infer", "mid", 30522, inputs="text"),
    Case("infer-mid-v8000", "infer", "mid", 8000, inputs="text"),
    Case("infer-mid-v30522-full", "infer", "mid", 30522),
    Case("infer-minilm", "infer", "minilm", inputs="text"),
]


def make_config(case: Case, toy: bool) -> BertConfig:
    if toy:      # seconds, for tests/test_benchmarks.py: proves the script runs, measures nothing
        return BertConfig(vocab_size=case.vocab or 500, hidden_size=32, num_hidden_layers=1,
                          num_attention_heads=2, intermediate_size=64, max_position_embeddings=64)
    if case.config == "tiny":
        return BertConfig.preset("tiny")
    # "mid": 4 layers / 256 hidden / 4 heads / 1024 FFN (the shape of Google's BERT-mini)
    return BertConfig.preset("mini", vocab_size=case.vocab)


def make_batch(config: BertConfig, batch: int, seq: int, device, seed: int = 0) -> dict:
    """Random tokens, two segments, full-length sequences (pretraining packs its inputs), and
    realistic MLM labels: 15% of the non-special positions, at most 20 per sequence."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, config.vocab_size, (batch, seq), generator=g)
    ids[:, 0], ids[:, -1] = 2, 3                                            # [CLS] ... [SEP]
    segs = torch.zeros(batch, seq, dtype=torch.long)
    segs[:, seq // 2:] = 1
    labels = torch.full((batch, seq), IGNORE_INDEX)
    n_pred = max(1, min(MAX_PREDICTIONS, round(MLM_PROBABILITY * (seq - 2))))
    for b in range(batch):
        pos = torch.randperm(seq - 2, generator=g)[:n_pred] + 1
        labels[b, pos] = ids[b, pos]
    out = dict(input_ids=ids, attention_mask=torch.ones(batch, seq, dtype=torch.long), token_type_ids=segs,
               labels=labels, next_sentence_label=torch.randint(0, 2, (batch,), generator=g))
    return {k: v.to(device) for k, v in out.items()}


def text_batch(config: BertConfig, batch: int, device) -> dict:
    """Real sentences (SST-2 dev), padded to the longest: what a classifier or an embedding job
    feeds. BERT's uncased vocabulary for a 30522-piece model, ours for 8000 (a toy model folds
    the ids into its small vocabulary)."""
    from bertbook import encode, load_tokenizer
    from bertbook.corpus import load_sst2
    texts, _ = load_sst2("dev")
    tokenizer = load_tokenizer("minilm" if config.vocab_size == 30522 else "bertbook")
    inputs = encode(tokenizer, texts[:batch], max_length=config.max_position_embeddings, truncation=True)
    inputs["input_ids"] = inputs["input_ids"] % config.vocab_size
    return {k: v.to(device) for k, v in inputs.items()}


def build_pair(case: Case, args, workdir: Path):
    """(bertbook model, transformers model, inputs), same weights, on args.device."""
    import transformers
    import bertbook
    transformers.utils.logging.disable_progress_bar()
    device = torch.device(args.device)
    if case.config == "minilm" and not args.toy:
        from bertbook.weights import resolve_checkpoint_dir
        folder = resolve_checkpoint_dir("minilm")
        ours = bertbook.load_pretrained("minilm")
        theirs = transformers.BertModel.from_pretrained(str(folder))
        inputs = text_batch(ours.config, args.batch, device)
    else:
        config = make_config(case, args.toy)
        torch.manual_seed(0)
        ours = (bertbook.BertForPreTraining if case.kind == "train" else bertbook.BertModel)(config)
        folder = workdir / case.name
        ours.save_pretrained(folder)
        hf_class = transformers.BertForPreTraining if case.kind == "train" else transformers.BertModel
        theirs = hf_class.from_pretrained(str(folder))
        inputs = (text_batch(config, args.batch, device) if case.inputs == "text"
                  else make_batch(config, args.batch, args.seq, device))
        if case.kind == "infer":
            inputs = {k: inputs[k] for k in ("input_ids", "attention_mask", "token_type_ids")}
    ours, theirs = ours.to(device), theirs.to(device)
    if case.kind == "train":
        ours.train(), theirs.train()
    else:
        ours.eval(), theirs.eval()
    return ours, theirs, inputs


ADAMW = {"fused": dict(fused=True), "foreach": dict(foreach=True), "loop": dict(foreach=False)}


def step_fn(model, inputs: dict, kind: str, is_ours: bool, compile_model: bool, adamw: str = "fused"):
    """A zero-argument function that runs one training step or one inference forward."""
    if kind == "train" and is_ours:
        model = PreTrainingLoss(model, skip_padding=True)     # bertbook's training step: the fast path
    forward = torch.compile(model) if compile_model else model
    if kind == "infer":
        extra = {"skip_padding": True} if is_ours else {}

        def infer():
            with torch.no_grad():
                return forward(**inputs, **extra).last_hidden_state
        return infer
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, **ADAMW[adamw])

    def train():
        loss = forward(**inputs).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss
    return train


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


CLOCK = time.perf_counter      # --clock cpu: time.process_time, CPU seconds of this process


def timed(fn, device: str) -> float:
    sync(device)
    t0 = CLOCK()
    fn()
    sync(device)
    return CLOCK() - t0


# --- FLOPs ---------------------------------------------------------------------------------------
def useful_flops(config: BertConfig, lengths: list[int], kind: str, n_masked: int) -> float:
    """Matmul FLOPs the task needs (2 per multiply-add), counted analytically on the real tokens
    (``lengths``: real tokens per sequence; work on padding is waste, not work).

    Per layer and token: QKV 3H^2, attention output H^2, FFN 2HF multiply-adds, plus T*H for the
    scores q.k and T*H for the weighted sum of values. Pooler H^2 per sequence. Training adds the
    MLM head on the masked positions only (dense H^2 + decoder H*V) and NSP, and counts backward as
    twice the forward (gradients for inputs and for weights): 3x in all. Elementwise work
    (softmax, GELU, LayerNorm, dropout, AdamW) is not counted: it is overhead, not useful FLOPs.
    """
    H, F, L, V = config.hidden_size, config.intermediate_size, config.num_hidden_layers, config.vocab_size
    batch = len(lengths)
    forward = L * sum(t * (4 * H * H + 2 * H * F + 2 * t * H) for t in lengths) + batch * H * H
    if kind == "train":
        forward += n_masked * (H * H + H * V) + batch * H * 2
        return 3 * 2 * forward
    return 2 * forward


def matmul_shapes(config: BertConfig, tokens: int, kind: str, n_masked: int) -> list[tuple[int, int, int]]:
    """(m, k, n) of the model's big matmuls: QKV, FFN in, FFN out, and the masked MLM decoder."""
    H, F = config.hidden_size, config.intermediate_size
    shapes = [(tokens, H, 3 * H), (tokens, H, F), (tokens, F, H)]
    if kind == "train":
        shapes.append((n_masked, H, config.vocab_size))
    return shapes


class MatmulProbe:
    """fp32 torch.mm at the model's own shapes; the best shape's rate is the machine's 'peak'."""

    def __init__(self, shapes, device, reps: int = 3):
        g = torch.Generator().manual_seed(0)
        self.pairs = [(torch.randn(m, k, generator=g).to(device), torch.randn(k, n, generator=g).to(device))
                      for m, k, n in shapes]
        self.rates: dict[tuple, list[float]] = {s: [] for s in shapes}
        self.shapes, self.device, self.reps = shapes, device, reps
        self.measure()                                              # warm-up, discarded
        self.rates = {s: [] for s in shapes}

    def measure(self) -> None:
        for (m, k, n), (a, b) in zip(self.shapes, self.pairs):
            dt = timed(lambda: [torch.mm(a, b) for _ in range(self.reps)], self.device) / self.reps
            self.rates[(m, k, n)].append(2 * m * k * n / dt)

    def peak(self) -> tuple[float, tuple]:
        best = max(self.rates, key=lambda s: statistics.median(self.rates[s]))
        return statistics.median(self.rates[best]), best


# --- memory (one subprocess per case and library) --------------------------------------------
def rss_bytes(field: str = "VmRSS") -> int:
    """Resident set (VmRSS) or its high-water mark (VmHWM) of this process, from /proc (Linux)."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(field + ":"))


def memory_child(args) -> None:
    """Runs in a fresh process: the peak memory one step adds on top of what the model, its
    optimizer state and the inputs already hold (activations, gradients, logits)."""
    case = next(c for c in CASES if c.name == args.memory_case)
    with tempfile.TemporaryDirectory() as d:
        ours, theirs, inputs = build_pair(case, args, Path(d))
    model, is_ours = (ours, True) if args.memory_lib == "bertbook" else (theirs, False)
    del ours, theirs
    gc.collect()
    fn = step_fn(model, inputs, case.kind, is_ours, args.compile, args.adamw)
    fn()                                     # warm-up: AdamW state, kernels' scratch buffers
    gc.collect()
    if args.device.startswith("cuda"):
        torch.cuda.synchronize()
        before = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        fn()
        torch.cuda.synchronize()
        peak = torch.cuda.max_memory_allocated() - before
    else:
        before = rss_bytes()
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")                     # Linux: reset the high-water mark (VmHWM) to now
        fn()
        peak = rss_bytes("VmHWM") - before
    print(json.dumps({"peak_bytes": max(peak, 0)}))


def measure_memory(case: Case, lib: str, args) -> float | None:
    cmd = [sys.executable, __file__, "--memory-case", case.name, "--memory-lib", lib,
           "--threads", str(args.threads), "--device", args.device, "--batch", str(args.batch),
           "--seq", str(args.seq), "--adamw", args.adamw] + (["--toy"] if args.toy else []) + (["--compile"] if args.compile else [])
    # glibc keeps freed small blocks for reuse, which hides a step's allocations from the resident
    # set; a fixed mmap threshold makes every tensor over 64 KiB its own mapping, returned on free,
    # so the resident set follows the live tensors
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536"}
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode:
        print(f"  memory run failed for {case.name}/{lib}: {r.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    return json.loads(r.stdout.strip().splitlines()[-1])["peak_bytes"] / 2**20


# --- the run -----------------------------------------------------------------------------------
def run_case(case: Case, args, workdir: Path) -> dict:
    ours, theirs, inputs = build_pair(case, args, workdir)
    config = ours.config
    batch, seq = inputs["input_ids"].shape
    lengths = inputs["attention_mask"].sum(1).tolist()
    n_masked = int((inputs["labels"] != IGNORE_INDEX).sum()) if case.kind == "train" else 0
    fns = {"bertbook": step_fn(ours, inputs, case.kind, True, args.compile, args.adamw),
           "hf": step_fn(theirs, inputs, case.kind, False, args.compile, args.adamw)}
    probe = MatmulProbe(matmul_shapes(config, sum(lengths), case.kind, n_masked), args.device)
    for _ in range(args.warmup):
        for fn in fns.values():
            fn()
    times = {k: [] for k in fns}
    for r in range(args.repeats):
        order = ["bertbook", "hf"] if r % 2 == 0 else ["hf", "bertbook"]   # alternate: fair to both
        probe.measure()
        for lib in order:
            times[lib].append(timed(fns[lib], args.device))
    med = {k: statistics.median(v) for k, v in times.items()}
    peak, peak_shape = probe.peak()
    flops = useful_flops(config, lengths, case.kind, n_masked)
    return dict(case=case.name, hf_attention=getattr(theirs.config, "_attn_implementation", "?"),
                load_average=os.getloadavg()[0], batch=batch, seq=seq, real_tokens=sum(lengths), n_masked=n_masked, vocab=config.vocab_size,
                ours_s=med["bertbook"], hf_s=med["hf"], ours_seq_s=batch / med["bertbook"],
                hf_seq_s=batch / med["hf"], speedup=med["hf"] / med["bertbook"],
                useful_gflop=flops / 1e9, peak_gflops=peak / 1e9, peak_shape=peak_shape,
                ours_frac=flops / med["bertbook"] / peak, hf_frac=flops / med["hf"] / peak,
                ours_all=times["bertbook"], hf_all=times["hf"])


def print_table(rows: list[dict]) -> None:
    head = (f"{'case':<22} {'B x T':>8} {'bertbook seq/s':>14} {'HF seq/s':>9} {'speedup':>8} "
            f"{'useful GFLOP':>12} {'mm GFLOP/s':>10} {'bb %peak':>8} {'HF %peak':>8} "
            f"{'bb MiB':>7} {'HF MiB':>7} {'mem HF/bb':>9}")
    print(head)
    print("-" * len(head))
    for r in rows:
        mem = lambda x: f"{x:7.1f}" if x is not None else f"{'-':>7}"     # noqa: E731
        ratio = (f"{r['hf_mib'] / r['ours_mib']:9.2f}" if r.get("hf_mib") and r.get("ours_mib") else f"{'-':>9}")
        print(f"{r['case']:<22} {r['batch']:>3}x{r['seq']:<4} {r['ours_seq_s']:14.1f} {r['hf_seq_s']:9.1f} "
              f"{r['speedup']:7.2f}x {r['useful_gflop']:12.1f} {r['peak_gflops']:10.1f} "
              f"{100 * r['ours_frac']:7.0f}% {100 * r['hf_frac']:7.0f}% "
              f"{mem(r.get('ours_mib'))} {mem(r.get('hf_mib'))} {ratio}")
    print("speedup = HF time / bertbook time (medians of alternating repeats); %peak = useful matmul FLOP/s")
    print("(encoder + masked-position MLM head) / the best fp32 torch.mm rate measured on the model's own")
    print("shapes in the same rounds; MiB = peak memory one step adds (fresh process per case and library).")


def main(argv=None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=2, help="torch intra-op threads, for both libraries")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--repeats", type=int, default=7, help="timed steps per library (alternating)")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--cases", nargs="*", default=[c.name for c in CASES], choices=[c.name for c in CASES])
    p.add_argument("--no-memory", action="store_true", help="skip the per-case memory subprocesses")
    p.add_argument("--compile", action="store_true", help="torch.compile both models (off by default)")
    p.add_argument("--adamw", default="fused", choices=sorted(ADAMW),
                   help="torch's AdamW implementation, the same for both (fused: one kernel for all weights)")
    p.add_argument("--clock", default="wall", choices=["wall", "cpu"],
                   help="wall: elapsed time (the throughput you get); cpu: this process's CPU time, which "
                        "other jobs on a shared machine barely disturb (use with --threads 1)")
    p.add_argument("--toy", action="store_true", help="a 1-layer, 32-wide model: checks the script runs")
    p.add_argument("--json", help="also add this run (rows, date, machine, command) first in this JSON file: "
                                  "data/results/compare_hf.json is the run the READMEs and Appendix A1 quote")
    p.add_argument("--memory-case", help=argparse.SUPPRESS)
    p.add_argument("--memory-lib", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        p.error("--device cuda asked for, but torch.cuda.is_available() is False on this machine")
    if args.clock == "cpu":
        if args.device != "cpu":
            p.error("--clock cpu measures CPU time: use it with --device cpu")
        global CLOCK
        CLOCK = time.process_time
    torch.set_num_threads(args.threads)
    if args.memory_case:
        return memory_child(args)

    import transformers
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, device {args.device}, "
          f"threads {torch.get_num_threads()}, batch {args.batch}, seq {args.seq}, repeats {args.repeats}"
          f", {args.clock} clock, AdamW {args.adamw}{', torch.compile' if args.compile else ''}; load average {os.getloadavg()[0]:.2f}")
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for name in args.cases:
            case = next(c for c in CASES if c.name == name)
            row = run_case(case, args, Path(d))
            if not args.no_memory:
                row["ours_mib"] = measure_memory(case, "bertbook", args)
                row["hf_mib"] = measure_memory(case, "hf", args)
            rows.append(row)
            print(f"  {name}: bertbook {row['ours_s'] * 1e3:.0f} ms, HF {row['hf_s'] * 1e3:.0f} ms, "
                  f"speedup {row['speedup']:.2f}x", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}; transformers' attention implementation: "
          f"{', '.join(sorted({r['hf_attention'] for r in rows}))}")
    print()
    print_table(rows)
    if args.json:
        save_run(Path(args.json), rows, argv)
    return rows


def machine_name() -> str:
    """'2-CPU Intel(R) Xeon(R) ...' from /proc/cpuinfo where there is one, else platform's name."""
    import platform
    model = platform.processor() or platform.machine()
    try:
        model = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()}-CPU {model}"


def save_run(path: Path, rows: list[dict], argv=None) -> None:
    """Puts this run first in the results file (data/results/compare_hf.json is the one the READMEs and
    Appendix A1 quote: its runs[0]), with its date, machine and command; earlier runs stay below it."""
    for r in rows:
        if r.get("hf_mib") and r.get("ours_mib"):
            r["mem_ratio"] = r["hf_mib"] / r["ours_mib"]
    run = {"date": time.strftime("%Y-%m-%d", time.gmtime()), "machine": machine_name(),
           "load_average": f"{os.getloadavg()[0]:.1f}",
           "command": "python benchmarks/compare_hf.py " + " ".join(sys.argv[1:] if argv is None else argv),
           "torch": torch.__version__, "rows": rows}
    data = json.loads(path.read_text()) if path.exists() else {"runs": []}
    data["runs"].insert(0, run)
    path.write_text(json.dumps(data, indent=1, default=str) + "\n")


if __name__ == "__main__":
    main()
