"""The mixed library minilm-mlm is retrained on: the books plus everyday English, held out per file
by whole documents, and batches that mix the two in a fixed share, deterministic in the step."""
import os
import random
from types import SimpleNamespace

import pytest

from bertbook.corpus import EVERYDAY_LINE_FILES, LINES_PER_DOCUMENT, load_everyday
from bertbook.minilm_mlm import EVERYDAY_EVAL_FRACTION, _slice_for, everyday_sentences, task_texts
from bertbook.tokenizer import load_tokenizer


@pytest.fixture(scope="module")
def everyday():
    return load_everyday()


class _EncodedOnce:
    """MiniLM's tokenizer that remembers each sentence's ids. The tests below read the same ~480,000
    everyday sentences with several settings (``sgd_keep``, ``seed``, ``source_alpha``), and each full
    tokenization is most of a test's time; ``encode_batch`` gives what the tokenizer gives."""

    def __init__(self, tokenizer):
        self._tokenizer, self._ids = tokenizer, {}

    def encode_batch(self, texts):
        new = [t for t in dict.fromkeys(texts) if t not in self._ids]
        self._ids.update((t, e.ids) for t, e in zip(new, self._tokenizer.encode_batch(new)))
        return [SimpleNamespace(ids=list(self._ids[t])) for t in texts]

    def __getattr__(self, name):
        return getattr(self._tokenizer, name)


@pytest.fixture(scope="module")
def tok(everyday):
    """The caching tokenizer, and the everyday files parsed once (``load_everyday`` is called by each
    split; nothing changes the documents)."""
    import bertbook.corpus as corpus
    real = load_tokenizer("minilm")
    sample = ["Can you show me my alarms?", "She put the milk back in the fridge.", "Can you show me my alarms?"]
    cached = _EncodedOnce(real)
    assert [e.ids for e in cached.encode_batch(sample)] == [e.ids for e in real.encode_batch(sample)]
    parse = corpus.load_everyday
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(corpus, "load_everyday", lambda *args: everyday if not args else parse(*args))
        yield cached


@pytest.fixture(scope="module")
def tokenized_once(tok):
    """The runs below build ContinuedPretraining three times, and each would tokenize the whole
    library (about 480,000 sentences): computed once, through the caching tokenizer above (the
    everyday sentences the earlier tests encoded are not encoded again)."""
    import bertbook.minilm_mlm as minilm_mlm
    from tests.conftest import minilm_token_ids_once
    with minilm_token_ids_once(minilm_mlm, ("library_sentences", "everyday_sentences"), through=tok) as cache:
        yield cache


def test_every_everyday_file_is_read_as_documents(everyday):
    files = {d.name.split("/")[0] for d in everyday}
    assert files == {"sgd_dialogues", "taskmaster4_dialogues", "onestop_elementary", "onestop_intermediate",
                     "onestop_advanced", "clinc150_utterances", "clinc150_wiki_sentences", "wikitext2_valid_test"}
    sgd = [d for d in everyday if d.name.startswith("sgd_dialogues/")]
    assert len(sgd) == 17193                                # one per dialogue (data/everyday/SOURCES.md)
    lines = [d for d in everyday if d.name.split("/")[0] in EVERYDAY_LINE_FILES]
    assert max(len(d.sentences) for d in lines) == LINES_PER_DOCUMENT


def test_wikitext_markup_is_undone(everyday):
    wiki = [s for d in everyday if d.name.startswith("wikitext") for s in d.sentences]
    assert wiki and not any("<unk>" in s or "@-@" in s or s.startswith("=") for s in wiki)


def test_held_out_documents_are_never_trained_on(tok):
    train, held_out = everyday_sentences(tok, held_out=300)
    assert len(held_out) == 300 and len(train) > 100_000
    train_set = {tuple(ids) for ids in train}
    # formulaic turns recur across dialogues ("I am glad I could help. Have a nice day!"), so a few
    # held-out sentences equal a training one; whole held-out documents make that rare
    long_ones = [ids for ids in held_out if len(ids) > 12]
    repeated = [ids for ids in long_ones if tuple(ids) in train_set]
    assert len(repeated) < 0.05 * len(long_ones), [tok.decode(ids) for ids in repeated]
    assert all(6 <= len(ids) <= 64 for ids in train + held_out)
    assert 0 < EVERYDAY_EVAL_FRACTION < 0.1


def test_sgd_keep_thins_the_booking_dialogues_only_and_leaves_the_held_out_draw_alone(tok, everyday):
    """--sgd-keep (run 8) keeps fewer of SGD's dialogues; the held-out sentences, which runs are
    compared on, must not move with it."""
    train, held_out = everyday_sentences(tok, held_out=300)
    fewer, same_held_out = everyday_sentences(tok, held_out=300, sgd_keep=0.05)
    assert same_held_out == held_out
    sgd = {s for d in everyday if d.name.startswith("sgd_dialogues") for s in d.sentences}
    sgd_ids = {tuple(e.ids) for e in tok.encode_batch(sorted(sgd))}
    in_sgd = lambda pool: sum(tuple(ids) in sgd_ids for ids in pool)       # noqa: E731
    assert in_sgd(fewer) < 0.4 * in_sgd(train)                             # about a quarter, 0.05 / 0.2
    assert len(train) - len(fewer) == in_sgd(train) - in_sgd(fewer)        # nothing else was dropped
    # the held-out sentences' files, as everyday_held_out_sources counts them (the model README quotes it)
    from bertbook.minilm_mlm import everyday_held_out_sources
    sources = everyday_held_out_sources(tok, held_out=300)
    assert sum(sources.values()) == 300
    # a short turn of another dialogue file ("Thank you.") can also be an SGD sentence, hence the slack
    assert 0 <= in_sgd(held_out) - sources["sgd_dialogues"] <= 3 and sources["sgd_dialogues"] > 0.7 * 300


def test_task_texts_read_only_the_training_splits():
    from bertbook.task_datasets import load_snli, load_squad
    texts = set(task_texts())
    assert not {r["premise"] for r in load_snli("validation")} & texts      # SNLI is split by premise
    assert not {q["context"].split(". ")[0] for q in load_squad("validation")} & texts
    assert {r["hypothesis"] for r in load_snli("train")} <= texts


def test_batches_mix_the_pools_in_order_and_wrap():
    pool = list(range(10))
    assert _slice_for(pool, 0, 3) == [0, 1, 2] and _slice_for(pool, 2, 3) == [6, 7, 8]
    assert _slice_for(pool, 3, 3) == [0, 1, 2]               # a new pass: the 10th item, left over, is never read
    assert _slice_for(pool, 5, 0) == []
    rng = random.Random(0)
    steps = [rng.randrange(1000) for _ in range(20)]
    # any step: the pool read in passes of whole batches (8 of the 10 items for batches of 4), wrapping round
    assert all(_slice_for(pool, s, 4) == pool[(4 * s) % 8:(4 * s) % 8 + 4] for s in steps)


@pytest.mark.slow
def test_a_mixed_run_reports_each_register_and_mixes_its_batches(tmp_path, tokenized_once):
    from bertbook.minilm_mlm import ContinuedPretraining
    run = ContinuedPretraining(tmp_path / "mixed", steps=2, batch_size=8, held_out=16, warmup_steps=1, save_every=2,
                               eval_every=2, everyday_share=0.75, whole_word_masking=True, log=lambda *_: None)
    assert run.settings["library"] and run.settings["everyday_share"] == 0.75
    batch = run.batch_for(1)
    assert batch["input_ids"].shape[0] == 8
    lengths = [int(m.sum()) for m in batch["attention_mask"]]
    expected = [len(s) for s in _slice_for(run.train_sentences, 1, 2) + _slice_for(run.everyday_sentences, 1, 6)]
    assert lengths == expected                           # 2 from the books, then 6 everyday, in order
    history = run.train()
    last = history[-1]
    assert set(last) >= {"novels", "everyday", "mask_accuracy"}
    assert last["mask_accuracy"] == pytest.approx((last["novels"]["mask_accuracy"] + last["everyday"]["mask_accuracy"]) / 2)
    assert (tmp_path / "mixed" / "best" / "mlm.safetensors").is_file()
    with pytest.raises(ValueError, match="everyday_share"):
        ContinuedPretraining(tmp_path / "bad", steps=1, everyday_share=1.0, log=lambda *_: None)


@pytest.mark.slow
def test_the_command_records_how_many_sentences_each_register_offers(tmp_path, tokenized_once):
    """The model README says how many times over each register was read; that needs the pool sizes,
    which depend on the held-out draw (the seed), so the finished run's record carries them."""
    import json
    from bertbook.minilm_mlm import ContinuedPretraining, main
    args = dict(steps=1, batch_size=8, held_out=16, warmup_steps=1, save_every=1, eval_every=1, everyday_share=0.75,
                whole_word_masking=True)
    main(["--steps", "1", "--batch-size", "8", "--held-out", "16", "--warmup-steps", "1", "--save-every", "1",
          "--eval-every", "1", "--everyday-share", "0.75", "--whole-word-masking",
          "--run-dir", str(tmp_path / "run"), "--out", str(tmp_path / "final")])
    report = json.loads((tmp_path / "final" / "metrics.json").read_text())
    pools = ContinuedPretraining(tmp_path / "again", log=lambda *_: None, **args)
    assert report["training_sentences"] == {"books": len(pools.train_sentences), "everyday": len(pools.everyday_sentences)}
    assert min(report["training_sentences"].values()) > 1000
    assert report["best_step"] in (0, 1) and (tmp_path / "final" / "mlm.safetensors").is_file()


def test_common_words_are_counted_not_listed():
    from bertbook.minilm_mlm import common_words
    tok = load_tokenizer("minilm")
    sentences = [tok.encode(s).ids for s in ["The ship and the sea and the sky.", "The whale, and the sea!"] * 3]
    common = common_words(sentences, tok, top=2)
    names = {tok.id_to_token(i) for i in common}
    assert {"the", "and"} <= names and "sea" not in names and "whale" not in names     # the two most frequent
    assert {",", ".", "!", "1"} <= names                                # no letter: always common
    assert not any(n.startswith("[") for n in names if any(c.isalpha() for c in n))   # no [CLS] / [SEP]


@pytest.mark.slow
def test_content_word_run_scores_both_mask_rules_and_may_switch_bf16(tmp_path, tokenized_once):
    """--content-words: the training blanks move off the common words, the held-out scores come in
    both rules (BERT's and content words only); --bf16 is a speed setting a run may resume with."""
    from bertbook.minilm_mlm import ContinuedPretraining
    kw = dict(steps=2, batch_size=8, held_out=16, warmup_steps=1, save_every=1, eval_every=2, everyday_share=0.75,
              whole_word_masking=True, log=lambda *_: None)
    run = ContinuedPretraining(tmp_path / "cw", content_words=1.0, **kw)
    assert run.settings["content_words"] == 1.0 and "the" in {run.tokenizer.id_to_token(i) for i in run.common}
    blanks = [t for s in range(20) for t in run.batch_for(s)["labels"].flatten().tolist() if t != -100]
    assert sum(t in run.common for t in blanks) < 0.1 * len(blanks)
    for register in ("novels", "everyday"):         # same sentences, same number of blanks, other words
        plain, content = run.eval_sets[register], run.eval_sets[f"{register}_content"]
        assert [b["input_ids"].shape[0] for b in plain] == [b["input_ids"].shape[0] for b in content]
        share = [sum(t in run.common for t in labels) / len(labels) for labels in
                 ([t for b in batches for t in b["labels"].flatten().tolist() if t != -100] for batches in (plain, content))]
        assert share[0] > 0.4 and share[1] < 0.05
    run.train(max_minutes=0)                       # one step in float32, then resumed under bf16
    resumed = ContinuedPretraining(tmp_path / "cw", content_words=1.0, bf16=True, **kw)
    assert resumed.step == 1
    history = resumed.train()
    assert history[-1]["bf16"] is True and set(history[-1]) >= {"novels_content", "everyday_content"}
    means = [history[-1][r]["mask_accuracy"] for r in ("novels", "novels_content", "everyday", "everyday_content")]
    assert history[-1]["mask_accuracy"] == pytest.approx(sum(means) / 4)
    with pytest.raises(ValueError, match="content_words is a probability"):
        ContinuedPretraining(tmp_path / "bad", content_words=1.5, **kw)


def test_source_pool_gives_each_source_its_share_of_size_to_the_alpha():
    """--source-alpha (run 9): shares in proportion to n ** alpha, the pool as large as all sources."""
    from bertbook.minilm_mlm import source_pool
    sources = {"big": [("big", i) for i in range(1000)], "small": [("small", i) for i in range(10)]}
    count = lambda pool, name: sum(item[0] == name for item in pool)         # noqa: E731
    by_size = source_pool(sources, 1.0)
    assert count(by_size, "big") == 1000 and count(by_size, "small") == 10
    alike = source_pool(sources, 0.0)
    assert count(alike, "big") == count(alike, "small") == 505
    assert set(alike) >= set(sources["small"])                                # the small one read many times over
    half = source_pool(sources, 0.5, seed=1)
    assert count(half, "big") == round(1010 * 1000 ** 0.5 / (1000 ** 0.5 + 10 ** 0.5))
    assert len(half) == 1010 and half == source_pool(sources, 0.5, seed=1) != source_pool(sources, 0.5, seed=2)
    with pytest.raises(ValueError, match="source_alpha is an exponent"):
        source_pool(sources, 1.5)


def test_source_alpha_draws_the_held_out_sentences_evenly_from_the_files_and_thins_the_big_sources(tok, everyday):
    """Run 9's pool: SGD and SST-2 no longer over half of it; its held-out everyday sentences come from
    every file alike (the default draw is 85% booking turns), and are still not training text."""
    from bertbook.minilm_mlm import ContinuedPretraining, everyday_held_out_sources
    train, held_out = everyday_sentences(tok, held_out=300, seed=6, source_alpha=0.3)
    sources = everyday_held_out_sources(tok, held_out=300, seed=6, per_file=True)
    assert sum(sources.values()) == len(held_out) == 300
    assert max(sources.values()) - min(sources.values()) <= 1 and len(sources) == 8
    sgd = {s for d in everyday if d.name.startswith("sgd_dialogues") for s in d.sentences}
    sgd_ids = {tuple(e.ids) for e in tok.encode_batch(sorted(sgd))}
    assert sum(tuple(ids) in sgd_ids for ids in train) < 0.2 * len(train)      # 28% of the pool by size
    # the pool keeps the sources' total size (each source's count is rounded), as the model README says
    from bertbook.minilm_mlm import everyday_source_sizes
    sizes = everyday_source_sizes(tok, seed=6)
    assert abs(sum(sizes.values()) - len(train)) <= len(sizes) and len(sizes) == 11
    train_set = {tuple(ids) for ids in train}
    long_ones = [ids for ids in held_out if len(ids) > 12]
    assert sum(tuple(ids) in train_set for ids in long_ones) < 0.05 * len(long_ones)
    with pytest.raises(ValueError, match="everyday_share > 0"):
        ContinuedPretraining("unused", source_alpha=0.3)


def test_bf16_on_a_cpu_without_bfloat16_warns_before_training(monkeypatch, tmp_path):
    """Run 9's machine took 25 times as long a step under emulated bfloat16: the run says so at once."""
    import bertbook.minilm_mlm as mm
    flags = set(open("/proc/cpuinfo").read().split()) if os.path.exists("/proc/cpuinfo") else set()
    if flags & {"avx512_bf16", "amx_bf16"}:                   # this machine's answer agrees with its CPU flags
        assert mm.cpu_has_bfloat16()
    elif flags and not any(f.startswith("avx512") for f in flags):   # AVX2 at most (run 9's machine): emulated
        assert not mm.cpu_has_bfloat16()
    monkeypatch.setattr(mm, "cpu_has_bfloat16", lambda: False)
    monkeypatch.setattr(mm, "library_sentences", lambda tok, held_out, seed=0: ([[101, 2000, 102]] * 8, [[101, 2000, 102]] * 2))
    said = []
    mm.ContinuedPretraining(tmp_path / "run", bf16=True, library=True, held_out=2, device="cpu", log=said.append)
    assert any("--bf16" in line and "without bfloat16" in line for line in said)
    said.clear()
    monkeypatch.setattr(mm, "cpu_has_bfloat16", lambda: True)
    mm.ContinuedPretraining(tmp_path / "run", bf16=True, library=True, held_out=2, device="cpu", log=said.append)
    assert not any("without bfloat16" in line for line in said)
