"""The performance numbers of README.md and benchmarks/README.md, read from data/results/compare_hf.json
(runs[0]: the 2026-12-02 Intel Xeon run the READMEs quote; runs[1]: the first edition's AMD run;
reruns: the partial runs beside them). The profiler figures of benchmarks/README.md's "what got the
step past 3x" list come from one-off A/B runs that were not stored and are not listed here."""
from quotes._compare_hf import mid_config
from prose_numbers import Quote, json_value

README = "README.md"
BENCH = "benchmarks/README.md"
RESULTS = "data/results/compare_hf.json"

# the benchmark README's table: its row labels, in its order
LABELS = {
    "train-mid-v30522": "pretraining step, mid, vocab 30522",
    "train-mid-v8000": "pretraining step, mid, vocab 8000",
    "train-tiny": "pretraining step, tiny",
    "infer-mid-v30522": "inference, mid, vocab 30522",
    "infer-mid-v8000": "inference, mid, vocab 8000",
    "infer-minilm": "inference, real MiniLM",
    "infer-mid-v30522-full": "inference, mid, vocab 30522",
}
INFER_PADDED = ("infer-mid-v30522", "infer-mid-v8000", "infer-minilm")


def rows(run=0):
    return json_value(RESULTS, "runs", run, "rows")()


def row(case, key, run=0, scale=1):
    def read():
        return next(r for r in rows(run) if r["case"] == case)[key] * scale
    read.__name__ = f"{RESULTS} runs[{run}] {case} {key}"
    return read


def rerun(index, key, case):
    def read():
        return json_value(RESULTS, "reruns", index, key)()[case]
    read.__name__ = f"{RESULTS} reruns[{index}] {key} {case}"
    return read


def input_text(case):
    def read():
        r = next(r for r in rows() if r["case"] == case)
        if case.startswith("train"):
            return f"{r['batch']} x {r['seq']}, packed"
        if r["real_tokens"] == r["batch"] * r["seq"]:
            return f"{r['batch']} x {r['seq']}, no padding"
        return f"{r['batch']} SST-2 sentences, padded to {r['seq']}"
    return read


def table_row(case):
    return Quote(BENCH, "| " + LABELS[case] + " | {inp} | {ours:.1f} | {hf:.1f} | {sp:.2f}x | {bb:.0f}% | {hfp:.0f}% | "
                 "{mem:.2f}x |",
                 inp=input_text(case), ours=row(case, "ours_seq_s"), hf=row(case, "hf_seq_s"), sp=row(case, "speedup"),
                 bb=row(case, "ours_frac", scale=100), hfp=row(case, "hf_frac", scale=100), mem=row(case, "mem_ratio"))


def amd_line(case):
    """One line of the AMD run's printed table (compare_hf.print_table's columns)."""
    keys = ["batch", "seq", "ours_seq_s", "hf_seq_s", "speedup", "useful_gflop", "peak_gflops", "ours_frac",
            "hf_frac", "ours_mib", "hf_mib", "mem_ratio"]
    return Quote(BENCH, case + " {batch}x{seq} {ours_seq_s:.1f} {hf_seq_s:.1f} {speedup:.2f}x {useful_gflop:.1f} "
                 "{peak_gflops:.1f} {ours_frac:.0%} {hf_frac:.0%} {ours_mib:.1f} {hf_mib:.1f} {mem_ratio:.2f}",
                 **{k: row(case, k, run=1) for k in keys})


QUOTES = [
    # README.md, Performance
    Quote(README, "In one full run of `python benchmarks/compare_hf.py --threads {t}` ({date}, after the package's "
                  "training parts were unified) on a 2-vCPU Intel Xeon virtual machine with AVX-512 and AMX (load {load};",
          t=lambda: json_value(RESULTS, "runs", 0, "command")().split("--threads ")[1].split()[0],
          date=json_value(RESULTS, "runs", 0, "date"), load=json_value(RESULTS, "runs", 0, "load_average")),
    Quote(README, "medians; mid config = {L} layers, {H} hidden, {A} heads),",
          L=lambda: mid_config().num_hidden_layers, H=lambda: mid_config().hidden_size,
          A=lambda: mid_config().num_attention_heads),
    Quote(README, "the vocab-30522 pretraining step ran {sp:.2f}x faster than transformers' and used {mem:.2f}x less "
                  "memory, padded inference on real SST-2 sentences {lo:.2f}x-{hi:.2f}x faster, and inference with no "
                  "padding at parity ({full:.2f}x).",
          sp=row("train-mid-v30522", "speedup"), mem=row("train-mid-v30522", "mem_ratio"),
          lo=lambda: min(row(c, "speedup")() for c in INFER_PADDED),
          hi=lambda: max(row(c, "speedup")() for c in INFER_PADDED),
          full=row("infer-mid-v30522-full", "speedup")),
    # benchmarks/README.md, the README's table and the runs beside it
    Quote(BENCH, "2-vCPU Intel Xeon virtual machine with AVX-512 and AMX (load {load}): same weights",
          load=json_value(RESULTS, "runs", 0, "load_average")),
    *[table_row(case) for case in LABELS],
    Quote(BENCH, "where the same cases measured {a:.2f}x, {b:.2f}x, {c:.2f}x, {d:.2f}x, {e:.2f}x, {f:.2f}x and {g:.2f}x, "
                 "and the vocab-30522 step {r1:.2f}x, {r2:.2f}x and {r3:.2f}x in three runs)",
          **{k: row(case, "speedup", run=1) for k, case in zip("abcdefg", LABELS)},
          r1=row("train-mid-v30522", "speedup", run=1), r2=rerun(3, "speedup", "train-mid-v30522"),
          r3=rerun(2, "speedup", "train-mid-v30522")),
    Quote(BENCH, "a rerun of the vocab-30522 step gave {a:.2f}x, and the code from before the training parts were "
                 "unified gave {b:.2f}x in the same conditions with the same bertbook time ({ms:,} ms against "
                 "{lo:,}-{hi:,} ms now)",
          a=rerun(0, "speedup", "train-mid-v30522"), b=rerun(1, "speedup", "train-mid-v30522"),
          ms=rerun(1, "ours_ms", "train-mid-v30522"),
          lo=lambda: rerun(1, "ours_ms_current_code", "train-mid-v30522")()[0],
          hi=lambda: rerun(1, "ours_ms_current_code", "train-mid-v30522")()[1]),
    Quote(BENCH, "both run the same kernels at {lo:.0f}-{hi:.0f}% of the matmul rate",
          lo=row("infer-mid-v30522-full", "ours_frac", scale=100),
          hi=row("infer-mid-v30522-full", "ours_frac", run=1, scale=100)),
    Quote(BENCH, "### A full run (2-vCPU AMD EPYC (Zen 4) virtual machine, load {load},",
          load=json_value(RESULTS, "runs", 1, "load_average")),
    *[amd_line(r) for r in ("train-tiny", "train-mid-v30522", "train-mid-v8000", "infer-tiny", "infer-mid-v30522",
                            "infer-mid-v8000", "infer-mid-v30522-full", "infer-minilm")],
    Quote(BENCH, "`--cases train-mid-v30522 train-mid-v8000 train-tiny --repeats 9 --no-memory` | {a:.2f}x | {pa:.0%} | "
                 "{b:.2f}x | {pb:.0%} | {c:.2f}x |",
          a=rerun(2, "speedup", "train-mid-v30522"), pa=rerun(2, "ours_frac", "train-mid-v30522"),
          b=rerun(2, "speedup", "train-mid-v8000"), pb=rerun(2, "ours_frac", "train-mid-v8000"),
          c=rerun(2, "speedup", "train-tiny")),
    Quote(BENCH, "`--cases train-mid-v30522 train-mid-v8000 --repeats 11` | {a:.2f}x | {pa:.0%} | {b:.2f}x | {pb:.0%} | - |",
          a=rerun(3, "speedup", "train-mid-v30522"), pa=rerun(3, "ours_frac", "train-mid-v30522"),
          b=rerun(3, "speedup", "train-mid-v8000"), pb=rerun(3, "ours_frac", "train-mid-v8000")),
]
