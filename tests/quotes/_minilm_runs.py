"""minilm-mlm's records, shared by the minilm_mlm and lesson07 registries (a file starting with "_" is
not a registry): where each run's metrics and card live, and the values both quote from them."""
import functools
import re

from prose_numbers import ROOT, json_value

FOLDER = "data/pretrained/minilm-mlm/"
METRICS = FOLDER + "metrics.json"                    # run 11, the shipped weights (chosen by the third cloze set)
CARD = FOLDER + "card.json"
RUN10 = FOLDER + "more_books_run.json"               # run 10: run 9's mix, 26 of 64 from the books; shipped until run 11
RUN10_CARD = FOLDER + "card_more_books.json"
RUN6 = FOLDER + "everyday_80_run.json"               # run 6: 80% everyday English; shipped until run 10
RUN6_CARD = FOLDER + "card_everyday_80.json"
RUN5 = FOLDER + "half_lr_run.json"                   # run 5: run 4's settings at half the peak learning rate
RUN5_CARD = FOLDER + "card_half_lr.json"
RUN4 = FOLDER + "more_steps_run.json"                # run 4: run 3's settings, 6,000 more steps
RUN4_CARD = FOLDER + "card_more_steps.json"
RUN3 = FOLDER + "content_run.json"                   # run 3: the first with blanks on content words
RUN3_CARD = FOLDER + "card_content_words.json"
RUN2 = FOLDER + "everyday_run.json"                  # run 2: everyday English, BERT's blanks
RUN2_CARD = FOLDER + "card_everyday_bert_masks.json"
BEFORE = FOLDER + "card_novels_only.json"            # run 1: the novels only
RUN1 = "novels_run.json"
NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine",
                10: "ten", 11: "eleven", 12: "twelve"}
RUN7 = FOLDER + "run7_not_shipped.json"              # run 7: run 6's settings, 6,000 more steps; not shipped
RUN7_CARD = FOLDER + "card_run7_not_shipped.json"
RUN8 = FOLDER + "run8_not_shipped.json"              # run 8: run 6's settings, a quarter of the SGD dialogues; not shipped
RUN8_CARD = FOLDER + "card_run8_not_shipped.json"
RUN9 = FOLDER + "run9_not_shipped.json"              # run 9: run 6's settings, everyday sources by size ** 0.3; not shipped
RUN9_CARD = FOLDER + "card_run9_not_shipped.json"
RUN12 = FOLDER + "run12_not_shipped.json"             # run 12: run 11's weights and settings, 14,000 steps; not shipped
RUN12_CARD = FOLDER + "card_run12_not_shipped.json"
RUN11 = METRICS                                      # run 11: run 10's weights, 70% everyday, peak lr 1e-4, 8,000 steps
RUN11_CARD = CARD


def line_behind(path=METRICS):
    """The runs whose kept weights the weights of ``path`` continue, oldest first and ``path`` last, from run 2 on:
    each record names the record of the run it went on from (``continues``), back to the novels-only run 1."""
    line = []
    while not path.endswith(RUN1):
        if path in line:
            raise ValueError(f"{path}: the records' 'continues' fields go round in a circle")
        line.insert(0, path)
        path = FOLDER + json_value(path, "continues")()
    return tuple(line)


SHIPPED_LINE = line_behind()      # the runs that made the shipped weights after run 1, from the records themselves


def on_set(which, run, register, key, path=METRICS):
    """A run's counts on the ``which`` ("second", "third", "fourth") cloze set, as the record at ``path`` stores them
    (the shipped record, or run 12's for the fourth set)."""
    return json_value(path, f"{which}_cloze_set", run, register, key)


def set_sum(which, run, register, path=METRICS):
    """A run's right-first plus top-5 count on the ``which`` cloze set: what that set's rule compares."""
    return lambda: on_set(which, run, register, "top1", path)() + on_set(which, run, register, "top5", path)()


second, third = functools.partial(on_set, "second"), functools.partial(on_set, "third")     # runs 10, 6, 1, 11 / 11, 10
second_sum, third_sum = functools.partial(set_sum, "second"), functools.partial(set_sum, "third")


def cloze(path, register, key):
    return json_value(path, "cloze", register, key)


def total(key, *paths):
    return lambda: sum(json_value(path, key)() for path in paths)


def hours(path, key="wall_clock_s"):
    return lambda: json_value(path, key)() / 3600


def kept_record(path=METRICS, step_key="best_step"):
    """The held-out evaluation of the weights a run kept (its best_step), or of another step its record
    names (run 8's compared_step: the one compared on the cloze set)."""
    return next(r for r in json_value(path, "history")() if r["step"] == json_value(path, step_key)())


def kept(register, key, path=METRICS):
    """The held-out score of the weights a run kept."""
    return lambda: kept_record(path)[register][key]


def start_and_kept(path=METRICS):
    """The four held-out top-1 scores at a run's step 0 and at the step it kept, as the quotes name them:
    ec0/ec (everyday, content words), e0/e (everyday, BERT's blanks), nc0/nc and n0/n (the novels)."""
    values = {}
    for short, register in (("ec", "everyday_content"), ("e", "everyday"), ("nc", "novels_content"), ("n", "novels")):
        values[short + "0"] = json_value(path, "history", 0, register, "mask_accuracy")
        values[short] = kept(register, "mask_accuracy", path)
    return values


def gain(path=METRICS, register=None):
    """How far a run's kept weights are above its step 0 in held-out top-1: one register's, or (None) the
    mean of the four."""
    def value():
        start, end = json_value(path, "history", 0)(), kept_record(path)
        return (end[register] if register else end)["mask_accuracy"] - (start[register] if register else start)["mask_accuracy"]
    return value


def passed_start(path=METRICS):
    """The first evaluation after step 0 whose mean top-1 of the four columns beat step 0's."""
    return lambda: next(r["step"] for r in json_value(path, "history")()[1:]
                        if r["mask_accuracy"] > json_value(path, "history", 0, "mask_accuracy")())


def cloze_gain(path, before, register, key):
    """How many more cloze sentences ``path``'s card has than ``before``'s."""
    return lambda: cloze(path, register, key)() - cloze(before, register, key)()


def same(*values):
    """A value the prose gives once for several runs: if the runs differ, the quote cannot match."""
    return lambda: values[0]() if len({v() for v in values}) == 1 else "(the runs differ)"


def sentences_read(*later):
    """What runs 2 to 6 read together, and ``later`` runs (run 1 read the novels only): every step they ran x batch
    size, the steps after the one a run kept included."""
    return total("steps", RUN2, RUN3, RUN4, RUN5, RUN6, *later)() * json_value(RUN6, "batch_size")()


def step_at(path, index):
    """The step of a run's ``index``-th held-out evaluation (0: its start), for prose such as "after 500 steps"."""
    return json_value(path, "history", index, "step")


def steps_between(path, first, last=-1):
    """How many steps lie between two of a run's held-out evaluations ("its last 1,000 steps")."""
    return lambda: step_at(path, last)() - step_at(path, first)()


def kept_steps(*paths):
    """The steps behind a run's kept weights, summed along a line of runs: each run went on from the step the one
    before kept (its best_step), so the steps after it are not in the weights that followed."""
    return total("best_step", *paths)


def weights_read(*paths):
    """The sentences behind the weights the last of ``paths`` kept, a line of runs from run 2 on: kept steps x
    batch size (what its card says it read)."""
    return lambda: kept_steps(*paths)() * json_value(RUN6, "batch_size")()


def sgd_held_out(path):
    """How many of a run's held-out everyday sentences are SGD's (its seed's draw)."""
    return lambda: held_out_files(path)["sgd_dialogues"]


def held_out_files(path):
    """``{file: count}`` of a run's held-out everyday sentences: drawn by size, or evenly per file for a run
    with --source-alpha (run 9)."""
    return _held_out_sources(json_value(path, "held_out")(), json_value(path, "seed")(),
                             "source_alpha" in json_value(path)())


@functools.lru_cache(maxsize=None)
def _held_out_sources(held_out, seed, per_file):
    """Counted once per draw: the model README and lesson 7 both quote it, and each count reads and
    tokenizes the held-out documents."""
    from bertbook.minilm_mlm import everyday_held_out_sources
    from bertbook.tokenizer import load_tokenizer
    return everyday_held_out_sources(load_tokenizer("minilm"), held_out, seed, per_file=per_file)


@functools.lru_cache(maxsize=None)
def source_sizes(seed):
    """The everyday sources' training sentences for a run's seed (SGD thinned as by default)."""
    from bertbook.minilm_mlm import everyday_source_sizes
    from bertbook.tokenizer import load_tokenizer
    return everyday_source_sizes(load_tokenizer("minilm"), seed)


PLAIN_TEXT = ("onestop_advanced", "onestop_elementary", "onestop_intermediate", "clinc150_wiki_sentences",
              "wikitext2_valid_test", "squad", "snli")        # news, Wikipedia, photo captions: plain descriptive text


def source_share(path, *sources):
    """Percent of a run's everyday pool from ``sources``: by size, or as its --source-alpha weighs them."""
    def value():
        from bertbook.minilm_mlm import source_shares
        record = json_value(path)()
        shares = source_shares(source_sizes(record["seed"]), record.get("source_alpha", 1.0))
        return 100 * sum(shares[s] for s in sources)
    return value


fourth = functools.partial(on_set, "fourth", path=RUN12)                                      # runs 12, 11
fourth_sum = functools.partial(set_sum, "fourth", path=RUN12)


def pooled(register, key, *, leave_out=()):
    """The shipped weights' count over the four cloze sets they answered (the first on the card, the others in the
    records of their decisions), ``leave_out`` naming sets to skip ("third"); ``key`` "top1", "top5" or "n"."""
    parts = {"first": cloze(CARD, register, key), "second": second("run11", register, key),
             "third": third("run11", register, key), "fourth": fourth("run11", register, key)}
    return lambda: sum(value() for name, value in parts.items() if name not in leave_out)


# The files minilm-mlm's training text comes from: the books, the everyday files, the task sets' files (their
# held-out parts included), as the model README's count of phrases says.
TRAINING_TEXT_DIRS = ("data/corpus", "data/corpus_more", "data/everyday", "data/snli", "data/squad", "data/sst2")


@functools.cache
def _training_text(files: tuple = ()) -> str:
    """That text (or just ``files``) in lower case, every run of white space one space (a book's phrase may break
    across lines)."""
    paths = ([ROOT / f for f in files] if files else
             sorted(p for d in TRAINING_TEXT_DIRS for p in (ROOT / d).iterdir() if p.is_file() and p.suffix != ".md"))
    return re.sub(r"\s+", " ", " ".join(p.read_text(encoding="utf-8") for p in paths)).lower()


def occurrences(pattern, files=()):
    """How many times the regular expression ``pattern`` (lower case) occurs in that text, or in ``files``."""
    return lambda: len(re.findall(pattern, _training_text(tuple(files))))


def training_words(scale=1):
    """How many words that text has, times ``scale`` (1e-6: millions)."""
    return lambda: len(_training_text().split()) * scale


def answers(sentence, n=3):
    """The shipped weights' first ``n`` answers for ``sentence``, as the README lists them."""
    def value():
        from bertbook.fill_mask import fill_mask
        return ", ".join(word for word, _ in fill_mask(sentence, k=n))
    return value
