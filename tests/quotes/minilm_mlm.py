"""minilm-mlm's numbers in README.md and in its own README: the cloze scores by register (read from the
model cards, which `tests/test_lesson_7.py` checks against a live cloze run), the training time and
the held-out scores (read from the runs' metrics). Retraining the model fails these until the prose
follows."""
from bertbook.cloze import SECOND_SET_FILE, THIRD_SET_FILE, load_cloze
from prose_numbers import Quote, json_value
from quotes._minilm_runs import (BEFORE, CARD, FOLDER, METRICS, NUMBER_WORDS, PLAIN_TEXT, RUN1, RUN10, RUN10_CARD,
                                 RUN11, RUN11_CARD, RUN12, RUN12_CARD, RUN2, RUN2_CARD, RUN3, RUN3_CARD, RUN4,
                                 RUN4_CARD, RUN5, RUN5_CARD, RUN6, RUN6_CARD, RUN7, RUN7_CARD, RUN8, RUN8_CARD, RUN9,
                                 RUN9_CARD, SHIPPED_LINE, answers, cloze, cloze_gain, fourth, fourth_sum, gain,
                                 held_out_files, hours, kept, kept_record, kept_steps, occurrences, passed_start,
                                 pooled, same, second, second_sum, sentences_read, sgd_held_out, source_share,
                                 source_sizes, start_and_kept, step_at, steps_between, third, third_sum, total,
                                 training_words, weights_read)

MODEL_README = "data/pretrained/minilm-mlm/README.md"
README = "README.md"
CLOZE_README = "data/cloze/README.md"
RUNS_2_TO_8 = (RUN2, RUN3, RUN4, RUN5, RUN6, RUN7, RUN8)

TINY = "data/pretrained/bertbook-tiny/card.json"


def last(register, key, path=RUN6):
    return json_value(path, "history", -1, register, key)


def pool(path, register):
    """How many training sentences of a register a run offered (its record's training_sentences)."""
    return json_value(path, "training_sentences", register)


def books_per_batch(path):
    """How many of a run's batch sentences came from the books (the rest: --everyday-share)."""
    return lambda: json_value(path, "batch_size")() - round(json_value(path, "batch_size")() * json_value(path, "everyday_share")())


def training_time(path):
    """A run's training loop in hours (h), CPU hours (c), cores used (r) and the load average's range
    over its evaluations after step 0 (lo, hi), as the sections spell them."""
    loads = lambda: [r["load"] for r in json_value(path, "history")()[1:]]
    return dict(h=hours(path), c=hours(path, "cpu_s"), r=lambda: json_value(path, "cpu_s")() / json_value(path, "wall_clock_s")(),
                lo=lambda: min(loads()), hi=lambda: max(loads()))


def kept_against_start(path):
    """The step a run kept (s: which the prose calls its last), the mean top-1 there (m) and at step 0 (m0),
    and the four registers' start and kept scores."""
    return dict(s=lambda: json_value(path, "best_step")() if json_value(path, "best_step")() == json_value(path, "steps")()
                else "(not its last)",
                m=lambda: kept_record(path)["mask_accuracy"], m0=json_value(path, "history", 0, "mask_accuracy"),
                **start_and_kept(path))


def table_row(path, i=-1):
    """One row of a run's held-out table as the quote below spells it: step, then top-1/top-5 per register and rule."""
    row = {"step": json_value(path, "history", i, "step")}
    for short, register in (("n", "novels"), ("nc", "novels_content"), ("e", "everyday"), ("ec", "everyday_content")):
        row[short + "1"] = json_value(path, "history", i, register, "mask_accuracy")
        row[short + "5"] = json_value(path, "history", i, register, "mask_top5")
    return row


TABLE_ROW = "| {step:,} | {n1:.3f} | {n5:.3f} | {nc1:.3f} | {nc5:.3f} | {e1:.3f} | {e5:.3f} | {ec1:.3f} | {ec5:.3f} |"


def compared(path, register=None):
    """A held-out top-1 at the step a run compared on the cloze set (compared_step): one register's, or
    (None) the mean of the four."""
    def value():
        record = kept_record(path, "compared_step")
        return (record[register] if register else record)["mask_accuracy"]
    return value


def cloze_against_run6(card):
    """A not-shipped run's cloze scores and run 6's, as its section names them: a1/a5 of en everyday
    (run 6: b1/b5), n1/n5 of nn novel-style (run 6: o1/o5)."""
    return dict(a1=cloze(card, "everyday", "top1"), a5=cloze(card, "everyday", "top5"), en=cloze(card, "everyday", "n"),
                b1=cloze(RUN6_CARD, "everyday", "top1"), b5=cloze(RUN6_CARD, "everyday", "top5"),
                n1=cloze(card, "novels", "top1"), n5=cloze(card, "novels", "top5"), nn=cloze(card, "novels", "n"),
                o1=cloze(RUN6_CARD, "novels", "top1"), o5=cloze(RUN6_CARD, "novels", "top5"))


def lr_text(path, key):
    """5e-5, 1.5e-4: a learning rate as the command line writes it."""
    return lambda: f"{json_value(path, key)():.1e}".replace(".0e", "e").replace("e-0", "e-")


def register_sentences_read(everyday: bool):
    """Sentences of one register that runs 2 to 6 read: per run, steps x that register's part of a batch."""
    out = 0
    for path in (RUN2, RUN3, RUN4, RUN5, RUN6):
        batch = json_value(path, "batch_size")()
        n_everyday = round(batch * json_value(path, "everyday_share")())
        out += json_value(path, "steps")() * (n_everyday if everyday else batch - n_everyday)
    return out


def card_counts(path):
    """A card's cloze counts as the quotes name them: e1/e5/en (everyday first, top 5, of), n1/n5/nn (novels)."""
    return dict(e1=cloze(path, "everyday", "top1"), e5=cloze(path, "everyday", "top5"), en=cloze(path, "everyday", "n"),
                n1=cloze(path, "novels", "top1"), n5=cloze(path, "novels", "top5"), nn=cloze(path, "novels", "n"))


def card_row(label, path):
    return Quote(MODEL_README, f"| {label} | {{e1}} of {{en}} | {{e5}} of {{en}} | {{n1}} of {{nn}} | {{n5}} of {{nn}} |",
                 **card_counts(path))


def everyday_against(counts, winner, loser):
    """A decision's everyday counts (``counts``: ``second`` or ``third``): a1/a5 of n for the winner, b1/b5 for the loser."""
    return dict(a1=counts(winner, "everyday", "top1"), a5=counts(winner, "everyday", "top5"), n=counts(winner, "everyday", "n"),
                b1=counts(loser, "everyday", "top1"), b5=counts(loser, "everyday", "top5"))


# run 11 against run 10 on the second set (answered after the third set's decision): a, b everyday; c, d novels
RUN11_ON_SECOND_SET = dict(
    a1=second("run11", "everyday", "top1"), a5=second("run11", "everyday", "top5"), n=second("run11", "everyday", "n"),
    b1=second("run10", "everyday", "top1"), b5=second("run10", "everyday", "top5"),
    c1=second("run11", "novels", "top1"), c5=second("run11", "novels", "top5"), m=second("run11", "novels", "n"),
    d1=second("run10", "novels", "top1"), d5=second("run10", "novels", "top5"))


# run 12's rule on the fourth set, as both READMEs state it: its sums against run 11's and what was needed
FOURTH_RULE_TEXT = "Everyday {a} against {b} (at least {need_e} needed), novel-style {c} against {d} (at least {need_n} needed)"
FOURTH_RULE = dict(a=fourth_sum("run12", "everyday"), b=fourth_sum("run11", "everyday"), c=fourth_sum("run12", "novels"),
                   d=fourth_sum("run11", "novels"), need_e=lambda: fourth_sum("run11", "everyday")() + 2,
                   need_n=lambda: fourth_sum("run11", "novels")() - 1)


QUOTES = [
    Quote(README, "answers the right word first for **{e1} of {en}** everyday sentences and **{n1} of {nn}** "
                  "novel-style ones, and has an acceptable word in its top 5 for **{e5} of {en}** and **{n5} of {nn}**",
          **card_counts(CARD)),
    Quote(README, "the last, a third set of {n}, chose the shipped run over the one before it, everyday\n"
                  "{a1} of {m} right first and {a5} of {m} in the top 5 against {b1} and {b5} (novel-style {c1} and {c5} of {nn} "
                  "against {d1} and\n{d5}, within the rule's slack of one; one run each, one seed)",
          n=lambda: len(load_cloze(THIRD_SET_FILE)), m=third("run11", "everyday", "n"),
          a1=third("run11", "everyday", "top1"), a5=third("run11", "everyday", "top5"),
          b1=third("run10", "everyday", "top1"), b5=third("run10", "everyday", "top5"),
          c1=third("run11", "novels", "top1"), c5=third("run11", "novels", "top5"), nn=third("run11", "novels", "n"),
          d1=third("run10", "novels", "top1"), d5=third("run10", "novels", "top5")),
    Quote(README, "in {k} runs after a first, {m:.0f}-minute run on the nine novels",
          k=lambda: NUMBER_WORDS.get(len(SHIPPED_LINE), "(another count)"),
          m=lambda: json_value(FOLDER + RUN1, "seconds_last_session")() / 60),
    Quote(README, "(after the novels-only run,\nits MLM training read {n:,} sentences;", n=weights_read(*SHIPPED_LINE)),
    Quote(README, "the novels\nonly, got {e1} of {en} and {n1} of {nn} right first.",
          e1=cloze(BEFORE, "everyday", "top1"), en=cloze(BEFORE, "everyday", "n"), n1=cloze(BEFORE, "novels", "top1"),
          nn=cloze(BEFORE, "novels", "n")),
    Quote(README, "Our tiny model pretrained from scratch gets {e1} of {en} and\n{n1} of {nn} right first",
          e1=cloze(TINY, "everyday", "top1"), en=cloze(TINY, "everyday", "n"), n1=cloze(TINY, "novels", "top1"),
          nn=cloze(TINY, "novels", "n")),
    Quote(README, "everyday English ({lo:.0%} to {hi:.0%} of each\nbatch, {share:.0%} in the last run, the everyday sources in flatter "
                  "shares in the last three), the last\n{steps:,} steps with most blanks on content words",
          lo=lambda: min(json_value(p, "everyday_share")() for p in SHIPPED_LINE[:-1]),
          hi=lambda: max(json_value(p, "everyday_share")() for p in SHIPPED_LINE[:-1]),
          share=json_value(METRICS, "everyday_share"), steps=kept_steps(RUN3, RUN4, RUN5, RUN6, RUN9, RUN10, METRICS)),
    Quote(README, "--everyday-share {share} --content-words {cw} --source-alpha {a}`, {h:.1f} h on a shared 2-core CPU in {k} runs",
          share=json_value(METRICS, "everyday_share"), cw=json_value(METRICS, "content_words"), a=json_value(METRICS, "source_alpha"),
          h=lambda: total("wall_clock_s", *SHIPPED_LINE)() / 3600,
          k=lambda: NUMBER_WORDS.get(len(SHIPPED_LINE), "(another count)")),
    Quote(MODEL_README, "Wall-clock **{h:.1f} h** of training loop and\n   **{c:.1f} h of CPU time**, at about {r:.1f} of the "
                        "2 cores", h=hours(RUN3), c=hours(RUN3, "cpu_s"),
          r=lambda: json_value(RUN3, "cpu_s")() / json_value(RUN3, "wall_clock_s")()),
    Quote(MODEL_README, "Wall-clock\n   **{h:.1f} h** of training loop and **{c:.1f} h of CPU time**, at about\n   {r:.1f} of "
                        "the 2 cores", h=hours(RUN4), c=hours(RUN4, "cpu_s"),
          r=lambda: json_value(RUN4, "cpu_s")() / json_value(RUN4, "wall_clock_s")()),
    Quote(MODEL_README, "`--seed {seed}`; the held-out sentences", seed=json_value(RUN4, "seed")),
    Quote(MODEL_README, "set to 6,000 at step 300. Wall-clock **{h:.1f} h** of training loop and\n   **{c:.1f} h of CPU time**, "
                        "at about {r:.1f} of the 2 cores", h=hours(RUN5), c=hours(RUN5, "cpu_s"),
          r=lambda: json_value(RUN5, "cpu_s")() / json_value(RUN5, "wall_clock_s")()),
    Quote(MODEL_README, "(`--seed {seed}`, and again a new draw", seed=json_value(RUN5, "seed")),
    Quote(MODEL_README, "the peak learning rate halved to {lr} (head {hl})", lr=lr_text(RUN5, "lr"),
          hl=lr_text(RUN5, "head_lr")),
    Quote(MODEL_README, "runs 5 and 6: {lr} and {hl})", lr=same(lr_text(RUN5, "lr"), lr_text(RUN6, "lr")),
          hl=same(lr_text(RUN5, "head_lr"), lr_text(RUN6, "head_lr"))),
    Quote(MODEL_README, "Run 5 against run 4:** one change, half the peak learning rate ({lr}), for {s:,} more steps",
          lr=lr_text(RUN5, "lr"), s=json_value(RUN5, "steps")),
    Quote(MODEL_README, "top-1 {a:.3f} at its start, {b:.3f} after {s1:,} steps: a drop of {d5:.3f}, against {d4:.3f} in run 4),\n"
                        "  and it took until step {up:,} to pass its start again",
          a=json_value(RUN5, "history", 0, "everyday_content", "mask_accuracy"),
          b=json_value(RUN5, "history", 1, "everyday_content", "mask_accuracy"), s1=step_at(RUN5, 1),
          d5=lambda: json_value(RUN5, "history", 0, "everyday_content", "mask_accuracy")()
          - json_value(RUN5, "history", 1, "everyday_content", "mask_accuracy")(),
          d4=lambda: json_value(RUN4, "history", 0, "everyday_content", "mask_accuracy")()
          - json_value(RUN4, "history", 1, "everyday_content", "mask_accuracy")(),
          up=lambda: next(r["step"] for r in json_value(RUN5, "history")()[1:] if r["everyday_content"]["mask_accuracy"]
                          > json_value(RUN5, "history", 0, "everyday_content", "mask_accuracy")())),
    Quote(MODEL_README, "content words {a:.3f} to {b:.3f}, against {c:.3f} to {d:.3f})",
          a=json_value(RUN5, "history", 0, "everyday_content", "mask_accuracy"), b=kept("everyday_content", "mask_accuracy", RUN5),
          c=json_value(RUN4, "history", 0, "everyday_content", "mask_accuracy"),
          d=kept("everyday_content", "mask_accuracy", RUN4)),
    Quote(MODEL_README, "run 5\n  has {a:+d} and {b:+d} everyday sentences against run 4 (first, top 5), {c:+d} and {d:+d} novel-style",
          a=cloze_gain(RUN5_CARD, RUN4_CARD, "everyday", "top1"), b=cloze_gain(RUN5_CARD, RUN4_CARD, "everyday", "top5"),
          c=cloze_gain(RUN5_CARD, RUN4_CARD, "novels", "top1"), d=cloze_gain(RUN5_CARD, RUN4_CARD, "novels", "top5")),
    Quote(MODEL_README, "read about\n{n:.1f} million sentences on a CPU",
          n=lambda: weights_read(*SHIPPED_LINE)() / 1e6),
    Quote(MODEL_README, "whole-word masking, {s:,} steps; {h:.1f} h of\n   training loop and {c:.1f} h of CPU time recorded",
          s=json_value(RUN2, "steps"), h=hours(RUN2), c=hours(RUN2, "cpu_s")),
    card_row("these weights (run 11)", CARD),
    card_row("run 10 (more of the books per batch)", RUN10_CARD),
    card_row("run 9 (flatter everyday shares)", RUN9_CARD),
    card_row("run 6 (more everyday English)", RUN6_CARD),
    card_row("run 5 (half the learning rate)", RUN5_CARD),
    card_row("run 4 (more steps)", RUN4_CARD),
    card_row("run 3 (content words)", RUN3_CARD),
    card_row("run 2 (BERT's blanks)", RUN2_CARD),
    card_row("run 1 (novels only)", BEFORE),
    card_row("our tiny BERT (`bertbook-tiny`)", TINY),
    *[Quote(MODEL_README, TABLE_ROW, **table_row(path)) for path in (RUN6, RUN5, RUN4, RUN3)],
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
    Quote(MODEL_README, "(run 3: step {s3:,} of\n  {n3:,}; run 4: step {s4:,} of {n4:,}; run 5: step {s5:,} of {n5:,}; run 6: "
                        "step {s6:,} of {n6:,}; runs 9 and 10: {last}; run 11: step {s11:,} of {n11:,})",
          last=lambda: "their last" if all(json_value(p, "best_step")() == json_value(p, "steps")() for p in (RUN9, RUN10)) else "(not both)",
          s11=json_value(RUN11, "best_step"), n11=json_value(RUN11, "steps"),
          s3=json_value(RUN3, "best_step"), n3=json_value(RUN3, "steps"), s4=json_value(RUN4, "best_step"),
          n4=json_value(RUN4, "steps"), s5=json_value(RUN5, "best_step"), n5=json_value(RUN5, "steps"),
          s6=json_value(RUN6, "best_step"), n6=json_value(RUN6, "steps")),
    Quote(MODEL_README, "In run 3, with BERT's blanks the novels lost {a:.3f} of top-1 and everyday text\ngained {b:.3f}",
          a=lambda: json_value(RUN3, "history", 0, "novels", "mask_accuracy")() - last("novels", "mask_accuracy", RUN3)(),
          b=lambda: last("everyday", "mask_accuracy", RUN3)() - json_value(RUN3, "history", 0, "everyday", "mask_accuracy")()),
    Quote(MODEL_README, "Run 6 kept the weights of step {s:,}; from its step 0 to there, content-word top-1 went from "
                        "{ec0:.3f} to {ec:.3f} on everyday text and from\n{nc0:.3f} to {nc:.3f} on the novels; with BERT's "
                        "blanks, everyday {e0:.3f} to {e:.3f} and novels\n{n0:.3f} to {n:.3f}.", s=json_value(RUN6, "best_step"),
          **start_and_kept(RUN6)),
    Quote(MODEL_README, "Run 5 kept the weights of step {s:,}; from its step 0 to there, content-word top-1 went from "
                        "{ec0:.3f} to {ec:.3f} on everyday text and from\n{nc0:.3f} to {nc:.3f} on the novels; with BERT's "
                        "blanks, everyday {e0:.3f} to {e:.3f} and novels\n{n0:.3f} to {n:.3f}.", s=json_value(RUN5, "best_step"),
          **start_and_kept(RUN5)),
    Quote(MODEL_README, "Run 4 moved content-word top-1 from {ec0:.3f} to {ec:.3f} on everyday text and from\n{nc0:.3f} to {nc:.3f} "
                        "on the novels; with BERT's blanks, everyday {e0:.3f} to {e:.3f} and novels\n{n0:.3f} to {n:.3f}.",
          ec0=json_value(RUN4, "history", 0, "everyday_content", "mask_accuracy"), ec=last("everyday_content", "mask_accuracy", RUN4),
          nc0=json_value(RUN4, "history", 0, "novels_content", "mask_accuracy"), nc=last("novels_content", "mask_accuracy", RUN4),
          e0=json_value(RUN4, "history", 0, "everyday", "mask_accuracy"), e=last("everyday", "mask_accuracy", RUN4),
          n0=json_value(RUN4, "history", 0, "novels", "mask_accuracy"), n=last("novels", "mask_accuracy", RUN4)),
    Quote(MODEL_README, "(run 2's last\n  {span:,} steps moved everyday top-1 with BERT's blanks by only {d:.3f})",
          d=lambda: last("everyday", "mask_accuracy", RUN2)() - json_value(RUN2, "history", -5, "everyday", "mask_accuracy")(),
          span=steps_between(RUN2, -5)),
    Quote(MODEL_README, "Run 6 against run 5:** one change, {share:.0%} of each batch everyday English instead of {before:.0%}, for\n"
                        "  {s:,} more steps at run 5's rate", share=json_value(RUN6, "everyday_share"),
          before=json_value(RUN5, "everyday_share"), s=json_value(RUN6, "steps")),
    Quote(MODEL_README, "(everyday content-word top-1 {a:.3f} at its start, {b:.3f} after {s1:,} steps: a drop of\n  {d:.3f}), and the "
                        "mean of the four held-out scores passed its start only at step {up:,}. The weights it\n  kept (step {s:,}) "
                        "are above run 5's by {m:.3f} in that mean: everyday content words {ec0:.3f} to\n  {ec:.3f} and BERT's blanks "
                        "{e0:.3f} to {e:.3f}, while the novels' content words went from {nc0:.3f} to\n  {nc:.3f}",
          a=json_value(RUN6, "history", 0, "everyday_content", "mask_accuracy"),
          b=json_value(RUN6, "history", 1, "everyday_content", "mask_accuracy"), s1=step_at(RUN6, 1),
          d=lambda: json_value(RUN6, "history", 0, "everyday_content", "mask_accuracy")()
          - json_value(RUN6, "history", 1, "everyday_content", "mask_accuracy")(),
          up=passed_start(RUN6), s=json_value(RUN6, "best_step"),
          m=gain(RUN6),
          ec0=json_value(RUN6, "history", 0, "everyday_content", "mask_accuracy"), ec=kept("everyday_content", "mask_accuracy", RUN6),
          e0=json_value(RUN6, "history", 0, "everyday", "mask_accuracy"), e=kept("everyday", "mask_accuracy", RUN6),
          nc0=json_value(RUN6, "history", 0, "novels_content", "mask_accuracy"), nc=kept("novels_content", "mask_accuracy", RUN6)),
    Quote(MODEL_README, "On the cloze set run 6 has {a:+d} and {b:+d} everyday sentences\n  against run 5 (first, top 5), {c:+d} and "
                        "{d:+d} novel-style ones",
          a=cloze_gain(RUN6_CARD, RUN5_CARD, "everyday", "top1"), b=cloze_gain(RUN6_CARD, RUN5_CARD, "everyday", "top5"),
          c=cloze_gain(RUN6_CARD, RUN5_CARD, "novels", "top1"), d=cloze_gain(RUN6_CARD, RUN5_CARD, "novels", "top5")),
    Quote(MODEL_README, "the books' part {b:.1f} times. With runs 9, 10 and 11 they read {all:,}; the steps behind the shipped "
                        "weights read {n:,} of them (each run went on from the step its held-out rule kept, not from its last)",
          b=lambda: register_sentences_read(everyday=False) / pool(RUN2, "books")(), all=lambda: sentences_read(RUN9, RUN10, RUN11),
          n=weights_read(*SHIPPED_LINE)),
    Quote(MODEL_README, "Runs 2 to 6 read {n:,} sentences: the everyday part about\n  {e:.1f} times over, the books' part {b:.1f} times",
          n=sentences_read, e=lambda: register_sentences_read(everyday=True) / pool(RUN2, "everyday")(),
          b=lambda: register_sentences_read(everyday=False) / pool(RUN2, "books")()),
    Quote(MODEL_README, "(run 6: {b6}; {b:,}\n  training sentences of 8 to 64 tokens", b6=books_per_batch(RUN6),
          b=same(*(pool(path, "books") for path in RUNS_2_TO_8))),
    Quote(MODEL_README, "(run 6: {x6}; {e2:,} sentences of 6 to 64 tokens; {e4:,} in run 4, {e5:,} in run 5 and\n  {e6:,} in run 6",
          e2=same(pool(RUN2, "everyday"), pool(RUN3, "everyday")), e4=pool(RUN4, "everyday"), e5=pool(RUN5, "everyday"),
          e6=pool(RUN6, "everyday"), x6=lambda: json_value(RUN6, "batch_size")() - books_per_batch(RUN6)()),
    # the seventh run, not shipped
    Quote(MODEL_README, "(`--seed {seed}`),\nfor {s:,} steps (`run7_not_shipped.json`", seed=json_value(RUN7, "seed"), s=json_value(RUN7, "steps")),
    Quote(MODEL_README, "and back to {s:,} at step 1,300 (a misread\nclock), so between steps 1,100 and 1,300 its learning rate fell a "
                        "little faster than a straight {s:,}-step\nschedule's", s=json_value(RUN7, "steps")),
    Quote(MODEL_README, "Wall-clock **{h:.1f} h** of training loop and **{c:.1f} h of CPU time**, at about\n{r:.1f} of the 2 cores "
                        "(load average {lo:.0f} to {hi:.0f}: one 8-minute test", **training_time(RUN7)),
    Quote(MODEL_README, "It offered {b:,} training sentences from the\nbooks and {e:,} everyday ones",
          b=json_value(RUN7, "training_sentences", "books"), e=json_value(RUN7, "training_sentences", "everyday")),
    Quote(MODEL_README, "(the mean of the four by {d7:.3f}, run 6's by\n{d6:.3f}): it kept step {s:,}, {w}, where the mean of the "
                        "four\ntop-1 scores is {m:.3f} against {m0:.3f} for run 6's weights on the same sentences\n(everyday content "
                        "words {ec0:.3f} to {ec:.3f}, BERT's blanks\n{e0:.3f} to {e:.3f}; novels' content words {nc0:.3f} to\n{nc:.3f}, "
                        "BERT's blanks {n0:.3f} to {n:.3f})",
          d7=gain(RUN7), d6=gain(RUN6),
          s=json_value(RUN7, "best_step"),
          w=lambda: "its last" if json_value(RUN7, "best_step")() == json_value(RUN7, "steps")() else "not its last",
          m=lambda: kept_record(RUN7)["mask_accuracy"], m0=json_value(RUN7, "history", 0, "mask_accuracy"),
          **start_and_kept(RUN7)),
    Quote(MODEL_README, "everyday sentences {a1} of {en} right first and {a5} of {en} in the top 5\n(run 6: {b1} and {b5}), novel-style "
                        "ones {n1} of {nn} and {n5} of {nn}\n(run 6: {o1} and {o5})",
          **cloze_against_run6(RUN7_CARD)),
    Quote(MODEL_README, "on {n} of them it did not help this time", n=cloze(RUN7_CARD, "everyday", "n")),
    Quote(MODEL_README, "Its everyday content-word gain, {g:.3f}, is {cmp}\nthan run 5's and run 6's",
          g=gain(RUN7, "everyday_content"),
          cmp=lambda: "larger" if all(gain(RUN7, "everyday_content")() > gain(path, "everyday_content")()
                                      for path in (RUN5, RUN6)) else "(not larger)"),
    Quote(MODEL_README, TABLE_ROW, **table_row(RUN7)),
    # the eighth run, not shipped
    Quote(MODEL_README, "So run 8 kept one in twenty (`--sgd-keep {k}`)", k=json_value(RUN8, "sgd_keep")),
    Quote(MODEL_README, "(`--seed {seed}`;\n`run8_not_shipped.json`", seed=json_value(RUN8, "seed")),
    Quote(MODEL_README, "set to\n{s:,} at step 700", s=json_value(RUN8, "steps")),
    Quote(MODEL_README, "Wall-clock **{h:.1f} h** of training loop and\n**{c:.1f} h of CPU time**, at about {r:.1f} of the 2 cores "
                        "(load average {lo:.1f} to {hi:.1f}", **training_time(RUN8)),
    Quote(MODEL_README, "It offered {b:,} training sentences from the books\nand {e:,} everyday ones (run 7: {e7:,})",
          b=json_value(RUN8, "training_sentences", "books"), e=json_value(RUN8, "training_sentences", "everyday"),
          e7=json_value(RUN7, "training_sentences", "everyday")),
    Quote(MODEL_README, "{sgd:,} of run 8's\n{n:,} held-out everyday sentences are SGD booking turns", sgd=sgd_held_out(RUN8),
          n=json_value(RUN8, "held_out")),
    Quote(MODEL_README, "(everyday top-1 {e0:.3f} at its start, {e:.3f} at its end;\ncontent words {ec0:.3f} and {ec:.3f}), while the "
                        "novels' content words {rose}\n({nc0:.3f} to {nc:.3f}); the rule that keeps the best mean of the four kept step "
                        "{best}: run 6's weights,\nunchanged (mean {m0:.4f}; {m:.4f} at step {s:,})",
          e0=json_value(RUN8, "history", 0, "everyday", "mask_accuracy"), e=compared(RUN8, "everyday"),
          ec0=json_value(RUN8, "history", 0, "everyday_content", "mask_accuracy"), ec=compared(RUN8, "everyday_content"),
          nc0=json_value(RUN8, "history", 0, "novels_content", "mask_accuracy"), nc=compared(RUN8, "novels_content"),
          rose=lambda: "rose" if compared(RUN8, "novels_content")() > json_value(RUN8, "history", 0, "novels_content", "mask_accuracy")() else "fell",
          best=json_value(RUN8, "best_step"), m0=json_value(RUN8, "history", 0, "mask_accuracy"),
          m=compared(RUN8),
          s=json_value(RUN8, "compared_step")),
    Quote(MODEL_README, "Cloze set, run 8's last step: everyday sentences {a1} of {en} right first and {a5} of {en} in the top 5\n"
                        "(run 6: {b1} and {b5}), novel-style ones {n1} of {nn} and {n5} of {nn}\n(run 6: {o1} and {o5}). {verdict}",
          **cloze_against_run6(RUN8_CARD),
          verdict=lambda: ("Not more everyday top-5 hits, and fewer right first"
                           if cloze(RUN8_CARD, "everyday", "top5")() == cloze(RUN6_CARD, "everyday", "top5")()
                           and cloze(RUN8_CARD, "everyday", "top1")() < cloze(RUN6_CARD, "everyday", "top1")() else "(the rule's verdict changed)")),
    Quote(MODEL_README, "Runs 6, 7 and 8 answer {a}, {b} and {c} of the\n{n} everyday sentences",
          a=cloze(RUN6_CARD, "everyday", "top5"), b=cloze(RUN7_CARD, "everyday", "top5"), c=cloze(RUN8_CARD, "everyday", "top5"),
          n=cloze(RUN6_CARD, "everyday", "n")),
    Quote(MODEL_README, TABLE_ROW, **table_row(RUN8)),
    # what the cards say of training time (the shipped card's line is what the widget shows under the predictions)
    # "more" and "sentences": the steps behind the card's weights (each run went on from the step the one before
    # kept); the hours: what the runs took, their steps after the kept ones included
    *[Quote(card, "trained for {first:,} steps, then {more:,} more with most blanks on content words ({n:,} sentences), "
                  "{h:.1f} h on a shared 2-core CPU",
            first=json_value(RUN2, "best_step"), more=kept_steps(*line[1:]), n=weights_read(*line),
            h=lambda line=line: total("wall_clock_s", *line)() / 3600)
      for card, line in ((RUN3_CARD, SHIPPED_LINE[:2]), (RUN4_CARD, SHIPPED_LINE[:3]), (RUN5_CARD, SHIPPED_LINE[:4]),
                         (RUN6_CARD, SHIPPED_LINE[:5]), (RUN10_CARD, SHIPPED_LINE[:7]), (CARD, SHIPPED_LINE))],
    Quote(RUN7_CARD, "{s:,} more steps ({h:.1f} h on a shared 2-core CPU)", s=json_value(RUN7, "steps"), h=hours(RUN7)),
    Quote(RUN8_CARD, "{s:,} more steps ({h:.1f} h on a shared 2-core CPU)", s=json_value(RUN8, "steps"), h=hours(RUN8)),
    Quote(RUN9_CARD, "{s:,} more steps ({h:.1f} h on a shared 2-core CPU)", s=json_value(RUN9, "steps"), h=hours(RUN9)),
    # the ninth run, not shipped: the everyday sources by size ** alpha, held out from every file alike
    Quote(MODEL_README, "(run 6: {sgd:.1f}% and {sst:.1f}% of its {n:,} everyday sentences), and plain descriptive\n"
                        "text (OneStopEnglish news, Wikipedia sentences and articles, SQuAD's Wikipedia paragraphs, SNLI's photo\n"
                        "captions) only {plain:.1f}%",
          sgd=source_share(RUN6, "sgd_dialogues"), sst=source_share(RUN6, "sst2"), n=pool(RUN6, "everyday"),
          plain=source_share(RUN6, *PLAIN_TEXT)),
    Quote(MODEL_README, "(`--seed {seed}`; `run9_not_shipped.json`", seed=json_value(RUN9, "seed")),
    Quote(MODEL_README, "`--source-alpha {a}`: each of the {k} everyday sources", a=json_value(RUN9, "source_alpha"),
          k=lambda: len(source_sizes(json_value(RUN9, "seed")()))),
    Quote(MODEL_README, "SGD then has {sgd:.1f}%\n  of the pool and SST-2 {sst:.1f}%, plain descriptive text {plain:.1f}%; the smallest "
                        "source, WikiText-2, {wt:.1f}% instead of {wt6:.1f}%",
          sgd=source_share(RUN9, "sgd_dialogues"),
          sst=source_share(RUN9, "sst2"),
          plain=source_share(RUN9, *PLAIN_TEXT),
          wt=source_share(RUN9, "wikitext2_valid_test"),
          wt6=source_share(RUN6, "wikitext2_valid_test")),
    Quote(MODEL_README, "Its {n:,} held-out everyday sentences are drawn from the {k} everyday files alike ({lo} to {hi} from each, and\n"
                        "  {wt} from WikiText-2",
          n=json_value(RUN9, "held_out"), k=lambda: len(held_out_files(RUN9)),
          lo=lambda: min(v for f, v in held_out_files(RUN9).items() if f != "wikitext2_valid_test"),
          hi=lambda: max(held_out_files(RUN9).values()), wt=lambda: held_out_files(RUN9)["wikitext2_valid_test"]),
    Quote(MODEL_README, "everyday top-1 {e:.3f} with BERT's blanks and {ec:.3f} on content words, against {e8:.3f} and\n"
                        "  {ec8:.3f} on run 8's draw",
          e=json_value(RUN9, "history", 0, "everyday", "mask_accuracy"), ec=json_value(RUN9, "history", 0, "everyday_content", "mask_accuracy"),
          e8=json_value(RUN8, "history", 0, "everyday", "mask_accuracy"), ec8=json_value(RUN8, "history", 0, "everyday_content", "mask_accuracy")),
    Quote(MODEL_README, "Planned for 8,000 steps, set to {s:,} at step 200", s=json_value(RUN9, "steps")),
    *[Quote(MODEL_README, "Wall-clock **{h:.1f} h** of training loop and **{c:.1f} h of CPU time**, at about {r:.1f} of the 2 "
                          "cores (load average {lo:.1f}\nto {hi:.1f}", **training_time(path)) for path in (RUN9, RUN11)],
    Quote(MODEL_README, "It offered {b:,}\ntraining sentences from the books and {e:,} everyday ones.",
          b=pool(RUN9, "books"), e=pool(RUN9, "everyday")),
    Quote(MODEL_README, "It kept step {s:,}, its last, where the mean of the four top-1 scores is {m:.4f} against {m0:.4f} for run 6's\n"
                        "weights on the same sentences (everyday content words {ec0:.3f} to {ec:.3f}, BERT's blanks {e0:.3f} to {e:.3f};\n"
                        "novels' content words {nc0:.3f} to {nc:.3f}, BERT's blanks {n0:.3f} to {n:.3f}). Runs 6 and 7 had\n"
                        "moved that mean by {d6:.3f} and {d7:.3f}",
          d6=gain(RUN6), d7=gain(RUN7), **kept_against_start(RUN9)),
    Quote(MODEL_README, "Cloze set, run 9's kept weights: everyday sentences {a1} of {en} right first and {a5} of {en} in the top 5\n"
                        "(run 6: {b1} and {b5}), novel-style ones {n1} of {nn} and {n5} of {nn}\n(run 6: {o1} and {o5}). {verdict}",
          **cloze_against_run6(RUN9_CARD),
          verdict=lambda: ("The best everyday top 5 of any run, but two fewer novel-style sentences right first"
                           if cloze(RUN9_CARD, "everyday", "top5")() > max(cloze(c, "everyday", "top5")() for c in (RUN6_CARD, RUN7_CARD, RUN8_CARD))
                           and cloze(RUN6_CARD, "novels", "top1")() - cloze(RUN9_CARD, "novels", "top1")() == 2 else "(the verdict changed)")),
    Quote(MODEL_README, "(run 9 read {b} of {n} from the books, as run 6 did)",
          b=books_per_batch(RUN9), n=same(json_value(RUN9, "batch_size"), json_value(RUN6, "batch_size"))),
    Quote(MODEL_README, TABLE_ROW, **table_row(RUN9)),
    Quote(MODEL_README, TABLE_ROW, **table_row(RUN9, 0)),
    # the tenth run, not shipped: run 9's mix from its weights, twice the books' sentences per batch
    Quote(MODEL_README, "it read {b} of every {n} sentences from the books. Run 10 went on",
          b=same(books_per_batch(RUN9), books_per_batch(RUN6)), n=json_value(RUN9, "batch_size")),
    Quote(MODEL_README, "`--everyday-share {e}`, {b} of {n} sentences from the books\n(`--seed {seed}`; `more_books_run.json`",
          e=json_value(RUN10, "everyday_share"), b=books_per_batch(RUN10), n=json_value(RUN10, "batch_size"),
          seed=json_value(RUN10, "seed")),
    Quote(MODEL_README, "{s:,} steps set before it started, none changed", s=json_value(RUN10, "steps")),
    Quote(MODEL_README, "Wall-clock **{h:.1f} h** of training loop and\n**{c:.1f} h of CPU time**, at about {r:.1f} of the 2 cores "
                        "(load average {lo:.1f} to {hi:.1f}", **training_time(RUN10)),
    Quote(MODEL_README, "It offered {b:,} training\nsentences from the books and {e:,} everyday ones.",
          b=pool(RUN10, "books"), e=pool(RUN10, "everyday")),
    *[Quote(MODEL_README, TABLE_ROW, **table_row(RUN10, i)) for i in range(6)],
    Quote(MODEL_README, "It kept step {s:,}, its last, where the mean of the four top-1 scores is {m:.4f} against {m0:.4f} for run 9's\n"
                        "weights on the same sentences (novels' content words {nc0:.3f} to {nc:.3f}, BERT's blanks {n0:.3f} to {n:.3f}; everyday\n"
                        "content words {ec0:.3f} to {ec:.3f}, BERT's blanks {e0:.3f} to {e:.3f}). The mean first fell below its start (the\n"
                        "warm-up again) and passed it only at step {p:,}.",
          p=passed_start(RUN10), **kept_against_start(RUN10)),
    Quote(MODEL_README, "Cloze set, run 10's kept weights: everyday sentences {a1} of {en} right first and {a5} of {en} in the top 5\n"
                        "(run 6: {b1} and {b5}), novel-style ones {n1} of {nn} and {n5} of {nn}\n(run 6: {o1} and {o5}). "
                        "Against run 9 ({r1}, {r5}; {q1}, {q5})",
          **cloze_against_run6(RUN10_CARD), r1=cloze(RUN9_CARD, "everyday", "top1"), r5=cloze(RUN9_CARD, "everyday", "top5"),
          q1=cloze(RUN9_CARD, "novels", "top1"), q5=cloze(RUN9_CARD, "novels", "top5")),
    Quote(MODEL_README, "but {k} novel-style sentence fewer than run 6 has an acceptable word\nin its top 5",
          k=lambda: {1: "one"}.get(cloze(RUN6_CARD, "novels", "top5")() - cloze(RUN10_CARD, "novels", "top5")(), "(not one)")),
    # the second cloze set, which chose run 10 over run 6
    Quote(MODEL_README, "So we wrote {n} new sentences in the same two registers ({nn} novel-style, {en}\neveryday;",
          n=lambda: len(load_cloze(SECOND_SET_FILE)), nn=second("run10", "novels", "n"), en=second("run10", "everyday", "n")),
    *[Quote(path, f"| {label} | {{e1}} of {{en}} | {{e5}} of {{en}} | {{n1}} of {{nn}} | {{n5}} of {{nn}} |",
            e1=second(run, "everyday", "top1"), e5=second(run, "everyday", "top5"), en=second(run, "everyday", "n"),
            n1=second(run, "novels", "top1"), n5=second(run, "novels", "top5"), nn=second(run, "novels", "n"))
      for label, run in (("run 10", "run10"), ("run 6", "run6"), ("run 1 (novels only; answered after the decision)", "run1"))
      for path in (MODEL_README, CLOZE_README)],
    *[Quote(path, "Everyday {a} against {b}, novel-style {c} against {d}: ",
          a=second_sum("run10", "everyday"), b=second_sum("run6", "everyday"),
          c=second_sum("run10", "novels"), d=second_sum("run6", "novels")) for path in (MODEL_README, CLOZE_README)],
    Quote(MODEL_README, "ahead on the everyday top 5 on both ({a} and {b} against {c} and {d})",
          a=cloze(RUN10_CARD, "everyday", "top5"), b=second("run10", "everyday", "top5"), c=cloze(RUN6_CARD, "everyday", "top5"),
          d=second("run6", "everyday", "top5")),
    Quote(MODEL_README, "top 5 for {a} of {n} sentences ({p:.0%}), short of two in\nthree",
          a=second("run10", "everyday", "top5"), n=second("run10", "everyday", "n"),
          p=lambda: second("run10", "everyday", "top5")() / second("run10", "everyday", "n")()),
    Quote(MODEL_README, "the second set too, to see which set is more like the issue's held-out everyday sentences: {a1} of {n} right\n"
                        "first and {a5} of {n} in the top 5 ({p1:.0%} and {p5:.0%})",
          a1=second("run1", "everyday", "top1"), a5=second("run1", "everyday", "top5"), n=second("run1", "everyday", "n"),
          p1=lambda: second("run1", "everyday", "top1")() / second("run1", "everyday", "n")(),
          p5=lambda: second("run1", "everyday", "top5")() / second("run1", "everyday", "n")()),
    Quote(MODEL_README, "for the same model; on the first set it has {b1} of {bn} and {b5} of {bn}.",
          b1=cloze(BEFORE, "everyday", "top1"), b5=cloze(BEFORE, "everyday", "top5"), bn=cloze(BEFORE, "everyday", "n")),
    Quote(MODEL_README, "and on it run 10 is {a} one in three right first ({p:.0%}) and {b} two in three in the top 5.",
          p=lambda: second("run10", "everyday", "top1")() / second("run10", "everyday", "n")(),
          a=lambda: "above" if 3 * second("run10", "everyday", "top1")() > second("run10", "everyday", "n")() else "(not above)",
          b=lambda: "below" if 3 * second("run10", "everyday", "top5")() < 2 * second("run10", "everyday", "n")() else "(not below)"),
    # the eleventh run, shipped: run 10's weights at the first learning rate again, chosen by the third cloze set
    Quote(MODEL_README, "went on from run 10's kept weights at {lr} (head {hlr}), with run 9's flatter everyday mix at {e:.0%} everyday\n"
                        "({b} of {n} sentences from the books) and a new shuffle (`--seed {seed}`",
          lr=lr_text(RUN11, "lr"), hlr=lr_text(RUN11, "head_lr"), e=json_value(RUN11, "everyday_share"),
          b=books_per_batch(RUN11), n=json_value(RUN11, "batch_size"), seed=json_value(RUN11, "seed")),
    Quote(MODEL_README, "(AMD EPYC, AVX2, float32), {s:,} steps set before it started.", s=json_value(RUN11, "steps")),
    Quote(MODEL_README, "It offered {b:,} training sentences\nfrom the books and {e:,} everyday ones.",
          b=pool(RUN11, "books"), e=pool(RUN11, "everyday")),
    *[Quote(MODEL_README, TABLE_ROW, **table_row(RUN11, i)) for i in range(17)],
    Quote(MODEL_README, "the mean of the four top-1 scores fell from {m0:.4f} to {low:.4f}\nby step {s:,} and passed its start again only "
                        "at step {p:,}",
          m0=json_value(RUN11, "history", 0, "mask_accuracy"),
          low=lambda: min(r["mask_accuracy"] for r in json_value(RUN11, "history")()),
          s=lambda: min(json_value(RUN11, "history")(), key=lambda r: r["mask_accuracy"])["step"], p=passed_start(RUN11)),
    Quote(MODEL_README, "It kept step {s:,}, where that\nmean is {m:.4f} (everyday content words {ec0:.3f} to {ec:.3f}, BERT's blanks "
                        "{e0:.3f} to {e:.3f}; novels' content words\n{nc0:.3f} to {nc:.3f}, BERT's blanks {n0:.3f} to {n:.3f}): a gain of "
                        "{g:.4f}, {cmp}",
          s=json_value(RUN11, "best_step"), m=lambda: kept_record(RUN11)["mask_accuracy"], g=gain(RUN11),
          cmp=lambda: "more than run 10's and less than run 9's" if gain(RUN10)() < gain(RUN11)() < gain(RUN9)() else "(the order changed)",
          **start_and_kept(RUN11)),
    Quote(MODEL_README, "and under two hundredths{ok} on every register",
          ok=lambda: "" if max(abs(gain(RUN11, r)()) for r in ("novels", "novels_content", "everyday", "everyday_content")) < 0.02 else "(not)"),
    Quote(MODEL_README, "a third set ({nn} novel-style, {en} everyday sentences,",
          nn=third("run11", "novels", "n"), en=third("run11", "everyday", "n")),
    *[Quote(path, f"| {label} | {{e1}} of {{en}} | {{e5}} of {{en}} | {{n1}} of {{nn}} | {{n5}} of {{nn}} |",
            e1=third(run, "everyday", "top1"), e5=third(run, "everyday", "top5"), en=third(run, "everyday", "n"),
            n1=third(run, "novels", "top1"), n5=third(run, "novels", "top5"), nn=third(run, "novels", "n"))
      for label, run in (("run 11", "run11"), ("run 10", "run10"), ("run 1 (novels only; answered after the decision)", "run1"))
      for path in (MODEL_README, CLOZE_README)],
    # run 1 on the third set: which set is nearer the held-out sentences (13 of 42 in the top 5 for run 1)
    Quote(MODEL_README, "answered the third set too, after the decision: {a} of {n}\neveryday sentences with an acceptable word in the "
                        "top 5 ({p:.0%}), against {b} of {m} ({q:.0%}) on the second set",
          a=third("run1", "everyday", "top5"), n=third("run1", "everyday", "n"), b=second("run1", "everyday", "top5"),
          m=second("run1", "everyday", "n"), p=lambda: third("run1", "everyday", "top5")() / third("run1", "everyday", "n")(),
          q=lambda: second("run1", "everyday", "top5")() / second("run1", "everyday", "n")()),
    Quote(MODEL_README, "so its {a:.0%} for run 11 says less about the issue's sentences than the second set's {b:.0%}.",
          a=lambda: third("run11", "everyday", "top5")() / third("run11", "everyday", "n")(),
          b=lambda: second("run11", "everyday", "top5")() / second("run11", "everyday", "n")()),
    Quote(CLOZE_README, "for calibration (the row above): {a} of\n{n} everyday sentences in the top 5 ({p:.0%}), where they have {b} of "
                        "{m} on the second set",
          a=third("run1", "everyday", "top5"), n=third("run1", "everyday", "n"), b=second("run1", "everyday", "top5"),
          m=second("run1", "everyday", "n"), p=lambda: third("run1", "everyday", "top5")() / third("run1", "everyday", "n")()),
    Quote(MODEL_README, "Everyday {a} against {b}, novel-style {c} against {d}: both conditions hold, so run 11 ships",
          a=third_sum("run11", "everyday"), b=third_sum("run10", "everyday"), c=third_sum("run11", "novels"), d=third_sum("run10", "novels")),
    Quote(CLOZE_README, "Everyday {a} against {b} (at least {need_e} needed), novel-style {c} against {d} (at least {need_n} needed)",
          a=third_sum("run11", "everyday"), b=third_sum("run10", "everyday"), c=third_sum("run11", "novels"), d=third_sum("run10", "novels"),
          need_e=lambda: third_sum("run10", "everyday")() + 2, need_n=lambda: third_sum("run10", "novels")() - 1),
    *[Quote(path, "{k1} more sentence right\nfirst and {k5} fewer with an acceptable word in the top 5" if path == CLOZE_README else
                  "{k1} more right first, {k5} fewer in the top 5",
            k1=lambda: {1: "one"}.get(third("run11", "novels", "top1")() - third("run10", "novels", "top1")(), "(not one)"),
            k5=lambda: {2: "two"}.get(third("run10", "novels", "top5")() - third("run11", "novels", "top5")(), "(not two)"))
      for path in (MODEL_README, CLOZE_README)],
    Quote(MODEL_README, "The gain is mostly everyday answers right first ({k} more)",
          k=lambda: {4: "four"}.get(third("run11", "everyday", "top1")() - third("run10", "everyday", "top1")(), "(not four)")),
    Quote(MODEL_README, "On the first\nset it has two more everyday sentences right first and two fewer{ok} in the top 5 than run 10 ({a1} and {a5} "
                        "against\n{b1} and {b5})",
          a1=cloze(CARD, "everyday", "top1"), a5=cloze(CARD, "everyday", "top5"), b1=cloze(RUN10_CARD, "everyday", "top1"),
          b5=cloze(RUN10_CARD, "everyday", "top5"),
          ok=lambda: "" if (cloze(CARD, "everyday", "top1")() - cloze(RUN10_CARD, "everyday", "top1")(),
                            cloze(RUN10_CARD, "everyday", "top5")() - cloze(CARD, "everyday", "top5")()) == (2, 2) else "(not two)"),
    Quote(MODEL_README, "on the second, answered after the decision, {a1} and {a5} of {n} against run 10's {b1} and {b5} (novel-style\n"
                        "{c1} and {c5} of {m} against {d1} and {d5})",
          **RUN11_ON_SECOND_SET),
    Quote(MODEL_README, "its everyday top 5 is {a} of {n} ({p:.0%}): still\nbelow{ok} two in three.",
          a=second("run11", "everyday", "top5"), n=second("run11", "everyday", "n"),
          p=lambda: second("run11", "everyday", "top5")() / second("run11", "everyday", "n")(),
          ok=lambda: "" if 3 * second("run11", "everyday", "top5")() < 2 * second("run11", "everyday", "n")() else "(not below)"),
    Quote(CLOZE_README, "everyday {a1} of {n} right first\nand {a5} of {n} in the top 5 (run 10: {b1} and {b5}), novel-style {c1} of {m} "
                        "and {c5} of {m} (run 10: {d1} and {d5})",
          **RUN11_ON_SECOND_SET),
    Quote(CLOZE_README, "run 11: its kept weights (step {s:,} of\n{n:,}, chosen by its held-out evaluations)",
          s=json_value(RUN11, "best_step"), n=json_value(RUN11, "steps")),
    # the twelfth run: one long run from run 11's weights, decided by the fourth cloze set
    Quote(MODEL_README, "11's kept weights and settings (flatter everyday mix, {e:.0%} everyday, peak lr {lr}, head {hlr}), {s:,} steps\n"
                        "in one schedule, a new shuffle (`--seed {seed}`).",
          e=json_value(RUN12, "everyday_share"), lr=lr_text(RUN12, "lr"), hlr=lr_text(RUN12, "head_lr"),
          s=json_value(RUN12, "steps"), seed=json_value(RUN12, "seed")),
    Quote(MODEL_README, "(AMD EPYC, AVX2, float32), {s:,} steps set before it started. It spanned two sessions",
          s=json_value(RUN12, "steps")),
    Quote(MODEL_README, "Wall-clock **{h:.1f} h** of training loop and **{c:.1f} h of CPU time**,\nat about {r:.1f} of the 2 cores.",
          h=hours(RUN12), c=hours(RUN12, "cpu_s"), r=lambda: json_value(RUN12, "cpu_s")() / json_value(RUN12, "wall_clock_s")()),
    Quote(MODEL_README, "It offered {b:,} training sentences from the books and\n{e:,} everyday ones.",
          b=pool(RUN12, "books"), e=pool(RUN12, "everyday")),
    *[Quote(MODEL_README, TABLE_ROW, **table_row(RUN12, i)) for i in range(29)],
    Quote(MODEL_README, "The mean of the four top-1 scores fell from {m0:.4f} to {low:.4f} (step {s:,})",
          m0=json_value(RUN12, "history", 0, "mask_accuracy"),
          low=lambda: min(r["mask_accuracy"] for r in json_value(RUN12, "history")()[1:]),
          s=lambda: min(json_value(RUN12, "history")()[1:], key=lambda r: r["mask_accuracy"])["step"]),
    Quote(MODEL_README, "It kept step {s:,}, where that mean is {m:.4f} (everyday content words {ec0:.3f} to {ec:.3f}, BERT's blanks "
                        "{e0:.3f} to {e:.3f}; novels' content words {nc0:.3f} to {nc:.3f}, BERT's blanks {n0:.3f} to {n:.3f}).",
          s=json_value(RUN12, "best_step"), m=lambda: kept_record(RUN12)["mask_accuracy"], **start_and_kept(RUN12)),
    Quote(MODEL_README, "a fourth set ({nn} novel-style, {en}\neveryday sentences",
          nn=fourth("run12", "novels", "n"), en=fourth("run12", "everyday", "n")),
    *[Quote(path, f"| {label} | {{e1}} of {{en}} | {{e5}} of {{en}} | {{n1}} of {{nn}} | {{n5}} of {{nn}} |",
            e1=fourth(run, "everyday", "top1"), e5=fourth(run, "everyday", "top5"), en=fourth(run, "everyday", "n"),
            n1=fourth(run, "novels", "top1"), n5=fourth(run, "novels", "top5"), nn=fourth(run, "novels", "n"))
      for label, run in (("run 12", "run12"), ("run 11", "run11")) for path in (MODEL_README, CLOZE_README)],
    Quote(MODEL_README, FOURTH_RULE_TEXT, **FOURTH_RULE),
    Quote(CLOZE_README, FOURTH_RULE_TEXT + ": the\neveryday condition does not hold", **FOURTH_RULE),
    Quote(MODEL_README, "On the first cloze set run 12 has {a1} of {n} everyday sentences right first and\n{a5} of {n} in the top 5\n"
                        "(run 11: {b1} and {b5}), novel-style {c1} and {c5} of {m} (run 11: {d1} and {d5})",
          a1=cloze(RUN12_CARD, "everyday", "top1"), a5=cloze(RUN12_CARD, "everyday", "top5"), n=cloze(RUN12_CARD, "everyday", "n"),
          b1=cloze(CARD, "everyday", "top1"), b5=cloze(CARD, "everyday", "top5"),
          c1=cloze(RUN12_CARD, "novels", "top1"), c5=cloze(RUN12_CARD, "novels", "top5"), m=cloze(RUN12_CARD, "novels", "n"),
          d1=cloze(CARD, "novels", "top1"), d5=cloze(CARD, "novels", "top5")),
    Quote(MODEL_README, "(run 11: the mean of the four top-1 scores fell {m0:.4f} to {low:.4f} by step {s:,}\nand passed its start only at "
                        "step {p:,} of {n:,})", m0=json_value(RUN11, "history", 0, "mask_accuracy"),
          low=lambda: min(r["mask_accuracy"] for r in json_value(RUN11, "history")()),
          s=lambda: min(json_value(RUN11, "history")(), key=lambda r: r["mask_accuracy"])["step"], p=passed_start(RUN11),
          n=json_value(RUN11, "steps")),
    # what the everyday sentences still miss
    Quote(MODEL_README, "these weights have answered {n} everyday sentences", n=pooled("everyday", "n")),
    Quote(MODEL_README, "the right word first for {a} of them\nand an acceptable word in the top 5 for {b}.",
          a=pooled("everyday", "top1"), b=pooled("everyday", "top5")),
    Quote(MODEL_README, "third set out gives {a} of {n} right first and {b} of {n} in the top 5.",
          a=pooled("everyday", "top1", leave_out=("third",)), b=pooled("everyday", "top5", leave_out=("third",)),
          n=pooled("everyday", "n", leave_out=("third",))),
    *[Quote(MODEL_README, f'- "{sentence}" gets {{w}}.', w=answers(sentence))
      for sentence in ("The [MASK] meowed at the door to be let in.", "Bees make [MASK].",
                       "Please sit down and fasten your seat [MASK].", "She went to the [MASK] to have her tooth pulled.")],
    Quote(MODEL_README, "held-out parts included, {w:,} words;", w=training_words()),
    *[Quote(MODEL_README, f"| {label} | {{c}} |", c=occurrences(pattern))
      for label, pattern in (('"seat belt" (or "seatbelt", "seat-belt", or plural)', r"\bseat[- ]?belts?\b"),
                             ('"magnifying glass" (or "magnifying-glass")', r"\bmagnifying[- ]glass\b"),
                             ('"rubber boots" (or "rubber-boots")', r"\brubber[- ]boots\b"),
                             ('"honey bee" (or "honeybee", "honey-bee", or plural)', r"\bhoney[- ]?bees?\b"),
                             ('"traffic light" (or "traffic-light", or plural)', r"\btraffic[- ]lights?\b"))],
    Quote(MODEL_README, '"dentist" (or "dentists") occurs {c:,} times\nin those files, {d:,} of them in the booking dialogues.',
          c=occurrences(r"\bdentists?\b"), d=occurrences(r"\bdentists?\b", files=("data/everyday/sgd_dialogues.txt",))),
]
