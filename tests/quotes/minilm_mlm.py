"""minilm-mlm's numbers in README.md and in its own README: the cloze scores by register (read from the
model cards, which `tests/test_lesson_7.py` checks against a live cloze run), the training time and
the held-out scores (read from the runs' metrics). Retraining the model fails these until the prose
follows."""
from prose_numbers import Quote, json_value

README = "README.md"
MODEL_README = "data/pretrained/minilm-mlm/README.md"
FOLDER = "data/pretrained/minilm-mlm/"
CARD = FOLDER + "card.json"                          # run 4, the shipped weights
RUN3_CARD = FOLDER + "card_content_words.json"       # run 3: the first with blanks on content words
RUN2_CARD = FOLDER + "card_everyday_bert_masks.json"  # run 2: everyday English, BERT's blanks
BEFORE = FOLDER + "card_novels_only.json"             # run 1: the novels only
TINY = "data/pretrained/bertbook-tiny/card.json"
METRICS = FOLDER + "metrics.json"
RUN2 = FOLDER + "everyday_run.json"
RUN3 = FOLDER + "content_run.json"


def total(key, *paths):
    return lambda: sum(json_value(path, key)() for path in paths)


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
    Quote(README, "The version before, after its first\n{s:,} steps on content words, got {e1} of {en} and {n1} of {nn} "
                  "right first", s=json_value(RUN3, "steps"), e1=cloze(RUN3_CARD, "everyday", "top1"),
          en=cloze(RUN3_CARD, "everyday", "n"), n1=cloze(RUN3_CARD, "novels", "top1"), nn=cloze(RUN3_CARD, "novels", "n")),
    Quote(README, "own choice of blanks, {e1} of {en} and {n1} of {nn};",
          e1=cloze(RUN2_CARD, "everyday", "top1"), en=cloze(RUN2_CARD, "everyday", "n"),
          n1=cloze(RUN2_CARD, "novels", "top1"), nn=cloze(RUN2_CARD, "novels", "n")),
    Quote(README, "the novels only, got {e1} of {en} and {n1} of {nn}.",
          e1=cloze(BEFORE, "everyday", "top1"), en=cloze(BEFORE, "everyday", "n"), n1=cloze(BEFORE, "novels", "top1"),
          nn=cloze(BEFORE, "novels", "n")),
    Quote(README, "Our tiny model pretrained from scratch gets {e1} of {en} and\n{n1} of {nn} right first",
          e1=cloze(TINY, "everyday", "top1"), en=cloze(TINY, "everyday", "n"), n1=cloze(TINY, "novels", "top1"),
          nn=cloze(TINY, "novels", "n")),
    Quote(README, "the last\n{steps:,} steps with most blanks on content words", steps=total("steps", RUN3, METRICS)),
    Quote(README, "--everyday-share {share} --content-words {cw}`, {h:.1f} h on a shared 2-core CPU in three runs",
          share=json_value(METRICS, "everyday_share"), cw=json_value(METRICS, "content_words"),
          h=lambda: total("wall_clock_s", RUN2, RUN3, METRICS)() / 3600),
    Quote(MODEL_README, "Wall-clock **{h:.1f} h** of training loop and\n   **{c:.1f} h of CPU time**, at about {r:.1f} of the "
                        "2 cores", h=hours(RUN3, "wall_clock_s"), c=hours(RUN3, "cpu_s"),
          r=lambda: json_value(RUN3, "cpu_s")() / json_value(RUN3, "wall_clock_s")()),
    Quote(MODEL_README, "Wall-clock\n   **{h:.1f} h** of training loop and **{c:.1f} h of CPU time**, at about\n   {r:.1f} of "
                        "the 2 cores", h=hours(METRICS, "wall_clock_s"), c=hours(METRICS, "cpu_s"),
          r=lambda: json_value(METRICS, "cpu_s")() / json_value(METRICS, "wall_clock_s")()),
    Quote(MODEL_README, "`--seed {seed}`", seed=json_value(METRICS, "seed")),
    Quote(MODEL_README, "whole-word masking, {s:,} steps; {h:.1f} h of\n   training loop and {c:.1f} h of CPU time recorded",
          s=json_value(RUN2, "steps"), h=hours(RUN2, "wall_clock_s"), c=hours(RUN2, "cpu_s")),
    card_row("these weights (run 4)", CARD),
    card_row("run 3 (content words)", RUN3_CARD),
    card_row("run 2 (BERT's blanks)", RUN2_CARD),
    card_row("run 1 (novels only)", BEFORE),
    card_row("our tiny BERT (`bertbook-tiny`)", TINY),
    *[Quote(MODEL_README, "| {step:,} | {n1:.3f} | {n5:.3f} | {nc1:.3f} | {nc5:.3f} | {e1:.3f} | {e5:.3f} | {ec1:.3f} | {ec5:.3f} |",
            step=json_value(path, "history", -1, "step"),
            n1=last("novels", "mask_accuracy", path), n5=last("novels", "mask_top5", path),
            nc1=last("novels_content", "mask_accuracy", path), nc5=last("novels_content", "mask_top5", path),
            e1=last("everyday", "mask_accuracy", path), e5=last("everyday", "mask_top5", path),
            ec1=last("everyday_content", "mask_accuracy", path), ec5=last("everyday_content", "mask_top5", path))
      for path in (METRICS, RUN3)],
    Quote(MODEL_README, "| {step:,} | {nl:.2f} | {n1:.3f} | {n5:.3f} | {el:.2f} | {e1:.3f} | {e5:.3f} |",
          step=json_value(RUN2, "history", -1, "step"),
          nl=last("novels", "mlm_loss", RUN2), n1=last("novels", "mask_accuracy", RUN2),
          n5=last("novels", "mask_top5", RUN2), el=last("everyday", "mlm_loss", RUN2),
          e1=last("everyday", "mask_accuracy", RUN2), e5=last("everyday", "mask_top5", RUN2)),
    Quote(MODEL_README, "held-out top-1 at `[MASK]` was {e:.3f} on\neveryday text with BERT's blanks, but {ec:.3f} when every "
                        "blank is a content word\n(novels: {n:.3f} and {nc:.3f})",
          e=json_value(RUN3, "history", 0, "everyday", "mask_accuracy"),
          ec=json_value(RUN3, "history", 0, "everyday_content", "mask_accuracy"),
          n=json_value(RUN3, "history", 0, "novels", "mask_accuracy"),
          nc=json_value(RUN3, "history", 0, "novels_content", "mask_accuracy")),
    Quote(MODEL_README, "(run 3: step {s3:,} of\n  {n3:,}; run 4, shipped: step {s4:,} of {n4:,})",
          s3=json_value(RUN3, "best_step"), n3=json_value(RUN3, "steps"), s4=json_value(METRICS, "best_step"),
          n4=json_value(METRICS, "steps")),
    Quote(MODEL_README, "In run 3, with BERT's blanks the novels lost {a:.3f} of top-1 and everyday text\ngained {b:.3f}",
          a=lambda: json_value(RUN3, "history", 0, "novels", "mask_accuracy")() - last("novels", "mask_accuracy", RUN3)(),
          b=lambda: last("everyday", "mask_accuracy", RUN3)() - json_value(RUN3, "history", 0, "everyday", "mask_accuracy")()),
    Quote(MODEL_README, "Run 4 moved content-word top-1 from {ec0:.3f} to {ec:.3f} on everyday text and from\n{nc0:.3f} to {nc:.3f} "
                        "on the novels; with BERT's blanks, everyday {e0:.3f} to {e:.3f} and novels\n{n0:.3f} to {n:.3f}.",
          ec0=json_value(METRICS, "history", 0, "everyday_content", "mask_accuracy"), ec=last("everyday_content", "mask_accuracy"),
          nc0=json_value(METRICS, "history", 0, "novels_content", "mask_accuracy"), nc=last("novels_content", "mask_accuracy"),
          e0=json_value(METRICS, "history", 0, "everyday", "mask_accuracy"), e=last("everyday", "mask_accuracy"),
          n0=json_value(METRICS, "history", 0, "novels", "mask_accuracy"), n=last("novels", "mask_accuracy")),
    Quote(MODEL_README, "(run 2's last\n  1,000 steps moved everyday top-1 with BERT's blanks by only {d:.3f})",
          d=lambda: last("everyday", "mask_accuracy", RUN2)() - json_value(RUN2, "history", -5, "everyday", "mask_accuracy")()),
    Quote(MODEL_README, "Runs 2 to 4 read {n:,} sentences",
          n=lambda: total("steps", RUN2, RUN3, METRICS)() * json_value(METRICS, "batch_size")()),
]
