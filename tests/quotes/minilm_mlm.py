"""minilm-mlm's numbers in README.md and in its own README: the cloze scores by register (read from the
model cards, which `tests/test_lesson_7.py` checks against a live cloze run), the training time and
the held-out scores (read from the run's metrics.json). Retraining the model fails these until the
prose follows."""
from prose_numbers import Quote, json_value

README = "README.md"
MODEL_README = "data/pretrained/minilm-mlm/README.md"
CARD = "data/pretrained/minilm-mlm/card.json"
BEFORE = "data/pretrained/minilm-mlm/card_novels_only.json"
TINY = "data/pretrained/bertbook-tiny/card.json"
METRICS = "data/pretrained/minilm-mlm/metrics.json"


def cloze(path, register, key):
    return json_value(path, "cloze", register, key)


def hours(key):
    return lambda: json_value(METRICS, key)() / 3600


QUOTES = [
    Quote(README, "answers the right word first for **{e1} of {en}** everyday sentences and **{n1} of {nn}** "
                  "novel-style ones, and has an acceptable word in its top 5 for **{e5} of {en}** and **{n5} of {nn}**",
          e1=cloze(CARD, "everyday", "top1"), en=cloze(CARD, "everyday", "n"), n1=cloze(CARD, "novels", "top1"),
          nn=cloze(CARD, "novels", "n"), e5=cloze(CARD, "everyday", "top5"), n5=cloze(CARD, "novels", "top5")),
    Quote(README, "the novels only, got {e1} of {en} and {n1} of {nn} right first",
          e1=cloze(BEFORE, "everyday", "top1"), en=cloze(BEFORE, "everyday", "n"), n1=cloze(BEFORE, "novels", "top1"),
          nn=cloze(BEFORE, "novels", "n")),
    Quote(README, "Our tiny model pretrained from scratch gets {e1} of {en} and {n1} of {nn} right first",
          e1=cloze(TINY, "everyday", "top1"), en=cloze(TINY, "everyday", "n"), n1=cloze(TINY, "novels", "top1"),
          nn=cloze(TINY, "novels", "n")),
    Quote(README, "--everyday-share {share}`, {h:.1f} h on a shared 2-core CPU",
          share=json_value(METRICS, "everyday_share"), h=hours("wall_clock_s")),
    Quote(MODEL_README, "Wall-clock **{h:.1f} h** of training loop", h=hours("wall_clock_s")),
    Quote(MODEL_README, "**{h:.1f} h of CPU time** in sessions 2 and 3", h=hours("cpu_s")),
    Quote(MODEL_README, "| these weights | {e1} of {en} | {e5} of {en} | {n1} of {nn} | {n5} of {nn} |",
          e1=cloze(CARD, "everyday", "top1"), e5=cloze(CARD, "everyday", "top5"), en=cloze(CARD, "everyday", "n"),
          n1=cloze(CARD, "novels", "top1"), n5=cloze(CARD, "novels", "top5"), nn=cloze(CARD, "novels", "n")),
    Quote(MODEL_README, "| the previous weights (novels only) | {e1} of {en} | {e5} of {en} | {n1} of {nn} | {n5} of {nn} |",
          e1=cloze(BEFORE, "everyday", "top1"), e5=cloze(BEFORE, "everyday", "top5"), en=cloze(BEFORE, "everyday", "n"),
          n1=cloze(BEFORE, "novels", "top1"), n5=cloze(BEFORE, "novels", "top5"), nn=cloze(BEFORE, "novels", "n")),
    Quote(MODEL_README, "| {step:,} | {nl:.2f} | {n1:.3f} | {n5:.3f} | {el:.2f} | {e1:.3f} | {e5:.3f} |",
          step=json_value(METRICS, "history", -1, "step"),
          nl=json_value(METRICS, "history", -1, "novels", "mlm_loss"),
          n1=json_value(METRICS, "history", -1, "novels", "mask_accuracy"),
          n5=json_value(METRICS, "history", -1, "novels", "mask_top5"),
          el=json_value(METRICS, "history", -1, "everyday", "mlm_loss"),
          e1=json_value(METRICS, "history", -1, "everyday", "mask_accuracy"),
          e5=json_value(METRICS, "history", -1, "everyday", "mask_top5")),
    Quote(MODEL_README, "shipped (step {s})", s=json_value(METRICS, "best_step")),
]
