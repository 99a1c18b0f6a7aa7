"""Lesson 8's quoted numbers, each read from the saved output, code or results file it comes from.

Most come from `data/results/learning_curve.json` (written by benchmarks/learning_curve.py): the
curve's and the pooling comparison's means, sds, ranges and the differences the prose draws from
them, each checked to rest on exactly three seeds. The rest come from the outputs beside the prose
(the live run, the confusion matrices, the windows) and from the package's recipe.

Not listed: literature figures the lesson cites (BERT's 93.5 and Table 7's 96.1/96.4, BERT-Tiny's
83.2, MRPC's 3,600, Sun et al.'s 2e-5/4e-4, the table of BERT's successors), and the earlier
edition's one-run numbers (0.642, 0.620, 0.703 and the 19 sentences between the first two: git
history, commits cd7be2e and 3108809, not an output of this notebook).
"""
import json
import math
import re
import statistics
from pathlib import Path

from prose_numbers import Quote, cell_output_text, code_value, output_value

ROOT = Path(__file__).resolve().parents[2]
L8 = "notebooks/08_fine_tuning.ipynb"
RESULTS = ROOT / "data" / "results" / "learning_curve.json"
DEV_SIZE = 872


def out(cell, pattern, **kw):
    return output_value(L8, cell, pattern, **kw)


def runs(model, pooling, n):
    """The three seeds' dev accuracies of one (model, pooling, n_train) in the results file."""
    records = json.loads(RESULTS.read_text())["records"]
    values = [r["dev_accuracy"] for r in records if (r["model"], r["pooling"], r["n_train"]) == (model, pooling, n)]
    assert len(values) == 3, f"{RESULTS}: {model}/{pooling}/{n} has {len(values)} runs, the prose says three seeds"
    return values


def stat(model, pooling, n, what):
    """mean, sd (sample), min or max over the seeds, as the lesson's `summarise` prints them."""
    def value():
        v = runs(model, pooling, n)
        return {"mean": statistics.fmean, "sd": statistics.stdev, "min": min, "max": max}[what](v)
    value.__name__ = f"{what} of {model}/{pooling}/{n} in {RESULTS.name}"
    return value


def gap(a, b, what="mean"):
    """stat(*a) - stat(*b)."""
    def value():
        return stat(*a, what)() - stat(*b, what)()
    value.__name__ = f"{what} {a} - {what} {b} in {RESULTS.name}"
    return value


def majority():
    """The majority-class accuracy the curve's cell prints."""
    return out("f092ec5b", r"majority class: ([\d.]+)")()


def sentences_above_majority(model, pooling, n):
    """How many more dev sentences the worst seed gets right than the majority class."""
    def value():
        dev = cell_output_text(L8, "40e180ea")
        positive = float(re.search(r"dev:\s+\d+ sentences, ([\d.]+)% positive", dev).group(1)) / 100
        majority_right = round(max(positive, 1 - positive) * DEV_SIZE)
        return round(stat(model, pooling, n, "min")() * DEV_SIZE) - majority_right
    value.__name__ = f"worst {model}/{pooling}/{n} seed's correct dev sentences - the majority class's"
    return value


def confusion(init):
    text = cell_output_text(L8, "652e23c3")
    return json.loads(re.search(rf"{init} confusion\[true, predicted\] = (\[\[.*?\]\])", text).group(1))


def cm(init, true, predicted):
    def value():
        return confusion(init)[true][predicted]
    value.__name__ = f"{init} confusion[{true}][{predicted}] printed by cell 652e23c3"
    return value


def negatives(init):
    def value():
        return sum(confusion(init)[0])
    value.__name__ = f"{init}'s truly negative dev sentences (row 0 of cell 652e23c3's matrix)"
    return value


def recipe(model, key):
    def value():
        from bertbook.learning_curve import RECIPES
        return RECIPES[model][key]
    value.__name__ = f"bertbook.learning_curve.RECIPES[{model!r}][{key!r}]"
    return value


def lr_text(model):
    """1e-3, as the prose writes a learning rate."""
    def value():
        mantissa, exponent = f"{recipe(model, 'lr')():.0e}".split("e")
        return f"{mantissa}e{int(exponent)}"
    value.__name__ = f"RECIPES[{model!r}]['lr'] written as 1e-3"
    return value


def default(function, parameter):
    def value():
        import inspect
        from bertbook import finetuning
        return inspect.signature(getattr(finetuning, function)).parameters[parameter].default
    value.__name__ = f"bertbook.finetuning.{function}'s default {parameter}"
    return value


def live_steps():
    """Optimizer steps of the live run: epochs x batches of 500 examples."""
    epochs = out("55ea7605", r"live run: (\d+) epochs", convert=int)()
    return epochs * math.ceil(500 / recipe("pretrained", "batch_size")())


def old_decay_shortfall():
    """How much lower the previous schedule's rates were after the warm-up: its decay divided by
    (T - warmup + 1) instead of (T - warmup)."""
    from bertbook.schedule import warmup_steps_for
    total = live_steps()
    return 1 / (total - warmup_steps_for(0.1, total) + 1)


def live_gap_sentences():
    return round(abs(out("55ea7605", r"the script's run of the same point: ([\d.]+)")()
                     - out("55ea7605", r"dev accuracy ([\d.]+)")()) * DEV_SIZE)


def arithmetic_ratio():
    """MiniLM's weight-matrix multiply-adds per token over the tiny model's (4H^2 + 2H*FFN a layer),
    to the nearest 5."""
    from bertbook import BertConfig
    tiny = BertConfig.preset("tiny")
    per_token = lambda layers, h, ffn: layers * (4 * h * h + 2 * h * ffn)
    return 5 * round(per_token(6, 384, 1536) / per_token(tiny.num_hidden_layers, tiny.hidden_size,
                                                             tiny.intermediate_size) / 5)


def minilm_positions():
    from bertbook.checkpoints import _minilm_folder
    return json.loads((_minilm_folder() / "config.json").read_text())["max_position_embeddings"]


def tiny_positions():
    from bertbook import BertConfig
    return BertConfig.preset("tiny").max_position_embeddings


def corpus_megabytes():
    return sum(p.stat().st_size for p in (ROOT / "data" / "corpus").glob("*.txt")) / 1e6


def largest_tiny_n():
    return max(r["n_train"] for r in json.loads(RESULTS.read_text())["records"] if r["model"] != "minilm")


def full_over_largest():
    return out("40e180ea", r"train: (\d+) entries", convert=int)() / largest_tiny_n()


def minilm_seconds_per_example():
    """Wall-clock seconds per training example of the curve's MiniLM runs at 2,000 (dev scoring included)."""
    records = json.loads(RESULTS.read_text())["records"]
    times = [r["seconds"] / r["n_train"] for r in records if (r["model"], r["pooling"], r["n_train"]) == ("minilm", "mean", 2000)]
    return statistics.fmean(times)


def spans():
    return out("2c74a0af", r"(\[\(0, .*?\)\])", convert=str)()


def span_list():
    return [tuple(map(int, s)) for s in re.findall(r"\((\d+), (\d+)\)", spans())]


def new_tokens(i):
    def value():
        ends = [0] + [b for _, b in span_list()]
        return ends[i + 1] - ends[i]
    value.__name__ = f"tokens window {i} is the first to cover, from cell 2c74a0af's spans"
    return value


WORDS = ["zero", "one", "two", "three", "four", "five", "six"]


def sizes_of(*models):
    """How many training-set sizes the curve ran for these models (pooler for the tiny ones, mean for MiniLM)."""
    def value():
        records = json.loads(RESULTS.read_text())["records"]
        curve = {"scratch": "pooler", "pretrained": "pooler", "minilm": "mean"}
        counts = {len({r["n_train"] for r in records if r["model"] == m and r["pooling"] == curve[m]}) for m in models}
        assert len(counts) == 1, f"{models} ran different numbers of sizes: {counts}"
        return WORDS[counts.pop()]
    value.__name__ = f"number of curve sizes of {models} in {RESULTS.name}"
    return value


def steps_at(model, n):
    """Optimizer steps of one curve run: epochs x batches."""
    def value():
        from bertbook.learning_curve import epochs_for
        return epochs_for(model, n) * math.ceil(n / recipe(model, "batch_size")())
    value.__name__ = f"optimizer steps of {model} at n_train {n}"
    return value


def decay_change_percent():
    """The most the previous decay (divided by T - warmup + 1) moved a rate of the later runs at 2,000,
    as a whole percent rounded up."""
    from bertbook.schedule import warmup_steps_for
    worst = max(1 / (t - warmup_steps_for(0.1, t) + 1) for t in (steps_at("pretrained", 2000)(), steps_at("minilm", 2000)()))
    return math.ceil(100 * worst)


def shrink_word(a, b):
    """'less than a tenth' when the gap b is under a tenth of the gap a (else what share it is)."""
    def value():
        share = gap(*b)() / gap(*a)()
        return "less than a tenth" if share < 0.1 else f"{share:.0%} of what it was"
    value.__name__ = f"gap {b} as a share of gap {a}"
    return value


def same_gap(a, b, c, d):
    """'0.032' when mean a - mean b and mean c - mean d both print as 0.032 (the prose says 'at both sizes')."""
    def value():
        one, two = f"{gap(a, b)():.3f}", f"{gap(c, d)():.3f}"
        return one if one == two else f"{one} (at 500) but {two} (at 2,000)"
    value.__name__ = f"the gap {a} - {b}, equal to {c} - {d} at 3 decimals"
    return value


S = stat          # short names for the many curve quotes below
P, CLS, MEAN = "pooler", "cls", "mean"

QUOTES = [
    # introduction and section 1
    Quote(L8, "It is a {layers}-layer, {hidden}-wide BERT-shaped encoder",
          layers=out("cd42e0db", r"minilm: (\d+) layers", convert=int),
          hidden=out("cd42e0db", r"minilm: \d+ layers, hidden\s+(\d+)", convert=int)),
    Quote(L8, r"$2 \times {h} + 2 = {w}$ numbers for our tiny model",
          h=out("cd42e0db", r"pretrained: \d+ layers, hidden\s+(\d+)", convert=int),
          w=out("cd42e0db", r"pretrained: .*?(\d+) new head weights", convert=int)),
    # section 2
    Quote(L8, "Its training split holds {k:.0f}k entries",
          k=lambda: out("40e180ea", r"train: (\d+) entries", convert=int)() / 1000),
    Quote(L8, "the dev split holds {dev} whole sentences", dev=out("40e180ea", r"dev:\s+(\d+) sentences", convert=int)),
    # section 3
    Quote(L8, "**AdamW** with weight decay {wd}", wd=default("fine_tune", "weight_decay")),
    Quote(L8, "warmed up** linearly over the first {w:.0%} of the steps", w=default("fine_tune", "warmup")),
    Quote(L8, "dropout {p} during training", p=default("build_classifier", "dropout")),
    Quote(L8, "(for the tiny models peak learning rate {lr}, batches of {bs}, at least {ep} epochs and {ex:,} examples seen;",
          lr=lr_text("pretrained"), bs=recipe("pretrained", "batch_size"), ep=recipe("pretrained", "min_epochs"),
          ex=recipe("pretrained", "min_examples")),
    Quote(L8, "MiniLM, with some {r} times more arithmetic per token, {lr}, batches of {bs}, at least one epoch and {ex} examples seen)",
          r=arithmetic_ratio, lr=lr_text("minilm"), bs=recipe("minilm", "batch_size"), ex=recipe("minilm", "min_examples")),
    Quote(L8, "({live:.3f} against {rec:.3f} here: {d} of 872)",
          live=out("55ea7605", r"dev accuracy ([\d.]+)"),
          rec=out("55ea7605", r"the script's run of the same point: ([\d.]+)"), d=live_gap_sentences),
    Quote(L8, "(rates about {s:.0%} lower after the warm-up of this {t}-step run)", s=old_decay_shortfall, t=live_steps),
    # the curve (cell 7a30d19f)
    Quote(L8, "examples teach the tiny model nothing: {a:.3f} ± {sa:.3f} and {b:.3f} ± {sb:.3f}, at or below the majority class",
          a=S("scratch", P, 125, "mean"), sa=S("scratch", P, 125, "sd"),
          b=S("scratch", P, 500, "mean"), sb=S("scratch", P, 500, "sd")),
    Quote(L8, "above the majority class on average at both, {a:.3f} ± {sa:.3f} and {b:.3f} ± {sb:.3f}, but not by much: "
              "at 125 its worst seed scores {w:.3f}, {k} dev sentences more than the majority class gets right. "
              "At 500 every pretrained seed ({lo:.3f}-{hi:.3f}) beats every random start.",
          a=S("pretrained", P, 125, "mean"), sa=S("pretrained", P, 125, "sd"),
          b=S("pretrained", P, 500, "mean"), sb=S("pretrained", P, 500, "sd"),
          w=S("pretrained", P, 125, "min"), k=sentences_above_majority("pretrained", P, 125),
          lo=S("pretrained", P, 500, "min"), hi=S("pretrained", P, 500, "max")),
    Quote(L8, "calls {fp} of the {neg} negative dev sentences positive.", fp=cm("pretrained", 0, 1), neg=negatives("pretrained")),
    Quote(L8, "At 2,000 examples scratch reaches {a:.3f} ± {sa:.3f} ({alo:.3f}-{ahi:.3f}) and our pretrained model "
              "{b:.3f} ± {sb:.3f} ({blo:.3f}-{bhi:.3f}); at 8,000, {c:.3f} ± {sc:.3f} against {d:.3f} ± {sd:.3f}. "
              "The ranges overlap at 2,000 and the means differ by {diff:.3f} at 8,000",
          a=S("scratch", P, 2000, "mean"), sa=S("scratch", P, 2000, "sd"),
          alo=S("scratch", P, 2000, "min"), ahi=S("scratch", P, 2000, "max"),
          b=S("pretrained", P, 2000, "mean"), sb=S("pretrained", P, 2000, "sd"),
          blo=S("pretrained", P, 2000, "min"), bhi=S("pretrained", P, 2000, "max"),
          c=S("scratch", P, 8000, "mean"), sc=S("scratch", P, 8000, "sd"),
          d=S("pretrained", P, 8000, "mean"), sd=S("pretrained", P, 8000, "sd"),
          diff=gap(("scratch", P, 8000), ("pretrained", P, 8000))),
    Quote(L8, "Both starts fine-tune at the same learning rate, {lr};", lr=lr_text("scratch")),
    Quote(L8, "the pretrained runs vary less (sd {a:.3f} and {b:.3f}, against {c:.3f} and {d:.3f} from scratch)",
          a=S("pretrained", P, 2000, "sd"), b=S("pretrained", P, 8000, "sd"),
          c=S("scratch", P, 2000, "sd"), d=S("scratch", P, 8000, "sd")),
    Quote(L8, "at 125 it is the other way round ({a:.3f} against {b:.3f})",
          a=S("pretrained", P, 125, "sd"), b=S("scratch", P, 125, "sd")),
    Quote(L8, "MiniLM with mean pooling: {a:.3f} ± {sa:.3f} with 125 examples, {b:.3f} ± {sb:.3f} with 500 and "
              "{c:.3f} ± {sc:.3f} with 2,000. Its mean with 125 labels is above both tiny models' means with 2,000 "
              "({s:.3f} and {p:.3f}), though not every seed of it: its worst ({w:.3f}) is below scratch's best at 2,000 ({best:.3f}).",
          a=S("minilm", MEAN, 125, "mean"), sa=S("minilm", MEAN, 125, "sd"),
          b=S("minilm", MEAN, 500, "mean"), sb=S("minilm", MEAN, 500, "sd"),
          c=S("minilm", MEAN, 2000, "mean"), sc=S("minilm", MEAN, 2000, "sd"),
          s=S("scratch", P, 2000, "mean"), p=S("pretrained", P, 2000, "mean"),
          w=S("minilm", MEAN, 125, "min"), best=S("scratch", P, 2000, "max")),
    Quote(L8, "against our {mb:.0f} MB of novels", mb=corpus_megabytes),
    Quote(L8, "({x} times our largest training set,", x=lambda: {8: "eight", 9: "nine"}[int(full_over_largest())]),
    # the misconceptions box
    Quote(L8, "Our tiny models use {lr} from both starts", lr=lr_text("pretrained")),
    Quote(L8, "Now the whole grid: {a} training-set sizes for the tiny models, {b} for MiniLM, three seeds each.",
          a=sizes_of("scratch", "pretrained"), b=sizes_of("minilm")),
    # the pooling comparison (cells 9d6096e9, e0a3ecff)
    Quote(L8, "which at their {a} or {b} steps moves no rate by {p}% or more.",
          a=steps_at("minilm", 2000), b=steps_at("pretrained", 2000), p=decay_change_percent),
    Quote(L8, "With 500, the mean reaches {m:.3f} ± {sm:.3f} against {p:.3f} ± {sp:.3f} with the pooler, and the worst of "
              "the three mean-pooling runs beats the best of the three pooler runs; raw [CLS] sits between, {c:.3f} ± {sc:.3f}.",
          m=S("minilm", MEAN, 500, "mean"), sm=S("minilm", MEAN, 500, "sd"),
          p=S("minilm", P, 500, "mean"), sp=S("minilm", P, 500, "sd"),
          c=S("minilm", CLS, 500, "mean"), sc=S("minilm", CLS, 500, "sd")),
    Quote(L8, "500 examples make only {s} optimizer steps to retrain it and the head. With 2,000 examples ({s2} steps) the "
              "three are close: mean {m:.3f} ± {sm:.3f}, raw [CLS] {c:.3f} ± {sc:.3f}, pooler {p:.3f} ± {sp:.3f}. The gap "
              "between mean and pooler shrank from {g1:.3f} to {g2:.3f}.",
          s=steps_at("minilm", 500), s2=steps_at("minilm", 2000),
          m=S("minilm", MEAN, 2000, "mean"), sm=S("minilm", MEAN, 2000, "sd"),
          c=S("minilm", CLS, 2000, "mean"), sc=S("minilm", CLS, 2000, "sd"),
          p=S("minilm", P, 2000, "mean"), sp=S("minilm", P, 2000, "sd"),
          g1=gap(("minilm", MEAN, 500), ("minilm", P, 500)), g2=gap(("minilm", MEAN, 2000), ("minilm", P, 2000))),
    Quote(L8, "With 500 examples: pooler {p:.3f} ± {sp:.3f}, raw [CLS] {c:.3f} ± {sc:.3f}, mean {m:.3f} ± {sm:.3f}; with "
              "2,000: {p2:.3f} ± {sp2:.3f}, {c2:.3f} ± {sc2:.3f} and {m2:.3f} ± {sm2:.3f}. The mean leads the pooler by "
              "{g} at both sizes",
          p=S("pretrained", P, 500, "mean"), sp=S("pretrained", P, 500, "sd"),
          c=S("pretrained", CLS, 500, "mean"), sc=S("pretrained", CLS, 500, "sd"),
          m=S("pretrained", MEAN, 500, "mean"), sm=S("pretrained", MEAN, 500, "sd"),
          p2=S("pretrained", P, 2000, "mean"), sp2=S("pretrained", P, 2000, "sd"),
          c2=S("pretrained", CLS, 2000, "mean"), sc2=S("pretrained", CLS, 2000, "sd"),
          m2=S("pretrained", MEAN, 2000, "mean"), sm2=S("pretrained", MEAN, 2000, "sd"),
          g=same_gap(("pretrained", MEAN, 500), ("pretrained", P, 500), ("pretrained", MEAN, 2000), ("pretrained", P, 2000))),
    Quote(L8, "MiniLM's gap shrank to {r} from 500 to 2,000 examples",
          r=shrink_word((("minilm", MEAN, 500), ("minilm", P, 500)), (("minilm", MEAN, 2000), ("minilm", P, 2000)))),
    # the summary (cell 8a3bf48e)
    Quote(L8, "with 500 examples our pretrained tiny model reaches {a:.3f} ± {sa:.3f} while the random start stays at the "
              "majority class ({maj:.3f}); by 2,000 the random start has caught up ({b:.3f} ± {sb:.3f} against "
              "{c:.3f} ± {sc:.3f}; at 8,000, {d:.3f} ± {sd:.3f} against {e:.3f} ± {se:.3f}).",
          a=S("pretrained", P, 500, "mean"), sa=S("pretrained", P, 500, "sd"), maj=majority,
          b=S("scratch", P, 2000, "mean"), sb=S("scratch", P, 2000, "sd"),
          c=S("pretrained", P, 2000, "mean"), sc=S("pretrained", P, 2000, "sd"),
          d=S("scratch", P, 8000, "mean"), sd=S("scratch", P, 8000, "sd"),
          e=S("pretrained", P, 8000, "mean"), se=S("pretrained", P, 8000, "sd")),
    Quote(L8, "leads at every size we ran it ({m:.3f} ± {s:.3f} with 2,000 examples)",
          m=S("minilm", MEAN, 2000, "mean"), s=S("minilm", MEAN, 2000, "sd")),
    Quote(L8, "the mean beat the pooler by {g1:.3f} with 500 examples and by {g2:.3f} with 2,000;",
          g1=gap(("minilm", MEAN, 500), ("minilm", P, 500)), g2=gap(("minilm", MEAN, 2000), ("minilm", P, 2000))),
    # section 5
    Quote(L8, "MiniLM ({acc:.3f} here) makes far fewer mistakes of one kind, negative sentences called positive "
              "({mfp} against {tfp}, the upper right cells), and a few more of the other, positive sentences called "
              "negative ({mfn} against {tfn}). Our tiny model calls {tfp2} of the {neg} negative sentences positive",
          acc=out("d5fc5c76", r"dev accuracy ([\d.]+)"), mfp=cm("minilm", 0, 1), tfp=cm("pretrained", 0, 1),
          mfn=cm("minilm", 1, 0), tfn=cm("pretrained", 1, 0), tfp2=cm("pretrained", 0, 1), neg=negatives("pretrained")),
    # section 6
    Quote(L8, "{bert} in BERT-base and MiniLM, {tiny} in our tiny model", bert=minilm_positions, tiny=tiny_positions),
    Quote(L8, "(its real limit is {n};", n=minilm_positions),
    Quote(L8, "Here the windows are ahead by one text of {n} ({w:.3f} against {t:.3f})",
          n=out("7641b6a5", r"(\d+) texts of", convert=int),
          w=out("7641b6a5", r"windows \+ mean pooling:\s+accuracy ([\d.]+)"),
          t=out("7641b6a5", r"first 128 tokens only:\s+accuracy ([\d.]+)")),
    Quote(L8, "its last window holds tokens {a}-{b}, only {k} of the {size} it could",
          a=lambda: span_list()[-1][0], b=lambda: span_list()[-1][1] - 1,
          k=lambda: span_list()[-1][1] - span_list()[-1][0], size=lambda: span_list()[0][1] - span_list()[0][0]),
    Quote(L8, "`window_spans(300, 128, 32)` = `{spans}` that is {a}, {b} and {c} tokens, which add up to the {n} of the text",
          spans=spans, a=new_tokens(0), b=new_tokens(1), c=new_tokens(2), n=lambda: span_list()[-1][1]),
    # section 7
    Quote(L8, "With all {n:,} training entries", n=out("40e180ea", r"train: (\d+) entries", convert=int)),
    Quote(L8, "our models saw at most {n:,} labelled examples", n=largest_tiny_n),
    Quote(L8, "(about {s:.1f} s per example in our learning-curve runs)", s=minilm_seconds_per_example),
    Quote(L8, "The curve above says where it starts from: {m:.3f} ± {s:.3f} with 2,000 examples.",
          m=S("minilm", MEAN, 2000, "mean"), s=S("minilm", MEAN, 2000, "sd")),
]
