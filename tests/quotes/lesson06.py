"""Lesson 6's quoted numbers (and the bertbook-tiny README's), each read from the output, code or
file it comes from. Literature figures the prose cites (the paper's TPU count, d2l's issue number,
years) are not outputs and are not listed; the paper's recipe is, where the lesson's table prints it."""
import json
import math

from prose_numbers import Quote, code_value, json_value, output_value

L6 = "notebooks/06_pretraining.ipynb"
L1 = "notebooks/01_tokenization.ipynb"
TINY = "data/pretrained/bertbook-tiny/README.md"
METRICS = "data/pretrained/bertbook-tiny/metrics.jsonl"
WHY = "data/results/why_masking.json"
LIBRARY = "data/results/bertbook_tiny_library.json"


def out(cell, pattern, **kw):
    return output_value(L6, cell, pattern, **kw)


def history():
    return json_value(METRICS)()


def chunk_ends():
    """The last evaluation of each resumable chunk: elapsed_s restarts when a chunk resumes."""
    h = history()
    return [r for r, nxt in zip(h, h[1:] + [None]) if nxt is None or nxt["elapsed_s"] < r["elapsed_s"]]


def library(row, key):
    """One shelf of benchmarks/tiny_on_library.py's table (0: the nine novels, 1: the 43 new books, 2: all)."""
    return json_value(LIBRARY, "rows", row, key)


def training_seconds():
    return sum(r["elapsed_s"] for r in chunk_ends())


def live_accuracies():
    """The held-out MLM accuracy column of the live run's table (cell f22f3757)."""
    import re
    from prose_numbers import cell_output_text
    return [float(a) for a in re.findall(r"\|\s+[\d.]+\s+([\d.]+) \|", cell_output_text(L6, "f22f3757"))]


def why(setting):
    return json_value(WHY, "settings", setting)


def sensitivity(settings, threads, key):
    """One row of the results file's `sensitivity` record (benchmarks/why_masking.py)."""
    return lambda: next(r[key] for r in json_value(WHY, "sensitivity", "rows")()
                        if r["settings"] == settings and r["threads"] == threads)


def kernels(capability, objective):
    """A seed-0 held-out loss of the `sensitivity` record's run with ATEN_CPU_CAPABILITY=`capability`
    (None: the processor's own kernels)."""
    def value():
        runs = json_value(WHY, "sensitivity", "kernels")()
        run = runs[1] if capability else runs[0]
        assert (run["capability"].lower() == capability) == bool(capability), run["capability"]
        return run["held_out_loss"][objective]
    return value


def steps_to_stay_below(objective, level, seed=0):
    """How many training steps seed `seed` of `objective` took to get below `level` for good."""
    losses = next(r["train_losses"] for r in json_value(WHY, "runs")() if r["objective"] == objective and r["seed"] == seed)
    last_above = max((i for i, loss in enumerate(losses) if loss >= level), default=-1)
    return last_above + 2          # losses[last_above + 1] is the first for good; steps count from 1


def table(row, pattern):
    """A value of the recipe table (cell l6-recipe-table): `row` is the row's name."""
    return out("l6-recipe-table", rf"\n{row}\s+\|.*?{pattern}")


NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]

def dip_after_second_chunk():
    """The step of the third chunk's first evaluation, if its held-out NSP is below where the second chunk ended."""
    first = next(r for r in history() if r["step"] > chunk_ends()[1]["step"])
    return first["step"] if first["nsp_accuracy"] < chunk_ends()[1]["nsp_accuracy"] else "(no dip there)"


QUOTES = [
    # section 1
    Quote(L6, "We hold out the last {f:.0%} of every book",
          f=code_value(L6, "1fcac5fd", r"eval_fraction=([\d.]+)")),
    Quote(L6, "uniform over the {v:.0f}-token vocabulary for the MLM",
          v=out("c41dfd0a", r"ln\((\d+)\)")),
    Quote(L6, r"the loss is close to $\ln V \approx {lnv:.2f}$",
          lnv=out("c41dfd0a", r"ln\(\d+\): ([\d.]+)")),
    # section 2: why BERT masks
    Quote(L6, "each of the {T} tokens of a window is drawn independently and uniformly from {V} ids",
          T=why("seq_len"), V=why("vocab_size")),
    Quote(L6, r"cannot beat the uniform guess, $\ln {V} \approx {ln:.2f}$",
          V=why("vocab_size"), ln=json_value(WHY, "ln_vocab")),
    Quote(L6, "**masked LM**: {p:.0f}% of the positions show `[MASK]`",
          p=out("l6-why-mask-run", r"masked LM, (\d+)%")),
    Quote(L6, r"which curves will fall below $\ln {V}$? {n} steps each, seed {s:.0f}:",
          V=why("vocab_size"), n=why("steps"),
          s=code_value(L6, "l6-why-mask-run", r"seed=(\d+)")),
    Quote(L6, r"(Their held-out losses, {causal:.2f} and {mlm:.2f}, are within about a hundredth of $\ln 64 = {ln:.3f}$",
          causal=out("l6-why-mask-run", r"causal mask \(GPT\)\s+held-out loss ([\d.]+)"),
          mlm=out("l6-why-mask-run", r"masked LM.*?held-out loss ([\d.]+)"),
          ln=out("l6-why-mask-table", r"ln 64 = ([\d.]+)")),
    Quote(L6, "the masked LM averages {mean:.3f} ± {sd:.3f}\nand the causal model {causal:.3f} ± {csd:.3f}.)",
          mean=out("l6-why-mask-table", r"masked LM, 15% \(BERT\)\s+\| ([\d.]+) ±"),
          sd=out("l6-why-mask-table", r"masked LM, 15% \(BERT\)\s+\| [\d.]+ ± ([\d.]+)"),
          causal=out("l6-why-mask-table", r"causal mask \(GPT\)\s+\| ([\d.]+) ±"),
          csd=out("l6-why-mask-table", r"causal mask \(GPT\)\s+\| [\d.]+ ± ([\d.]+)")),
    Quote(L6, "its training loss falls below 0.2\nwithin {n} steps and stays there",      # 0.2: the text's threshold
          n=lambda: steps_to_stay_below("next token, no mask", 0.2)),
    Quote(L6, "repeated the four runs for seeds {a}, {b} and {c}",
          a=lambda: sorted({r["seed"] for r in json_value(WHY, "runs")()})[0],
          b=lambda: sorted({r["seed"] for r in json_value(WHY, "runs")()})[1],
          c=lambda: sorted({r["seed"] for r in json_value(WHY, "runs")()})[2]),
    Quote(L6, "(float32, learning rate {lr:g},\n{steps} steps), the unmasked next-token run of seed 0 reached a held-out "
              "loss of {one:.3f} with one CPU\nthread and {two:.3f} with two",
          lr=sensitivity("float32, lr 1e-2", 1, "learning_rate"), steps=sensitivity("float32, lr 1e-2", 1, "steps"),
          one=sensitivity("float32, lr 1e-2", 1, "held_out_loss"), two=sensitivity("float32, lr 1e-2", 2, "held_out_loss")),
    Quote(L6, "runs in float64 at learning rate {lr:g}, where\none thread and two give {one:.4f} and {two:.4f}.",
          lr=why("learning_rate"), one=sensitivity("lesson", 1, "held_out_loss"),
          two=sensitivity("lesson", 2, "held_out_loss")),
    Quote(L6, "seed 0's\ncausal model ends at {generic:.4f} instead of {own:.4f} (the same record)",
          generic=kernels("default", "next token, causal mask (GPT)"), own=kernels(None, "next token, causal mask (GPT)")),
    # section 3
    Quote(L6, r"\text{{chance: }} \ln 2 \approx {ln2:.3f}",
          ln2=out("40651811", r"ln 2 = ([\d.]+)")),
    # section 4: the recipe
    Quote(L6, "weight decay {wd:g}, none on biases and LayerNorm",
          wd=out("l6-recipe-table", r"AdamW, beta 0.9 / 0.999, weight decay ([\d.]+)")),
    Quote(L6, "BERT trained the first {p:.0f}% of its steps on shorter examples",
          p=table("sequence length", r"128 for (\d+)%")),
    Quote(L6, "batches of {B:.0f} sequences of {T:.0f} tokens ({tok:,.0f} tokens per batch) for {steps:,.0f} steps, "
              "about {ep:.0f} epochs",
          B=table("batch", r"(\d+) sequences"), T=table("batch", r"x (\d+) tokens"),
          tok=table("batch", r"= ([\d,]+) tokens"), steps=table("steps", r"([\d,]+) \(about"),
          ep=table("steps", r"about (\d+) epochs")),
    Quote(L6, "(BooksCorpus, {bc:.0f}M words, plus English Wikipedia, {wiki:,.0f}M words; section 3.1)",
          bc=table("data", r"BooksCorpus (\d+)M"), wiki=table("data", r"Wikipedia ([\d,]+)M")),
    Quote(L6, "weight decay {wd:g}, warm-up over the first {w:,.0f} steps and linear decay; dropout {d:g} on all layers",
          wd=table("optimiser", r"Adam, beta 0.9 / 0.999, weight decay ([\d.]+)"),
          w=table("warm-up", r"([\d,]+) steps \("), d=table("dropout, activation", r"([\d.]+) on all")),
    Quote(L6, "{p:.0f}% of the steps at sequence length {a:.0f} and the last {q:.0f}% at {b:.0f}",
          p=table("sequence length", r"128 for (\d+)%"), a=table("sequence length", r"(\d+) for \d+%"),
          q=lambda: 100 - table("sequence length", r"128 for (\d+)%")(),
          b=table("sequence length", r"of the steps, then (\d+)")),
    Quote(L6, "about 40 epochs over a {b:.1f}-billion-word corpus",
          b=table("data", r"= ([\d.]+)B words")),
    Quote(L6, "Adam with learning rate $10^{{{e}}}$",
          e=lambda: round(math.log10(table("peak learning rate", r"([\d.e-]+)\s+\|")()))),
    Quote(L6, "Counting every tensor (embeddings, {base:.0f} or {large:.0f} layers, pooler;",
          base=out("l6-large-count", r"BERT-base: (\d+) layers"), large=out("l6-large-count", r"BERT-large: (\d+) layers")),
    Quote(L6, "Until the dotted line the run trained on {a}-token examples, but it is evaluated on {b}-token ones",
          a=json_value(METRICS, 0, "seq_length"), b=json_value(METRICS, -1, "seq_length")),
    Quote(L6, "time-to-quality benchmark trains at {T:.0f} throughout.)",
          T=table("sequence length", r"(\d+) throughout")),
    Quote(L6, "Our corpus's {w:.2f}M words below are counted by splitting on white space; lesson 1 counts {l1:,.0f} words in "
              "the same nine books",
          w=table("data", r"\| ([\d.]+)M words split on white space"),
          l1=output_value(L1, "5b1cd96c", r"sentences, ([\d,]+) words")),
    Quote(L6, "{base:.1f}M is \"110M\" and {large:.1f}M is \"340M\"",
          base=lambda: out("l6-large-count", r"BERT-base:.*?: ([\d,]+) parameters")() / 1e6,
          large=lambda: out("l6-large-count", r"BERT-large:.*?: ([\d,]+) parameters")() / 1e6),
    Quote(L6, "would add another {heads:.1f}M to BERT-large",
          heads=lambda: out("l6-large-count", r"BERT-large:.*heads add ([\d,]+)")() / 1e6),
    # section 5: live
    Quote(L6, "{steps:.0f} steps of {bs:.0f} examples of {T:.0f} tokens, a held-out evaluation every {every:.0f} steps",
          steps=code_value(L6, "bdbce0f2", r"max_steps=(\d+)"), bs=code_value(L6, "bdbce0f2", r"batch_size=(\d+)"),
          T=code_value(L6, "bdbce0f2", r"max_seq_length=(\d+)"), every=code_value(L6, "bdbce0f2", r"eval_every=(\d+)")),
    Quote(L6, r"The MLM loss falls fast from $\ln V \approx 9$ to about {loss:.1f}, and then crawls. What has the model "
              "learned in {steps:.0f} steps?",
          loss=out("f22f3757", r"\n\s+200 \|\s+[\d.]+ \|\s+([\d.]+)"),
          steps=code_value(L6, "bdbce0f2", r"max_steps=(\d+)")),
    Quote(L6, "`,` is the answer at {share:.1f}% of the masked positions (`the`, second, at {the:.1f}%), so "
              "predicting `,` everywhere scores {acc:.3f}: the live model's {lo:.2f} to {hi:.2f} in its table above",
          share=out("l6-unigram-baseline", r"answers: ',' ([\d.]+)%"),
          the=out("l6-unigram-baseline", r"'the' ([\d.]+)%"),
          acc=out("l6-unigram-baseline", r"MLM accuracy of ([\d.]+)"),
          lo=lambda: min(live_accuracies()), hi=lambda: max(live_accuracies())),
    Quote(L6, "the shipped checkpoint below trained for {m:.0f} minutes on two shared CPU cores",
          m=lambda: training_seconds() / 60),
    # section 6: the shipped checkpoint
    Quote(L6, "**MLM** accuracy climbs from {first:.2f} to about {last:.2f}, far above the {base:.2f} of always "
              "predicting `,`.",
          first=json_value(METRICS, 0, "mlm_accuracy"),
          last=out("c20b5a11", r"held-out MLM accuracy ([\d.]+)"),
          base=out("l6-unigram-baseline", r"always predicting ',' scores an MLM accuracy of ([\d.]+)")),
    Quote(L6, "position embeddings {short}-{maxpos} had never been trained",
          short=json_value(METRICS, 0, "seq_length"),
          maxpos=lambda: history()[-1]["seq_length"] - 1),
    Quote(L6, "Within {n} steps at 128 tokens both metrics jump.",
          n=lambda: next(b["step"] - a["step"] for a, b in zip(history(), history()[1:])
                         if a["seq_length"] < b["seq_length"])),
    Quote(L6, "From step {s} the run drew **new pairs every epoch**",
          s=lambda: chunk_ends()[0]["step"]),
    Quote(L6, "the two losses fell together, to NSP accuracy {nsp:.3f}\n  (one run",
          nsp=out("c20b5a11", r"NSP accuracy ([\d.]+)")),
    Quote(L6, "The run was trained in {n} resumable chunks",
          n=lambda: NUMBER_WORDS[len(chunk_ends())]),
    Quote(L6, "the held-out scores dipped at its first evaluation (step {s})",
          s=dip_after_second_chunk),
    Quote(L6, "the trainer evaluates on the first {cap} examples, and this held-out text makes only {n:.0f}, so all "
              "{n:.0f} are the examples the run was evaluated on",
          cap=lambda: __import__("bertbook.training", fromlist=["TrainingArguments"]).TrainingArguments().eval_examples,
          n=out("1fcac5fd", r"(\d+) held-out examples")),
    Quote(L6, "(of the first {n} examples, the one whose accuracy is closest",
          n=code_value(L6, "1347390e", r"held_out\[:(\d+)\], key=", convert=int)),
    # summary
    Quote(L6, "scaled down to {ours:,.0f} tokens a batch against the paper's {paper:,.0f}",
          ours=table("batch", r"64 sequences x 128 tokens = ([\d,]+) tokens"),
          paper=table("batch", r"= ([\d,]+) tokens")),
    Quote(L6, "{ours:,.0f} steps against {paper:,.0f}, and {T:.0f} tokens throughout (the paper trained {p:.0f}% of its "
              "steps at 128 tokens first, then 512)",
          ours=table("steps", r"epochs\)\s+\| ([\d,]+)"), paper=table("steps", r"([\d,]+) \(about"),
          T=table("sequence length", r"\| (\d+) throughout"), p=table("sequence length", r"128 for (\d+)%")),
]

# --- data/pretrained/bertbook-tiny/README.md ----------------------------------------------------------
QUOTES += [
    Quote(TINY, "vocab {v} ({n:,.0f} parameters)",
          v=json_value("data/pretrained/bertbook-tiny/config.json", "vocab_size"),
          n=out("1fcac5fd", r"([\d,]+) parameters")),
    Quote(TINY, "## Held-out quality (step {s})", s=json_value(METRICS, -1, "step")),
    Quote(TINY, "Measured on the {n:.0f} examples the trainer built from text the model never trained on (the last "
                "{f:.0%} of the sentences of every book; the trainer takes up to {cap}, and this text makes {n:.0f})",
          n=out("1fcac5fd", r"(\d+) held-out examples"),
          f=code_value(L6, "1fcac5fd", r"eval_fraction=([\d.]+)"),
          cap=lambda: __import__("bertbook.training", fromlist=["x"]).TrainingArguments().eval_examples),
    Quote(TINY, "**MLM accuracy {acc:.3f}** (loss {loss:.2f}) over the masked positions, **NSP accuracy {nsp:.3f}** "
                "(loss {nsp_loss:.2f}).",
          acc=json_value(METRICS, -1, "mlm_accuracy"), loss=json_value(METRICS, -1, "mlm_loss"),
          nsp=json_value(METRICS, -1, "nsp_accuracy"), nsp_loss=json_value(METRICS, -1, "nsp_loss")),
    Quote(TINY, "always predicting `,`, the most frequent answer ({share:.1f}% of the masked positions; `the` "
                "{the:.1f}%), scores {acc:.2f} on MLM, the majority class {nsp:.2f} on NSP",
          share=out("l6-unigram-baseline", r"answers: ',' ([\d.]+)%"),
          the=out("l6-unigram-baseline", r"'the' ([\d.]+)%"),
          acc=out("l6-unigram-baseline", r"MLM accuracy of ([\d.]+)"),
          nsp=out("l6-unigram-baseline", r"majority scores ([\d.]+)")),
    Quote(TINY, "Wall time **{m:.0f} minutes** of training ({s:,.0f} s;",
          m=lambda: training_seconds() / 60, s=training_seconds),
    Quote(TINY, "{n:,} sequences.", n=json_value(METRICS, -1, "examples_seen")),
    Quote(TINY, "stopped with Ctrl-C at steps {a} and {b}",
          a=lambda: chunk_ends()[0]["step"], b=lambda: chunk_ends()[2]["step"]),
    Quote(TINY, "(see below) -> MLM {acc:.3f}, NSP {nsp:.3f}",
          acc=lambda: chunk_ends()[1]["mlm_accuracy"], nsp=lambda: chunk_ends()[1]["nsp_accuracy"]),
    Quote(TINY, "decays to 0 in the time left -> MLM {acc:.3f}, NSP {nsp:.3f}",
          acc=json_value(METRICS, -1, "mlm_accuracy"), nsp=json_value(METRICS, -1, "nsp_accuracy")),
    *[Quote(TINY, "| " + shelf + " | {n} | {acc:.3f} | {nsp:.3f} |",
            n=library(i, "examples"), acc=library(i, "mlm_accuracy"), nsp=library(i, "nsp_accuracy"))
      for i, shelf in enumerate(["nine novels (as above)", "43 new books", "whole library"])],
    Quote(TINY, "carries over to unseen books ({acc:.2f}); its next-sentence accuracy does not ({new:.3f} on the new "
                "books against {old:.3f} on the novels' held-out ends)",
          acc=library(1, "mlm_accuracy"), new=library(1, "nsp_accuracy"), old=library(0, "nsp_accuracy")),
    Quote(TINY, "the last {f:.0%} of each of the {n} books, `split_documents(..., {f:g})`, {cap}\nexamples",
          f=json_value(LIBRARY, "eval_fraction"), n=library(2, "books"), cap=json_value(LIBRARY, "max_examples")),
]


def at(seq_length):
    return [r for r in history() if r["seq_length"] == seq_length]


def between(a, b):
    return [r for r in history() if a < r["step"] <= b]


QUOTES += [
    Quote(TINY, "encoder + pooler + MLM head + NSP head), {mb:.1f} MB",
          mb=lambda: __import__("os").path.getsize(
              __import__("prose_numbers").resolve("data/pretrained/bertbook-tiny/model.safetensors")) / 1e6),
    Quote(TINY, "Throughput: {a:.0f}-{b:.0f} seq/s at 64 tokens (load ~12), {c:.0f}-{d:.0f} seq/s at 128 tokens",
          a=lambda: min(r["seq_per_s"] for r in at(64)), b=lambda: max(r["seq_per_s"] for r in at(64)),
          c=lambda: min(r["seq_per_s"] for r in at(128)), d=lambda: max(r["seq_per_s"] for r in at(128))),
    Quote(TINY, "64 tokens until step {s}, then 128", s=lambda: at(64)[-1]["step"]),
    Quote(TINY, "learning rate back up to {lr})",         # 5.9e-4, as the command line writes it
          lr=lambda: f'{max(r["learning_rate"] for r in between(chunk_ends()[1]["step"], chunk_ends()[2]["step"])):.1e}'
          .replace("e-0", "e-")),
    Quote(TINY, "held-out NSP stayed at chance ({lo:.2f}-{hi:.2f}) for all {n} steps at 64 tokens",
          lo=lambda: min(r["nsp_accuracy"] for r in at(64)), hi=lambda: max(r["nsp_accuracy"] for r in at(64)),
          n=lambda: at(64)[-1]["step"]),
    Quote(TINY, "then jumped to {nsp:.2f} within {n} steps at 128 (MLM {a:.2f} -> {b:.2f})",
          nsp=lambda: at(128)[0]["nsp_accuracy"], n=lambda: at(128)[0]["step"] - at(64)[-1]["step"],
          a=lambda: at(64)[-1]["mlm_accuracy"], b=lambda: at(128)[0]["mlm_accuracy"]),
    Quote(TINY, "in the 128-token steps {s0}-{s1} the training NSP loss fell from {a:.2f} to {b:.2f} while the held-out "
                "one stayed at {lo:.2f}-{hi:.2f}",
          s0=lambda: at(64)[-1]["step"], s1=lambda: chunk_ends()[0]["step"],
          a=lambda: at(128)[0]["train_nsp_loss"], b=lambda: chunk_ends()[0]["train_nsp_loss"],
          lo=lambda: min(r["nsp_loss"] for r in between(at(64)[-1]["step"], chunk_ends()[0]["step"])),
          hi=lambda: max(r["nsp_loss"] for r in between(at(64)[-1]["step"], chunk_ends()[0]["step"]))),
    Quote(TINY, "held-out NSP went {a:.2f} -> {b:.2f} in the next {n:.0f} steps",
          a=lambda: chunk_ends()[0]["nsp_accuracy"], b=lambda: chunk_ends()[1]["nsp_accuracy"],
          n=lambda: round(chunk_ends()[1]["step"] - chunk_ends()[0]["step"], -2)),
    Quote(TINY, "(NSP {a:.2f} -> {b:.2f} at the lr peak)",
          a=lambda: chunk_ends()[1]["nsp_accuracy"],
          b=lambda: between(chunk_ends()[1]["step"], chunk_ends()[2]["step"])[0]["nsp_accuracy"]),
]

CONFIG = "data/pretrained/bertbook-tiny/config.json"
QUOTES += [
    Quote(TINY, "`tiny` preset: {L} layers, hidden {H}, {A} heads, FFN {F}, {P} positions, vocab {V}",
          L=json_value(CONFIG, "num_hidden_layers"), H=json_value(CONFIG, "hidden_size"),
          A=json_value(CONFIG, "num_attention_heads"), F=json_value(CONFIG, "intermediate_size"),
          P=json_value(CONFIG, "max_position_embeddings"), V=json_value(CONFIG, "vocab_size")),
    Quote(TINY, "one held-out evaluation every {n} steps",
          n=lambda: history()[1]["step"] - history()[0]["step"]),
]

# README.md's paragraph on the shipped checkpoint
QUOTES += [
    Quote("README.md", "`data/pretrained/bertbook-tiny` (tiny preset, {p:.1f}M parameters, {m:.0f} minutes on a shared "
                       "2-core CPU",
          p=lambda: out("1fcac5fd", r"([\d,]+) parameters")() / 1e6, m=lambda: training_seconds() / 60),
    Quote("README.md", "reaches held-out **MLM accuracy {acc:.3f}** and **NSP accuracy {nsp:.3f}** on the novels' "
                       "held-out text ({lacc:.3f} / {lnsp:.3f} on the held-out text of the whole {n}-book library",
          acc=json_value(METRICS, -1, "mlm_accuracy"), nsp=json_value(METRICS, -1, "nsp_accuracy"),
          lacc=library(2, "mlm_accuracy"), lnsp=library(2, "nsp_accuracy"), n=library(2, "books")),
]
