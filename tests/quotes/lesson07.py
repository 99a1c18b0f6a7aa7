"""Lesson 7's quoted numbers, each read from the saved output it comes from (or the model's
metrics.json and cards), so that retraining minilm-mlm fails the suite until the prose follows."""
import re

from prose_numbers import Quote, json_value, output_value
from quotes._minilm_runs import (BEFORE, CARD, METRICS, RUN2, RUN2_CARD, RUN3, RUN3_CARD, RUN4, RUN4_CARD, RUN5,
                                 RUN5_CARD, RUN7, RUN7_CARD, RUN8, RUN8_CARD, RUN9, RUN9_CARD, RUN10, RUN10_CARD, cloze,
                                 hours, kept,
                                 passed_start, same, sentences_read, sgd_held_out, source_share, start_and_kept)

L7 = "notebooks/07_exploring_bert.ipynb"


def out(cell, pattern, **kw):
    return output_value(L7, cell, pattern, **kw)


def hist(step_index, register, key, path=METRICS):
    return json_value(path, "history", step_index, register, key)


ATTENTION_DROP = out("9c4a3e87", r"attention \(last layer, heads averaged\)\s+([\d.]+)")   # drop when its top word is hidden
RANDOM_DROP = out("9c4a3e87", r"random word\s+([\d.]+)")


def wide_spreads():
    """The sds of the agreement table above 1: all methods but rollout (and the random floor)."""
    text = out("9c4a3e87", r"(?s)(.*)", convert=str)()
    return [x for x in map(float, re.findall(r"± ([\d.]+)", text)) if x > 1]


QUOTES = [
    Quote(L7, "a punctuation mark with probability\n{cw} when it chooses the blanks", cw=json_value(METRICS, "content_words")),
    Quote(L7, "had held-out top-1 {e:.3f} on everyday text with BERT's blanks, but {ec:.3f} when every blank is a content\n"
              "word ({n:.3f} and {nc:.3f} on the novels)",
          e=hist(0, "everyday", "mask_accuracy", RUN3), ec=hist(0, "everyday_content", "mask_accuracy", RUN3),
          n=hist(0, "novels", "mask_accuracy", RUN3), nc=hist(0, "novels_content", "mask_accuracy", RUN3)),
    Quote(L7, "In\n{steps:,} steps of the third run, top-1 on content words rose to {ec:.3f} on everyday text and\n"
              "{nc:.3f} on the novels; with BERT's blanks everyday text rose too (to {e:.3f}) and the novels fell a\n"
              "little (to {n:.3f})", steps=json_value(RUN3, "steps"),
          ec=hist(-1, "everyday_content", "mask_accuracy", RUN3), nc=hist(-1, "novels_content", "mask_accuracy", RUN3),
          e=hist(-1, "everyday", "mask_accuracy", RUN3), n=hist(-1, "novels", "mask_accuracy", RUN3)),
    Quote(L7, "the\nrule and {steps:,} more steps", steps=json_value(RUN3, "steps")),
    Quote(L7, "(content words on everyday\ntext: {a:.3f} at its start, {b:.3f} after 500 steps); the score was nearly back by "
              "step 2,000 ({c:.3f})", a=hist(0, "everyday_content", "mask_accuracy", RUN4),
          b=hist(1, "everyday_content", "mask_accuracy", RUN4), c=hist(4, "everyday_content", "mask_accuracy", RUN4)),
    Quote(L7, "content-word top-1 {ec:.3f} on everyday text and {nc:.3f} on the novels, and {e:.3f} and {n:.3f} with BERT's\n"
              "blanks", ec=hist(-1, "everyday_content", "mask_accuracy", RUN4), nc=hist(-1, "novels_content", "mask_accuracy", RUN4),
          e=hist(-1, "everyday", "mask_accuracy", RUN4), n=hist(-1, "novels", "mask_accuracy", RUN4)),
    Quote(L7, "It did not quite ({a:.3f} at its start, {b:.3f} after 500 steps)",
          a=hist(0, "everyday_content", "mask_accuracy", RUN5), b=hist(1, "everyday_content", "mask_accuracy", RUN5)),
    Quote(L7, "at step {s:,}, the weights it kept, content-word top-1 {ec:.3f} on everyday text\nand {nc:.3f} on the novels, "
              "and {e:.3f} and {n:.3f} with BERT's blanks", s=json_value(RUN5, "best_step"),
          ec=kept("everyday_content", "mask_accuracy", RUN5), nc=kept("novels_content", "mask_accuracy", RUN5),
          e=kept("everyday", "mask_accuracy", RUN5), n=kept("novels", "mask_accuracy", RUN5)),
    Quote(L7, "a sixth, the\nshipped one, from the fifth with {share:.0%} of each batch everyday English",
          share=json_value(METRICS, "everyday_share")),
    Quote(L7, "went on from the fifth's weights at the same rate with {share:.0%} of each\nbatch everyday English instead of "
              "{before:.0%}", share=json_value(METRICS, "everyday_share"), before=json_value(RUN5, "everyday_share")),
    Quote(L7, "The warm-up dip came again ({a:.3f} at its start, {b:.3f} after 500 steps), the mean of the four columns\n"
              "passed its start only at step {up:,}, and the weights it kept, step {s:,}, are only a little above\n"
              "where it started: content-word top-1 {ec:.3f} on everyday text, while the novels' content words went\n"
              "down, from {nc0:.3f} to {nc:.3f} (it read fewer book sentences per batch); with BERT's blanks {e:.3f} and {n:.3f}.",
          a=hist(0, "everyday_content", "mask_accuracy"), b=hist(1, "everyday_content", "mask_accuracy"),
          up=passed_start(), s=json_value(METRICS, "best_step"), ec=kept("everyday_content", "mask_accuracy"),
          nc0=hist(0, "novels_content", "mask_accuracy"), nc=kept("novels_content", "mask_accuracy"),
          e=kept("everyday", "mask_accuracy"), n=kept("novels", "mask_accuracy")),
    Quote(L7, "The fifth run, with {share:.0%} everyday batches and\n{f5:,} steps fewer, managed {a1} and {a5}; the fourth, at "
              "twice the peak learning rate and {f4:,} steps\nfewer, {e1} and {e5}; the third, {f3:,} steps fewer, {t1} and {t5};",
          share=json_value(RUN5, "everyday_share"), f5=json_value(METRICS, "steps"),
          a1=cloze(RUN5_CARD, "everyday", "top1"), a5=cloze(RUN5_CARD, "everyday", "top5"),
          f4=lambda: json_value(METRICS, "steps")() + json_value(RUN5, "steps")(),
          e1=cloze(RUN4_CARD, "everyday", "top1"), e5=cloze(RUN4_CARD, "everyday", "top5"),
          f3=lambda: json_value(METRICS, "steps")() + json_value(RUN5, "steps")() + json_value(RUN4, "steps")(),
          t1=cloze(RUN3_CARD, "everyday", "top1"), t5=cloze(RUN3_CARD, "everyday", "top5")),
    Quote(L7, "has {n1} right first and {n5} in the top 5, as the fifth run\nhad, against {a} and {b} for the fourth run, {c} and "
              "{d} for the third",
          n1=same(cloze(CARD, "novels", "top1"), cloze(RUN5_CARD, "novels", "top1")),
          n5=same(cloze(CARD, "novels", "top5"), cloze(RUN5_CARD, "novels", "top5")),
          a=cloze(RUN4_CARD, "novels", "top1"), b=cloze(RUN4_CARD, "novels", "top5"),
          c=cloze(RUN3_CARD, "novels", "top1"), d=cloze(RUN3_CARD, "novels", "top5")),
    Quote(L7, "rose from {a:.3f} to {b:.3f} in the third run, from {c:.3f} to {d:.3f} in the fourth and from\n"
              "{e:.3f} to {f:.3f} in the fifth, and went from {g:.3f} to {h:.3f} in the sixth)",
          a=hist(0, "novels_content", "mask_accuracy", RUN3), b=hist(-1, "novels_content", "mask_accuracy", RUN3),
          c=hist(0, "novels_content", "mask_accuracy", RUN4), d=hist(-1, "novels_content", "mask_accuracy", RUN4),
          e=hist(0, "novels_content", "mask_accuracy", RUN5), f=kept("novels_content", "mask_accuracy", RUN5),
          g=hist(0, "novels_content", "mask_accuracy"), h=kept("novels_content", "mask_accuracy")),
    Quote(L7, "everyday English for {share:.0%} of its batches ({last:.0%} in the last run)",
          share=json_value(RUN5, "everyday_share"), last=json_value(METRICS, "everyday_share")),
    Quote(L7, "last 1,000 steps had moved everyday top-1 by\n{d:.3f})",
          d=lambda: json_value(RUN2, "history", -1, "everyday", "mask_accuracy")()
          - json_value(RUN2, "history", -5, "everyday", "mask_accuracy")()),
    Quote(L7, "the {h2:.1f}, {h3:.1f}, {h4:.1f}, {h5:.1f} and {h6:.1f} hours the last five runs took", h2=hours(RUN2),
          h3=hours(RUN3), h4=hours(RUN4), h5=hours(RUN5), h6=hours(METRICS)),
    Quote(L7, "for {h:.1f} hours on a shared\n2-core CPU in the last five runs, on {n:,} sentences",
          h=lambda: hours(RUN2)() + hours(RUN3)() + hours(RUN4)() + hours(RUN5)() + hours(METRICS)(), n=sentences_read),
    Quote(L7, "Scale still\nmatters**: {n:,} sentences on a CPU",
          n=sentences_read),
    Quote(L7, "gets `paris` ({p:.2f}) first", p=out("60ea56b2", r"paris (\d\.\d\d)")),
    Quote(L7, "`dog` comes first for the first gap ({p:.2f})", p=out("fa02c6a0", r"^dog (\d\.\d\d)")),
    Quote(L7, "has the right word\nfirst for {e1} and an acceptable word in its top 5 for {e5}",
          e1=cloze(CARD, "everyday", "top1"), e5=cloze(CARD, "everyday", "top5")),
    Quote(L7, "with BERT's blanks, {r1} and {r5};\nand the first, novels-only version {b1} and {b5}. On the {nn}\n"
              "novel-style sentences the shipped version has {n1} right first and {n5} in the top 5",
          r1=cloze(RUN2_CARD, "everyday", "top1"), r5=cloze(RUN2_CARD, "everyday", "top5"),
          b1=cloze(BEFORE, "everyday", "top1"), b5=cloze(BEFORE, "everyday", "top5"), nn=cloze(CARD, "novels", "n"),
          n1=cloze(CARD, "novels", "top1"), n5=cloze(CARD, "novels", "top5")),
    Quote(L7, "for the third and {o1} and {o5} for the second", o1=cloze(RUN2_CARD, "novels", "top1"),
          o5=cloze(RUN2_CARD, "novels", "top5")),
    Quote(L7, "right first {e1} of {en}, top 5 {e5} of {en}; the\n  novels-only version: {b1} and {b5}",
          e1=cloze(CARD, "everyday", "top1"), e5=cloze(CARD, "everyday", "top5"), en=cloze(CARD, "everyday", "n"),
          b1=cloze(BEFORE, "everyday", "top1"), b5=cloze(BEFORE, "everyday", "top5")),
    Quote(L7, "is\nrank {e} after the embeddings and already rank {a} after layer 1, then falls back ({c} after layer 3,\n"
              "{d} after layer 4, {f} after layer 5)", e=out("141a9e5a", r"embeddings\s+\S+\s+(\d+)", convert=int),
          a=out("141a9e5a", r"layer 1\s+\S+\s+(\d+)", convert=int), c=out("141a9e5a", r"layer 3\s+\S+\s+(\d+)", convert=int),
          d=out("141a9e5a", r"layer 4\s+\S+\s+(\d+)", convert=int), f=out("141a9e5a", r"layer 5\s+\S+\s+(\d+)", convert=int)),
    Quote(L7, "median\nrank of {e} (at reading 0", e=out("452668d5", r"median rank of the answer\s+(\d+)", convert=int)),
    Quote(L7, "median rank of {a} after layer 1, {c} after layer 3, {d} after layer 4 and {e} after layer 5",
          a=out("452668d5", r"median rank of the answer\s+\d+\s+(\d+)", convert=int),
          c=out("452668d5", r"median rank of the answer(?:\s+\d+){3}\s+(\d+)", convert=int),
          d=out("452668d5", r"median rank of the answer(?:\s+\d+){4}\s+(\d+)", convert=int),
          e=out("452668d5", r"median rank of the answer(?:\s+\d+){5}\s+(\d+)", convert=int)),
    Quote(L7, "already the top word after layer 5 for {k} of the {n} sentences (after layers 2, 3 and 4 for {a}, {b} and {c}",
          k=out("452668d5", r"answer already top-1(?:\s+\d+){5}\s+(\d+)", convert=int),
          n=out("452668d5", r"of (\d+)", convert=int),
          a=out("452668d5", r"answer already top-1(?:\s+\d+){2}\s+(\d+)", convert=int),
          b=out("452668d5", r"answer already top-1(?:\s+\d+){3}\s+(\d+)", convert=int),
          c=out("452668d5", r"answer already top-1(?:\s+\d+){4}\s+(\d+)", convert=int)),
    Quote(L7, "probability stays small ({p:.3f} at the top)",
          p=out("452668d5", r"mean probability(?:\s+[\d.]+){6}\s+([\d.]+)")),
    Quote(L7, "puts its largest share, {a:.2f}, on", a=out("b70ced6d", r"last-layer attention (\d\.\d\d)")),
    Quote(L7, "puts {a:.2f} on `[CLS]` and spreads the rest thinly", a=out("b70ced6d", r"rollout (\d\.\d\d)")),
    Quote(L7, "hiding *lit*\nlowers log p(`fire`) by {a:.2f}, more than any other word (*the*: {b:.2f})",
          a=out("b70ced6d", r" lit (-?\d\.\d\d)"), b=out("b70ced6d", r" the (-?\d\.\d\d)")),
    Quote(L7, "here are all {n} cloze sentences", n=out("9c4a3e87", r"\((\d+) sentences", convert=int)),
    Quote(L7, "(sd {lo:.1f} to {hi:.1f} for most methods)", lo=lambda: min(wide_spreads()), hi=lambda: max(wide_spreads())),
    Quote(L7, "sd over the {n} sentences", n=out("9c4a3e87", r"\((\d+) sentences", convert=int)),
    Quote(L7, "distilled model on {n} short sentences", n=out("9c4a3e87", r"\((\d+) sentences", convert=int)),
    Quote(L7, "Integrated gradients' top word costs the answer {a:.2f} on average, closest to the best single\nword "
              "(occlusion's own top word, the ceiling, {c:.2f}), and is that word in {s:.0%} of the sentences",
          a=out("9c4a3e87", r"integrated gradients\s+([\d.]+)"), c=out("9c4a3e87", r"\nocclusion\s+([\d.]+)"),
          s=out("9c4a3e87", r"integrated gradients\s+[\d.]+ ± [\d.]+\s+([\d.]+)")),
    Quote(L7, "Last-layer attention's top word costs {a:.2f}, {x:.1f} times a random word's {r:.2f}, and is occlusion's top\n"
              "word in {s:.0%}; rollout's top word costs less than a random word ({o:.2f}); plain gradient × input ({g:.2f})",
          a=ATTENTION_DROP, r=RANDOM_DROP,
          s=out("9c4a3e87", r"attention \(last layer, heads averaged\)\s+[\d.]+ ± [\d.]+\s+([\d.]+)"),
          x=lambda: ATTENTION_DROP() / RANDOM_DROP(),
          o=out("9c4a3e87", r"attention rollout\s+([\d.]+)"), g=out("9c4a3e87", r"gradient x input\s+([\d.]+)")),
    Quote(L7, "A seventh run, the sixth's settings for {s:,} more steps from its weights, raised {which} of the\nheld-out scores "
              "again, and yet did worse on the everyday cloze sentences below ({a1} and {a5} of {n}\nagainst the shipped weights' "
              "{b1} and {b5})", s=json_value(RUN7, "steps"), which=lambda: _raised(RUN7),
          a1=cloze(RUN7_CARD, "everyday", "top1"), a5=cloze(RUN7_CARD, "everyday", "top5"), n=cloze(RUN7_CARD, "everyday", "n"),
          b1=cloze(CARD, "everyday", "top1"), b5=cloze(CARD, "everyday", "top5")),
    Quote(L7, "An eighth run,\nwhich read a quarter as many booking dialogues, was {nb} there either ({a1} and {a5} of {n}; also one run)",
          nb=lambda: "no better" if all(cloze(RUN8_CARD, "everyday", k)() <= cloze(CARD, "everyday", k)()
                                        for k in ("top1", "top5")) else "(better)",
          a1=cloze(RUN8_CARD, "everyday", "top1"), a5=cloze(RUN8_CARD, "everyday", "top5"), n=cloze(RUN8_CARD, "everyday", "n")),
    Quote(L7, "{p:.0%} of them are\nbooking turns from one dialogue set",
          p=lambda: sgd_held_out(RUN8)() / json_value(RUN8, "held_out")()),
    Quote(L7, "(booking turns and review phrases {sgd:.0f}% each\ninstead of over half of the everyday sentences)",
          sgd=same(lambda: round(source_share(RUN9, "sgd_dialogues")()),
                   lambda: round(source_share(RUN9, "sst2")()))),
    Quote(L7, "It had the best everyday top 5 of any run ({a5} of {n} against {b5}) but {fewer} novel-style\nsentences right "
              "first ({n1} of {nn} against {o1})",
          a5=cloze(RUN9_CARD, "everyday", "top5"), n=cloze(RUN9_CARD, "everyday", "n"), b5=cloze(CARD, "everyday", "top5"),
          fewer=lambda: {1: "one fewer", 2: "two fewer", 3: "three fewer"}.get(
              cloze(CARD, "novels", "top1")() - cloze(RUN9_CARD, "novels", "top1")(), "(not fewer)"),
          n1=cloze(RUN9_CARD, "novels", "top1"), nn=cloze(RUN9_CARD, "novels", "n"), o1=cloze(CARD, "novels", "top1")),
    Quote(L7, "answers right first came back ({n1} of {nn}) and the everyday top 5 reached {a5} of {n}, but one novel-style\n"
              "sentence fewer had an acceptable word in the top 5 ({n5} of {nn} against {o5})",
          n1=cloze(RUN10_CARD, "novels", "top1"), nn=cloze(RUN10_CARD, "novels", "n"),
          a5=cloze(RUN10_CARD, "everyday", "top5"), n=cloze(RUN10_CARD, "everyday", "n"),
          n5=cloze(RUN10_CARD, "novels", "top5"), o5=lambda: cloze(CARD, "novels", "top5")()
          if cloze(CARD, "novels", "top5")() - cloze(RUN10_CARD, "novels", "top5")() == 1 else "(not one fewer)"),
]


def _raised(path):
    """How many of the four held-out top-1 scores the kept weights raised over step 0, in words."""
    values = start_and_kept(path)
    up = sum(values[short]() > values[short + "0"]() for short in ("ec", "e", "nc", "n"))
    return {4: "all", 3: "all but one", 2: "two", 1: "one", 0: "none"}[up]
