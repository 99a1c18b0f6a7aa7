"""Appendix A1's quoted numbers: the benchmark table's from data/results/compare_hf.json (runs[0] is
the run it prints, runs[1] the first edition's machine), the rest from the appendix's own outputs
and code. The dropout timing (cell 5cf821e8) changes from run to run and is quoted nowhere."""
from quotes._compare_hf import mid_config
from prose_numbers import Quote, code_value, json_value, output_value

A1 = "notebooks/A1_performance_and_scale.ipynb"
RESULTS = "data/results/compare_hf.json"


def row(case, key, run=0, scale=1):
    """A value of one case of a compare_hf run."""
    def read():
        rows = json_value(RESULTS, "runs", run, "rows")()
        return next(r for r in rows if r["case"] == case)[key] * scale
    read.__name__ = f"{RESULTS} runs[{run}] {case} {key}"
    return read


def padding(case):
    def read():
        r = {k: row(case, k)() for k in ("real_tokens", "batch", "seq")}
        return 100 * (1 - r["real_tokens"] / (r["batch"] * r["seq"]))
    read.__name__ = f"{RESULTS} runs[0] {case} padding"
    return read


def rerun_speedups(machine_word):
    return [r["speedup"]["train-mid-v30522"] for r in json_value(RESULTS, "reruns")()
            if machine_word in r["machine"]]


def dropout_draws(layers):
    """How many dropout masks one training forward of a `layers`-layer BertForPreTraining draws,
    counted by wrapping bertbook's dropout function (a small width: the count does not depend on it)."""
    import torch

    import bertbook.attention
    import bertbook.dropout
    from bertbook import BertConfig, BertForPreTraining
    calls, original = [], bertbook.dropout.dropout

    def counting(x, p, training=True):
        calls.append(training and p > 0)
        return original(x, p, training)

    bertbook.dropout.dropout = bertbook.attention.dropout = counting
    try:
        config = BertConfig.preset("tiny", num_hidden_layers=layers)
        BertForPreTraining(config).train()(torch.randint(5, 100, (1, 8)))
    finally:
        bertbook.dropout.dropout = bertbook.attention.dropout = original
    return sum(calls)


INFER_PADDED = ("infer-mid-v30522", "infer-mid-v8000", "infer-minilm")

QUOTES = [
    Quote(A1, "at batch {B} x {T} with BERT's masking ({m:.0f} masked positions per sequence); the inference cases "
              "feed {n} real SST-2 sentences",
          B=row("train-mid-v30522", "batch"), T=row("train-mid-v30522", "seq"),
          m=lambda: row("train-mid-v30522", "n_masked")() / row("train-mid-v30522", "batch")(),
          n=row("infer-mid-v30522", "batch")),
    Quote(A1, "both libraries run the same matmuls through the same kernels at {peak:.0f}% of the matmul rate, and "
              "the speedup is {sp:.2f}x",
          peak=row("infer-mid-v30522-full", "ours_frac", scale=100), sp=row("infer-mid-v30522-full", "speedup")),
    Quote(A1, "vocabulary-sized logits at the {p:.0f}% of positions the loss ignores ({a:.2f}x at vocabulary 30522, "
              "where those logits dominate; {b:.2f}x at 8000;",
          p=lambda: 100 * (1 - row("train-mid-v30522", "n_masked")() / (
              row("train-mid-v30522", "batch")() * row("train-mid-v30522", "seq")())),
          a=row("train-mid-v30522", "speedup"), b=row("train-mid-v8000", "speedup")),
    Quote(A1, "the pad tokens ({lo:.2f}x to {hi:.2f}x on batches that are {plo:.0f}% to {phi:.0f}% padding)",
          lo=lambda: min(row(c, "speedup")() for c in INFER_PADDED),
          hi=lambda: max(row(c, "speedup")() for c in INFER_PADDED),
          plo=lambda: min(padding(c)() for c in INFER_PADDED), phi=lambda: max(padding(c)() for c in INFER_PADDED)),
    Quote(A1, "a rerun of the 30522 step on the same Intel machine gave {x:.2f}x, and on the first edition's AMD machine "
              "three runs gave {lo:.2f}x to {hi:.2f}x",
          x=lambda: rerun_speedups("Intel")[0],
          lo=lambda: min(rerun_speedups("AMD") + [row("train-mid-v30522", "speedup", run=1)()]),
          hi=lambda: max(rerun_speedups("AMD") + [row("train-mid-v30522", "speedup", run=1)()])),
    Quote(A1, "one run, {date}, on a 2-vCPU Intel Xeon): a pretraining step {a:.2f}x faster at BERT's vocabulary and "
              "{b:.2f}x at 8000; inference on padded real sentences {lo:.2f}x to {hi:.2f}x; parity with no padding "
              "({sp:.2f}x), where both run the same kernels at {peak:.0f}% of the matmul peak.",
          date=json_value(RESULTS, "runs", 0, "date"),
          a=row("train-mid-v30522", "speedup"), b=row("train-mid-v8000", "speedup"),
          lo=lambda: min(row(c, "speedup")() for c in INFER_PADDED),
          hi=lambda: max(row(c, "speedup")() for c in INFER_PADDED),
          sp=row("infer-mid-v30522-full", "speedup"), peak=row("infer-mid-v30522-full", "ours_frac", scale=100)),
    # the appendix's own outputs and code
    Quote(A1, "masked positions $M$ (about {p:.0f}% of the tokens)",
          p=code_value(A1, "17e673ae", r"< ([\d.]+)", convert=lambda s: 100 * float(s))),
    Quote(A1, "the `tiny` preset with a random batch masked at {p:.0f}% of the positions",
          p=code_value(A1, "17e673ae", r"< ([\d.]+)", convert=lambda s: 100 * float(s))),
    Quote(A1, "matrix multiply, $V = {V}$ for BERT:",
          V=lambda: __import__("bertbook").BertConfig.preset("base").vocab_size),
    Quote(A1, "(median of {n:.0f}; the numbers depend", n=code_value(A1, "5cf821e8", r"repeats=(\d+)")),
    Quote(A1, "with 4 processes the run sees {n:.0f} examples per step",
          n=output_value(A1, "fe208d56", r"= (\d+) examples")),
    Quote(A1, "Four sentences of {a:.0f}, {b:.0f}, {c:.0f} and {d:.0f} tokens are padded into one batch",
          **{k: code_value(A1, "ec01fd2b", r"lengths = \[(\d+), (\d+), (\d+), (\d+)\]", group=g)
             for g, k in enumerate("abcd", start=1)}),
    Quote(A1, "(mid = {L} layers, {H} hidden)",
          L=lambda: mid_config().num_hidden_layers, H=lambda: mid_config().hidden_size),
    Quote(A1, "A pretraining batch holds {B} sequences of {T:.0f} tokens, with {m:.0f} masked positions in every sequence",
          B=row("train-mid-v30522", "batch"),
          m=code_value(A1, "c3b1a3ac", r"answer = (\d+) / (\d+)", group=1),
          T=code_value(A1, "c3b1a3ac", r"answer = (\d+) / (\d+)", group=2)),
    Quote(A1, "Bernoulli($1-p$) draw per value, {n} times per training step of a {L}-layer BERT",
          n=lambda: dropout_draws(mid_config().num_hidden_layers), L=lambda: mid_config().num_hidden_layers),
]
