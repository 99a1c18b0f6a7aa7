"""Lesson 9's quoted numbers, each read from the output, metrics.json, results file or data it comes from.

Sources: the notebook's saved outputs (by cell id), the shipped models' metrics.json, the NLI
baselines' results (benchmarks/nli_baselines.py), the data sets themselves, all-MiniLM-L6-v2's own
model card data (data_config.json of the installed package), and, for the earlier SQuAD runs the
lesson's table lists, their metrics.json in the repository's history (`git show`)."""
import functools
import json
from pathlib import Path

from prose_numbers import ROOT, Quote, Source, code_value, json_value, output_value

L9 = "notebooks/09_bert_for_every_task.ipynb"
SNLI = "data/pretrained/minilm-snli/metrics.json"
WNUT = "data/pretrained/minilm-wnut17/metrics.json"
SQUAD = "data/pretrained/minilm-squad/metrics.json"
NLI = "data/results/nli_baselines.json"
SNLI_README = "data/pretrained/minilm-snli/README.md"


def out(cell, pattern, convert=float):
    return output_value(L9, cell, pattern, convert=convert)


def text(cell, pattern):
    return output_value(L9, cell, pattern, convert=str)


def derived(description, fn):
    return Source(fn, description)


@functools.lru_cache(maxsize=None)
def _data(name):
    from bertbook.task_datasets import load_snli, load_squad, load_wnut17
    loader, split = {"snli-train": (load_snli, "train"), "snli-validation": (load_snli, "validation"),
                     "wnut-train": (load_wnut17, "train"), "wnut-validation": (load_wnut17, "validation"),
                     "squad-train": (load_squad, "train"), "squad-validation": (load_squad, "validation")}[name]
    return loader(split)


def count(name):
    return derived(f"len(load {name})", lambda: len(_data(name)))


def wnut_train_entities(kind=None):
    def read():
        from bertbook.token_classification import bio_to_spans
        return sum(1 for s in _data("wnut-train") for t, _, _ in bio_to_spans(s["tags"]) if kind in (None, t))
    return derived(f"WNUT-17 training entities{f' of type {kind}' if kind else ''} (bio_to_spans)", read)


def wnut_tags(what):
    """The share of O among the WNUT-17 training words, or the entropy (nats) of their tag frequencies:
    the loss of a model that gives every word those frequencies."""
    def read():
        import math
        from collections import Counter
        tags = Counter(t for s in _data("wnut-train") for t in s["tags"])
        n = sum(tags.values())
        return tags["O"] / n if what == "share" else -sum(c / n * math.log(c / n) for c in tags.values())
    return derived(f"WNUT-17 training tags: {what}", read)


@functools.lru_cache(maxsize=None)
def _model_card_data():
    from bertbook.weights import resolve_checkpoint_dir
    return json.loads((resolve_checkpoint_dir("minilm") / "data_config.json").read_text())


def card_lines(file=None, scale=1):
    def read():
        rows = _model_card_data()
        return sum(r["lines"] for r in rows if file in (None, r["name"])) * scale
    return derived(f"all-MiniLM-L6-v2 data_config.json lines of {file or 'all its data sets'}", read)


def history(commit, *keys):
    """A value of minilm-squad's metrics.json as an earlier commit stored it (the lesson's table of runs),
    from data/results/squad_earlier_runs.json (copied from the history, so a shallow clone works)."""
    return json_value("data/results/squad_earlier_runs.json", "runs", commit, *keys)


def nli(setting, key="mean"):
    return json_value(NLI, "summary", setting, key)


def minilm_config(key):
    def read():
        from bertbook.weights import resolve_checkpoint_dir
        return json.loads((resolve_checkpoint_dir("minilm") / "config.json").read_text())[key]
    return derived(f"all-MiniLM-L6-v2 config.json {key}", read)


def loss_steps(cell):
    """How many losses a live fine-tune printed (one per step)."""
    def read():
        from prose_numbers import cell_output_text
        line = next(l for l in cell_output_text(L9, cell).splitlines() if l.startswith("loss per step:"))
        return len(line.split(":", 1)[1].split())
    return derived(f"number of losses printed by cell {cell}", read)


def validation_windows():
    """How many windows evaluate_squad reads for all validation questions (the shipped recipe's window and
    overlap), to the hundred."""
    def read():
        from bertbook.question_answering import qa_windows
        from bertbook.tokenizer import load_tokenizer
        recipe, tok = json_value(SQUAD, "recipe")(), load_tokenizer("minilm")
        return round(sum(len(qa_windows(tok, q["question"], q["context"], recipe["max_length"], recipe["stride"]).spans)
                         for q in _data("squad-validation")), -2)
    return derived("SQuAD validation windows (qa_windows, the shipped recipe), to the hundred", read)


def squad_articles(split=None):
    def read():
        from bertbook.task_datasets import SQUAD_VALIDATION_ARTICLES
        total = len(json.loads((ROOT / "data" / "squad" / "dev-v1.1.json").read_text())["data"])
        return {None: total, "validation": len(SQUAD_VALIDATION_ARTICLES),
                "train": total - len(SQUAD_VALIDATION_ARTICLES)}[split]
    return derived(f"SQuAD dev articles ({split or 'all'})", read)


def tiny_run(key):
    return json_value(NLI, "runs", "scratch", 0, key)


TINY = "data/pretrained/bertbook-tiny/config.json"


def _tiny_params():
    from bertbook.config import BertConfig
    from bertbook.model import BertForSequenceClassification
    config = BertConfig.load(ROOT / TINY)
    config.num_labels = 3
    return sum(p.numel() for p in BertForSequenceClassification(config).parameters()) / 1e6


CONFUSION = "ea378d82"       # SNLI validation accuracy + the confusion matrix
WINDOWS = "8c535579"         # the long passage cut into windows
SPLITS = "660b6d29"          # questions cut into several windows at 160 and 384 tokens
PHRASINGS = "f54e5a3c"       # the rainforest questions worded four ways

QUOTES = [
    # cell 0: what MiniLM was trained on
    Quote(L9, "among the {pairs_b:.2f} billion sentence pairs of its sentence-embedding training",
          pairs_b=card_lines(scale=1e-9)),
    Quote(L9, "(AllNLI, {allnli:,} triplets) and {flickr:,} pairs of Flickr30k captions",
          allnli=card_lines("AllNLI.jsonl.gz"), flickr=card_lines("flickr30k_captions.jsonl.gz")),
    # section 1
    Quote(L9, "we have its {n_dev:,}-pair dev file, split **by premise** into {n_train_1:,} pairs to train on and "
              "{n_val_1:,} to validate on",
          n_dev=derived("SNLI train + validation pairs", lambda: len(_data("snli-train")) + len(_data("snli-validation"))),
          n_train_1=count("snli-train"), n_val_1=count("snli-validation")),
    Quote(L9, "all {n_train_2:,} training pairs, the top {layers_snli} layers",
          n_train_2=count("snli-train"), layers_snli=json_value(SNLI, "recipe", "train_layers")),
    Quote(L9, "{neutral} of the {mistakes} mistakes involve **neutral**",
          neutral=out(CONFUSION, r"involving neutral: (\d+)", int), mistakes=out(CONFUSION, r"mistakes: (\d+)", int)),
    Quote(L9, "entailment and contradiction are swapped {swaps} times",
          swaps=out(CONFUSION, r"contradiction: (\d+)", int)),
    Quote(L9, "Far above the {chance:.3f} of always answering the largest class",
          chance=out(CONFUSION, r"chance: ([\d.]+)")),
    Quote(L9, "MiniLM fine-tuned on our {n_train:,} SNLI pairs for {epochs_snli} epochs with {frozen} of its 6 layers "
              "frozen",
          n_train=count("snli-train"), epochs_snli=json_value(SNLI, "recipe", "epochs"),
          frozen=derived("6 - minilm-snli's train_layers",
                         lambda: 6 - json.loads((ROOT / SNLI).read_text())["recipe"]["train_layers"])),
    Quote(L9, "So the {shipped:.3f} is not what {n_train:,} pairs teach a fresh BERT.",
          shipped=json_value(SNLI, "validation", "validation_accuracy"), n_train=json_value(NLI, "data", "train_pairs")),
    Quote(L9, "pairs, 3 seeds each{every} (`benchmarks/nli_baselines.py`", every=derived(
          "every setting of nli_baselines.json has 3 seeds", lambda: "" if all(
              s["seeds"] == 3 for s in json.loads((ROOT / NLI).read_text())["summary"].values()) else " (NOT ALL)")),
    Quote(L9, "on the same {n_train:,} training and {n_val:,} validation pairs, 3 seeds each",
          n_train=json_value(NLI, "data", "train_pairs"), n_val=json_value(NLI, "data", "validation_pairs")),
    # section 2
    Quote(L9, "{n_sent:,} sentences hold {n_ent:,} entities over six types",
          n_sent=count("wnut-train"), n_ent=wnut_train_entities()),
    Quote(L9, "the rarest in training ({n_cw} and {n_prod} entities)",
          n_cw=wnut_train_entities("creative-work"), n_prod=wnut_train_entities("product")),
    # section 3: windows
    Quote(L9, "the shipped model's {stride} gives, for the passage below, the windows ({a0}, {b0}) and ({a1}, {b1}), "
              "sharing {b0} − {a1} = {overlap} tokens",
          stride=json_value(SQUAD, "recipe", "stride"),
          a0=out(WINDOWS, r"\[\((\d+), \d+\)", int), b0=out(WINDOWS, r"\[\(\d+, (\d+)\)", int),
          a1=out(WINDOWS, r"\), \((\d+), \d+\)\]", int), b1=out(WINDOWS, r"\), \(\d+, (\d+)\)\]", int),
          overlap=derived("window 1's end - window 2's start (cell 8c535579)",
                          lambda: out(WINDOWS, r"\[\(\d+, (\d+)\)", int)() - out(WINDOWS, r"\), \((\d+), \d+\)\]", int)())),
    Quote(L9, "its 128 would start this passage's windows at 0, 128, 256, ..., each sharing {google_overlap} tokens",
          google_overlap=derived("first window's length - Google's doc_stride 128 (cell 8c535579)",
                                 lambda: out(WINDOWS, r"\[\(\d+, (\d+)\)", int)()
                                 - out(WINDOWS, r"\[\((\d+), \d+\)", int)() - 128)),
    # section 3: the numbers beside the paper's
    Quote(L9, "the shipped model trained the top {layers_squad} of MiniLM's 6 layers",
          layers_squad=json_value(SQUAD, "recipe", "train_layers")),
    Quote(L9, "| top 2 layers, 200 steps, windows of 160 tokens | {f1_a:.1f} |",
          f1_a=history("4d78d62", "validation", "validation_f1")),
    Quote(L9, "| top 4 layers, 2 epochs, windows of 160 tokens | {f1_b:.1f} |",
          f1_b=history("d1478d0", "validation", "validation_f1")),
    Quote(L9, "| top 4 layers, 3 epochs, windows of 160 tokens | {f1_c:.1f} |",
          f1_c=history("62eaef1", "validation", "validation_f1")),
    Quote(L9, "(shipped; after each epoch {e1:.1f}, {e2:.1f}, {e3:.1f}, {e4:.1f}) | {f1_d:.1f} |",
          e1=json_value(SQUAD, "evaluations", 0, "validation_f1"), e2=json_value(SQUAD, "evaluations", 1, "validation_f1"),
          e3=json_value(SQUAD, "evaluations", 2, "validation_f1"), e4=json_value(SQUAD, "evaluations", 3, "validation_f1"),
          f1_d=json_value(SQUAD, "validation", "validation_f1")),
    Quote(L9, "After its third epoch the shipped run already scored {e3:.1f} against the 3-epoch run's {f1_c:.1f}",
          e3=json_value(SQUAD, "evaluations", 2, "validation_f1"), f1_c=history("62eaef1", "validation", "validation_f1")),
    Quote(L9, "the shipped run's learning rate was still {lr_left:.0%} of its peak",
          lr_left=derived("minilm-squad evaluations[2].lr / recipe.lr", lambda: (lambda m: m["evaluations"][2]["lr"]
                          / m["recipe"]["lr"])(json.loads((ROOT / SQUAD).read_text())))),
    Quote(L9, "With 160-token windows {split160} of the {n_q:,} validation questions had their paragraph cut into several "
              "windows; with 384 tokens, {split384}.",
          split160=out(SPLITS, r"windows of 160 tokens \(overlap 64\): (\d+) of", int),
          n_q=out(SPLITS, r"windows of 160 tokens \(overlap 64\): \d+ of ([\d,]+)", int),
          split384=out(SPLITS, r"windows of 384 tokens \(overlap 128\): (\d+) of", int)),
    # the QA widget's questions
    Quote(L9, "close to the paragraph's own words, the model answers *{ans1}*.",
          ans1=text(PHRASINGS, r"most of the rainforest\? +-> '([^']*)'")),
    Quote(L9, "words the paragraph does not use, it answers *{ans2}*: a continent, not a country.",
          ans2=text(PHRASINGS, r"largest share of the rainforest\? +-> '([^']*)'")),
    Quote(L9, "it picks a span just after the number (*{ans3}*)",
          ans3=text(PHRASINGS, r"60% of the rainforest\? +-> '([^']*)'")),
    Quote(L9, "times that end, is {s4:.2f}; the wrong *{ans2}* got {s2:.2f} and the right *{ans1}* {s1:.2f}",
          s4=out(PHRASINGS, r"discovered the Amazon rainforest\? +-> '[^']*' \(score ([\d.]+)\)"),
          s2=out(PHRASINGS, r"largest share of the rainforest\? +-> '[^']*' \(score ([\d.]+)\)"),
          s1=out(PHRASINGS, r"most of the rainforest\? +-> '[^']*' \(score ([\d.]+)\)"),
          ans2=text(PHRASINGS, r"largest share of the rainforest\? +-> '([^']*)'"),
          ans1=text(PHRASINGS, r"most of the rainforest\? +-> '([^']*)'")),
    Quote(L9, "a linear probe on its frozen sentence embeddings already reaches {probe:.3f}", probe=nli("probe-uv")),
    # numbers the lesson already quoted
    Quote(L9, "a {mini_layers}-layer, {mini_width}-wide BERT ({params:.1f}M parameters",
          mini_layers=minilm_config("num_hidden_layers"), mini_width=minilm_config("hidden_size"),
          params=derived("MiniLM's parameters printed by cell 483cd1ab, in millions",
                         lambda: out("483cd1ab", r"of (\d+)", int)() / 1e6)),
    Quote(L9, "Here {n_live} pairs, {steps_live} steps, top {top_live} layers",
          n_live=code_value(L9, "483cd1ab", r"limit=(\d+)", convert=int), steps_live=loss_steps("483cd1ab"),
          top_live=code_value(L9, "483cd1ab", r"train_layers=(\d+)", convert=int)),
    Quote(L9, "{n_wnut_train:,} training sentences, {n_wnut_dev:,} dev sentences",
          n_wnut_train=count("wnut-train"), n_wnut_dev=count("wnut-validation")),
    Quote(L9, "aligned piece labels: {n_live_w} sentences, {steps_live_w} steps.",
          n_live_w=code_value(L9, "4a06c220", r"limit=(\d+)", convert=int), steps_live_w=loss_steps("4a06c220")),
    Quote(L9, "(a uniform guess over the {n_tags} tags)",
          n_tags=derived("len(WNUT_LABELS)", lambda: len(__import__("bertbook.task_datasets", fromlist=["x"]).WNUT_LABELS))),
    Quote(L9, "Most tags are `O` ({o_share:.0%} of the training words)", o_share=wnut_tags("share")),
    Quote(L9, "the training set's tag frequencies would already reach a loss of {prior_loss:.2f}.",
          prior_loss=wnut_tags("entropy")),
    Quote(L9, "The shipped `minilm-wnut17` trained on all {n_wnut_train:,} sentences.", n_wnut_train=count("wnut-train")),
    Quote(L9, "We have the {n_art}-article dev file, split **by article**: {n_art_tr} articles ({n_q_tr:,} questions) to "
              "train, {n_art_val} ({n_q_val:,} questions) to validate",
          n_art=squad_articles(), n_art_tr=squad_articles("train"), n_art_val=squad_articles("validation"),
          n_q_tr=count("squad-train"), n_q_val=count("squad-validation")),
    Quote(L9, "and at most {max_ans} tokens long",
          max_ans=derived("question_answering.MAX_ANSWER_TOKENS",
                          lambda: __import__("bertbook.question_answering", fromlist=["x"]).MAX_ANSWER_TOKENS)),
    Quote(L9, "`finetuning.train`: {n_live_q} questions, {steps_live_q} steps.",
          n_live_q=code_value(L9, "3ceb7158", r"limit=(\d+)", convert=int), steps_live_q=loss_steps("3ceb7158")),
    Quote(L9, "The shipped model reads windows of {win} tokens.", win=json_value(SQUAD, "recipe", "max_length")),
    Quote(L9, "Scoring all {n_art} validation articles means reading about {w:,} windows of up to {win} tokens: about a minute",
          n_art=derived("the validation articles, in words", lambda: {8: "eight"}.get(squad_articles("validation")(), "(not eight)")),
          win=json_value(SQUAD, "recipe", "max_length"), w=validation_windows()),
    Quote(L9, "from {n_q_tr:,} questions to match the question's", n_q_tr=count("squad-train")),
    Quote(L9, "with the same `finetuning.train` loop for {ep_tiny} epochs, with lesson 8's recipe for the tiny models "
              "(learning rate {lr_tiny:g}, batch {bs_tiny}).",
          ep_tiny=tiny_run("epochs"), lr_tiny=tiny_run("lr"), bs_tiny=tiny_run("batch_size")),
    Quote(L9, "Lesson 6's tiny architecture ({tiny_layers} layers, hidden {tiny_hidden}, our 8k tokenizer)",
          tiny_layers=json_value(TINY, "num_hidden_layers"), tiny_hidden=json_value(TINY, "hidden_size")),
    Quote(L9, "| top {l_a} layers, {steps_a} steps, windows of {len_a} tokens |",
          l_a=history("4d78d62", "recipe", "train_layers"), steps_a=history("4d78d62", "stopped_at_step"),
          len_a=history("4d78d62", "recipe", "max_length")),
    Quote(L9, "| top {l_b} layers, {ep_b} epochs, windows of {len_b} tokens |",
          l_b=history("d1478d0", "recipe", "train_layers"), ep_b=history("d1478d0", "recipe", "epochs"),
          len_b=history("d1478d0", "recipe", "max_length")),
    Quote(L9, "| top {l_c} layers, {ep_c} epochs, windows of {len_c} tokens |",
          l_c=history("62eaef1", "recipe", "train_layers"), ep_c=history("62eaef1", "recipe", "epochs"),
          len_c=history("62eaef1", "recipe", "max_length")),
    Quote(L9, "| top {l_d} layers, {ep_d} epochs, windows of {len_d} tokens (shipped;",
          l_d=json_value(SQUAD, "recipe", "train_layers"), ep_d=json_value(SQUAD, "recipe", "epochs"),
          len_d=json_value(SQUAD, "recipe", "max_length")),
    Quote(L9, "the window ({len_c} to {len_d} tokens), the overlap of neighbouring windows ({ov_c} to {ov_d})",
          len_c=history("62eaef1", "recipe", "max_length"), len_d=json_value(SQUAD, "recipe", "max_length"),
          ov_c=history("62eaef1", "recipe", "stride"), ov_d=json_value(SQUAD, "recipe", "stride")),
    # the NLI baselines (data/results/nli_baselines.json) beside the lesson's own numbers
    Quote(L9, "reaches {scratch:.3f} from random weights and {pre_tiny:.3f} from `bertbook-tiny`: close to what the "
              "hypothesis alone gives ({hyp:.3f}).",
          scratch=nli("scratch"), pre_tiny=nli("pretrained-tiny"), hyp=out("4c445799", r"-> ([\d.]+) \(spread")),
    Quote(L9, "It is a {tiny_m:.1f}M-parameter model against MiniLM's {params:.1f}M",
          tiny_m=derived("parameters of the tiny classifier (bertbook-tiny's config, 3 labels), in millions", _tiny_params),
          params=derived("MiniLM's parameters printed by cell 483cd1ab, in millions",
                         lambda: out("483cd1ab", r"of (\d+)", int)() / 1e6)),
    Quote(L9, "gives a logistic regression {probe_uv:.3f} from its sentence embeddings:",
          probe_uv=nli("probe-uv")),
    Quote(L9, "{probe_uv:.3f} from its sentence embeddings: more than half the way from the hypothesis-only baseline to the "
              "shipped {shipped:.3f}, which", probe_uv=nli("probe-uv"),
          shipped=json_value(SNLI, "validation", "validation_accuracy")),
    Quote(L9, "much of the {shipped:.3f} was in the checkpoint before our fine-tune began",
          shipped=json_value(SNLI, "validation", "validation_accuracy")),
    Quote(L9, "more than half the way{half} from the hypothesis-only baseline", half=derived(
          "(probe - hypothesis only) / (shipped - hypothesis only) > 0.5: 'more than half' stays true",
          lambda: "" if (nli("probe-uv")() - out("4c445799", r"-> ([\d.]+) \(spread")())
          / (json_value(SNLI, "validation", "validation_accuracy")() - out("4c445799", r"-> ([\d.]+) \(spread")()) > 0.5
          else "NO LONGER MORE THAN HALF")),
    # minilm-snli's README says the same (a section written by hand: a regenerated README loses it, and this fails)
    Quote(SNLI_README, "(AllNLI, {allnli:,} training tuples) and {flickr:,} Flickr30k caption pairs",
          allnli=card_lines("AllNLI.jsonl.gz"), flickr=card_lines("flickr30k_captions.jsonl.gz")),
    Quote(SNLI_README, "not what {n_train:,} pairs teach a fresh BERT", n_train=count("snli-train")),
    Quote(SNLI_README, "(u, v, |u-v|), reaches {probe_uv:.3f} ± {probe_uv_sd:.3f}; our tiny BERT fine-tuned on the same "
                       "pairs {scratch:.3f} ± {scratch_sd:.3f} from random weights and {pre_tiny:.3f} ± {pre_tiny_sd:.3f} "
                       "from bertbook-tiny.",
          probe_uv=nli("probe-uv"), probe_uv_sd=nli("probe-uv", "sd"), scratch=nli("scratch"),
          scratch_sd=nli("scratch", "sd"), pre_tiny=nli("pretrained-tiny"), pre_tiny_sd=nli("pretrained-tiny", "sd")),
]


def largest_seed_spread():
    """The largest spread between seeds (max - min dev accuracy) of any model, pooling and size in lesson 8's
    learning curve."""
    groups = {}
    for r in json.loads((ROOT / "data" / "results" / "learning_curve.json").read_text())["records"]:
        groups.setdefault((r["model"], r["pooling"], r["n_train"]), []).append(r["dev_accuracy"])
    return max(max(v) - min(v) for v in groups.values())


def every_run_in_bf16():
    runs = json.loads((ROOT / "data" / "results" / "squad_earlier_runs.json").read_text())["runs"]
    shipped = json.loads((ROOT / SQUAD).read_text())["recipe"]
    return "all four runs" if len(runs) == 3 and shipped["bf16"] and all(r["recipe"]["bf16"] for r in runs.values()) \
        else "(not all runs)"


QUOTES += [
    Quote(L9, "{who} used a bfloat16 forward\npass", who=derived("bf16 of the three earlier runs and the shipped one",
                                                                  every_run_in_bf16)),
    Quote(L9, "lesson 8 saw seeds move a model's accuracy by up to\n{d:.2f})",
          d=derived("data/results/learning_curve.json: the largest max - min over seeds", largest_seed_spread)),
    Quote(L9, "so {f1:.1f} is a\ndevelopment score", f1=json_value(SQUAD, "validation", "validation_f1")),
]


def seeds_per_setting():
    """How many seeds each NLI baseline setting ran: one number if all ran as many."""
    counts = {v["seeds"] if isinstance(v["seeds"], int) else len(v["seeds"])
              for v in json.loads((ROOT / NLI).read_text())["summary"].values()}
    return counts.pop() if len(counts) == 1 else "(the settings differ)"


QUOTES += [
    Quote(SNLI_README, "mean ± sd over {n} seeds each",
          n=derived("data/results/nli_baselines.json: seeds per setting", seeds_per_setting)),
]
