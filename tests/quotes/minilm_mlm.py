"""minilm-mlm's numbers in README.md and in its own README: the cloze scores by register (read from the
model cards, which `tests/test_lesson_7.py` checks against a live cloze run), the training time and
the held-out scores (read from the runs' metrics). Retraining the model fails these until the prose
follows."""
from prose_numbers import Quote, json_value

README = "README.md"
MODEL_README = "data/pretrained/minilm-mlm/README.md"
FOLDER = "data/pretrained/minilm-mlm/"
CARD = FOLDER + "card.json"                          # run 3, the shipped weights
RUN2_CARD = FOLDER + "card_everyday_bert_masks.json"  # run 2: everyday English, BERT's blanks
BEFORE = FOLDER + "card_novels_only.json"             # run 1: the novels only
TINY = "data/pretrained/bertbook-tiny/card.json"
METRICS = FOLDER + "metrics.json"
RUN2 = FOLDER + "everyday_run.json"


def cloze(path, register, key):
    return json_value(path, "cloze", register, key)


def hours(path, key):
    return lambda: json_value(path, key)() / 3600


def last(register, key, path=METRICS):
    return json_value(path, "history", -1, register, key)


def card_row(label, path):
    return Quote(MODEL_README, f"| {label} | {{e1}} of {{en}} | {{e5}} of {{en}} | {{n1}} of {{nn}} | {{n5}} of {{nn}} |",
                 e1=cloze(path, "everyday", "top1"), e5=cloze(path, "everyday", "top5"), en=cloze(path, "everyday", "n"),
                 n1=cloze(path, "novels", "top1"), n5=cloze(path, "novels", "top5"), nn=cloze(path, "novels", "n"))


QUOTES = [
    Quote(README, "answers the right word first for **{e1} of {en}** everyday sentences and **{n1} of {nn}** "
                  "novel-style ones, and has an acceptable word in its top 5 for **{e5} of {en}** and **{n5} of {nn}**",
          e1=cloze(CARD, "everyday", "top1"), en=cloze(CARD, "everyday", "n"), n1=cloze(CARD, "novels", "top1"),
          nn=cloze(CARD, "novels", "n"), e5=cloze(CARD, "everyday", "top5"), n5=cloze(CARD, "novels", "top5")),
    Quote(README, "own choice of blanks, got {e1} of {en} and {n1} of {nn} right first",
          e1=cloze(RUN2_CARD, "everyday", "top1"), en=cloze(RUN2_CARD, "everyday", "n"),
          n1=cloze(RUN2_CARD, "novels", "top1"), nn=cloze(RUN2_CARD, "novels", "n")),
    Quote(README, "the novels only, got {e1} of {en} and {n1} of {nn}.",
          e1=cloze(BEFORE, "everyday", "top1"), en=cloze(BEFORE, "everyday", "n"), n1=cloze(BEFORE, "novels", "top1"),
          nn=cloze(BEFORE, "novels", "n")),
    Quote(README, "Our tiny model pretrained from scratch gets {e1} of {en} and\n{n1} of {nn} right first",
          e1=cloze(TINY, "everyday", "top1"), en=cloze(TINY, "everyday", "n"), n1=cloze(TINY, "novels", "top1"),
          nn=cloze(TINY, "novels", "n")),
    Quote(README, "the last\n{steps:,} steps with most blanks on content words", steps=json_value(METRICS, "steps")),
    Quote(README, "--everyday-share {share} --content-words {cw}`, {h:.1f} h on a shared 2-core CPU in two runs",
          share=json_value(METRICS, "everyday_share"), cw=json_value(METRICS, "content_words"),
          h=lambda: (json_value(METRICS, "wall_clock_s")() + json_value(RUN2, "wall_clock_s")()) / 3600),
    Quote(MODEL_README, "Wall-clock **{h:.1f} h** of training loop", h=hours(METRICS, "wall_clock_s")),
    Quote(MODEL_README, "**{h:.1f} h of CPU time**, at about {c:.1f} of the 2 cores", h=hours(METRICS, "cpu_s"),
          c=lambda: json_value(METRICS, "cpu_s")() / json_value(METRICS, "wall_clock_s")()),
    Quote(MODEL_README, "whole-word masking, {s:,} steps; {h:.1f} h of\n   training loop and {c:.1f} h of CPU time recorded",
          s=json_value(RUN2, "steps"), h=hours(RUN2, "wall_clock_s"), c=hours(RUN2, "cpu_s")),
    card_row("these weights (run 3)", CARD),
    card_row("run 2 (BERT's blanks)", RUN2_CARD),
    card_row("run 1 (novels only)", BEFORE),
    card_row("our tiny BERT (`bertbook-tiny`)", TINY),
    Quote(MODEL_README, "| {step:,} | {n1:.3f} | {n5:.3f} | {nc1:.3f} | {nc5:.3f} | {e1:.3f} | {e5:.3f} | {ec1:.3f} | {ec5:.3f} |",
          step=json_value(METRICS, "history", -1, "step"),
          n1=last("novels", "mask_accuracy"), n5=last("novels", "mask_top5"),
          nc1=last("novels_content", "mask_accuracy"), nc5=last("novels_content", "mask_top5"),
          e1=last("everyday", "mask_accuracy"), e5=last("everyday", "mask_top5"),
          ec1=last("everyday_content", "mask_accuracy"), ec5=last("everyday_content", "mask_top5")),
    Quote(MODEL_README, "| {step:,} | {nl:.2f} | {n1:.3f} | {n5:.3f} | {el:.2f} | {e1:.3f} | {e5:.3f} |",
          step=json_value(RUN2, "history", -1, "step"),
          nl=last("novels", "mlm_loss", RUN2), n1=last("novels", "mask_accuracy", RUN2),
          n5=last("novels", "mask_top5", RUN2), el=last("everyday", "mlm_loss", RUN2),
          e1=last("everyday", "mask_accuracy", RUN2), e5=last("everyday", "mask_top5", RUN2)),
    Quote(MODEL_README, "held-out top-1 at `[MASK]` was {e:.3f} on\neveryday text with BERT's blanks, but {ec:.3f} when every "
                        "blank is a content word\n(novels: {n:.3f} and {nc:.3f})",
          e=json_value(METRICS, "history", 0, "everyday", "mask_accuracy"),
          ec=json_value(METRICS, "history", 0, "everyday_content", "mask_accuracy"),
          n=json_value(METRICS, "history", 0, "novels", "mask_accuracy"),
          nc=json_value(METRICS, "history", 0, "novels_content", "mask_accuracy")),
    Quote(MODEL_README, "shipped (step {s:,})", s=json_value(METRICS, "best_step")),
    Quote(MODEL_README, "With BERT's blanks the novels lost {a:.3f} of top-1 and everyday text\ngained {b:.3f}",
          a=lambda: json_value(METRICS, "history", 0, "novels", "mask_accuracy")() - last("novels", "mask_accuracy")(),
          b=lambda: last("everyday", "mask_accuracy")() - json_value(METRICS, "history", 0, "everyday", "mask_accuracy")()),
    Quote(MODEL_README, "(run 2's last\n  1,000 steps moved everyday top-1 with BERT's blanks by only {d:.3f})",
          d=lambda: last("everyday", "mask_accuracy", RUN2)() - json_value(RUN2, "history", -5, "everyday", "mask_accuracy")()),
    Quote(MODEL_README, "Runs 2 and 3 read {n:,} sentences",
          n=lambda: (json_value(RUN2, "steps")() + json_value(METRICS, "steps")()) * json_value(METRICS, "batch_size")()),
]
