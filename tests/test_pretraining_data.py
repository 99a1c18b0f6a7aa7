"""Pretraining examples: BERT's masking statistics, NSP pairs, determinism, layout.

The provenance tests use a synthetic corpus whose every word names its document and sentence
("d3s17"), so where each token of an example came from can be read off directly, independently of
the code under test."""
import collections
import random

import pytest
import torch
from tokenizers import Tokenizer, models, pre_tokenizers

from bertbook.corpus import Document, load_corpus
from bertbook.pretraining_data import (VocabInfo, collate, create_pretraining_examples, mask_tokens,
                                       remask)
from bertbook.tokenizer import SPECIAL_TOKENS, load_tokenizer


@pytest.fixture(scope="module")
def tok():
    return load_tokenizer("bertbook")


@pytest.fixture(scope="module")
def real_examples(tok):
    """About 10k examples from the shipped books (seq 128, BERT's defaults)."""
    docs = load_corpus()
    return create_pretraining_examples(docs, tok, max_seq_length=128, seed=7)


def synthetic(n_docs=6, n_sent=120, seed=0):
    """Documents whose words say where they come from: sentence j of document k is 'dksj' x len."""
    rng = random.Random(seed)
    docs, vocab = [], {t: i for i, t in enumerate(SPECIAL_TOKENS)}
    for k in range(n_docs):
        sents = []
        for j in range(n_sent):
            w = f"d{k}s{j}"
            vocab[w] = len(vocab)
            sents.append(" ".join([w] * rng.randint(2, 14)))
        docs.append(Document(f"doc{k}", sents))
    t = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    t.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return docs, t


def where(token: str) -> tuple[int, int]:
    d, s = token[1:].split("s")
    return int(d), int(s)


def test_masking_statistics_match_bert(real_examples, tok):
    assert len(real_examples) >= 10_000
    n_tokens = sum(len(ex) for ex in real_examples)
    kinds = collections.Counter(k for ex in real_examples for k in ex.masked_kinds)
    n_masked = sum(kinds.values())
    assert abs(n_masked / n_tokens - 0.15) < 0.01
    assert abs(kinds["mask"] / n_masked - 0.8) < 0.01
    assert abs(kinds["random"] / n_masked - 0.1) < 0.01
    assert abs(kinds["keep"] / n_masked - 0.1) < 0.01
    mask_id = tok.token_to_id("[MASK]")
    specials = {tok.token_to_id(s) for s in SPECIAL_TOKENS}
    changed = 0
    for ex in real_examples:
        assert len(ex.masked_positions) <= 20
        assert ex.masked_positions == sorted(set(ex.masked_positions))
        original = ex.original_ids()
        for p, label, kind in zip(ex.masked_positions, ex.masked_labels, ex.masked_kinds):
            assert label == original[p] and label not in specials        # [CLS]/[SEP] are never picked
            if kind == "mask":
                assert ex.input_ids[p] == mask_id
            elif kind == "keep":
                assert ex.input_ids[p] == label
            else:
                assert ex.input_ids[p] not in specials
                changed += ex.input_ids[p] != label
        unmasked = set(range(len(ex))) - set(ex.masked_positions)
        assert all(ex.input_ids[i] != mask_id for i in unmasked)
        assert ex.tokens == [tok.id_to_token(i) for i in ex.input_ids]
    assert changed > 0.95 * kinds["random"]           # a random token is (almost always) a different one


def test_nsp_balanced_and_negatives_from_another_document():
    docs, t = synthetic()
    examples = create_pretraining_examples(docs, t, max_seq_length=64, seed=3)
    share = sum(ex.is_random_next for ex in examples) / len(examples)
    assert 0.44 < share < 0.56, share
    seen = set()
    for ex in examples:
        orig = [t.id_to_token(i) for i in ex.original_ids()]
        sep = orig.index("[SEP]")
        a = [where(w) for w in orig[1:sep]]
        b = [where(w) for w in orig[sep + 1:-1]]
        assert len({d for d, _ in a}) == 1 and len({d for d, _ in b}) == 1   # each segment from one document
        if ex.is_random_next:
            assert a[0][0] != b[0][0]                 # a negative B comes from *another* document
        else:
            assert a[0][0] == b[0][0]
            assert max(s for _, s in a) < min(s for _, s in b)        # B really follows A
            for seg in (a, b):          # each segment is running text (truncation may trim its ends only)
                sents = sorted({s for _, s in seg})
                assert sents == list(range(sents[0], sents[-1] + 1))
            seen.update(b)
        seen.update(a)
    # the sentences skipped for a random B are put back: (almost) every sentence is used in A or a true B
    assert len(seen) / (6 * 120) > 0.95


def test_same_seed_same_examples_and_other_seed_differs():
    docs, t = synthetic(n_docs=3, n_sent=60)
    one = create_pretraining_examples(docs, t, max_seq_length=48, seed=11)
    two = create_pretraining_examples(docs, t, max_seq_length=48, seed=11)
    other = create_pretraining_examples(docs, t, max_seq_length=48, seed=12)
    assert one == two
    assert one != other


def test_layout_special_tokens_and_segment_ids(real_examples):
    short = 0
    for ex in real_examples:
        assert len(ex) <= 128 and len(ex.segment_ids) == len(ex)
        orig = ex.original_ids()
        seps = [i for i, x in enumerate(orig) if x == 3]
        assert orig[0] == 2 and orig.count(2) == 1                        # one [CLS], first
        assert len(seps) == 2 and seps[1] == len(ex) - 1 and 1 < seps[0] < len(ex) - 2
        assert ex.segment_ids == [0] * (seps[0] + 1) + [1] * (len(ex) - seps[0] - 1)
        short += len(ex) < 100
    assert 0.05 < short / len(real_examples) < 0.2                       # short_seq_prob = 0.1


def test_whole_word_masking_masks_whole_words(tok):
    docs = [Document(d.name, d.sentences[:400]) for d in load_corpus()[:3]]
    info = VocabInfo.from_tokenizer(tok)

    def partial_words(examples):
        bad = 0
        for ex in examples:
            orig, masked = ex.original_ids(), set(ex.masked_positions)
            words, i = [], 1
            for j in range(1, len(orig)):
                if not info.is_continuation(orig[j]) or orig[j - 1] in (2, 3):
                    words.append([j])
                else:
                    words[-1].append(j)
            bad += sum(0 < len(masked & set(w)) < len(w) for w in words)
        return bad

    wwm = create_pretraining_examples(docs, tok, whole_word_masking=True, seed=5)
    assert partial_words(wwm) == 0
    assert sum(any(info.is_continuation(l) for l in ex.masked_labels) for ex in wwm) > 50   # ## pieces were masked
    assert partial_words(create_pretraining_examples(docs, tok, whole_word_masking=False, seed=5)) > 50


def test_mask_tokens_respects_budget_and_is_seeded(tok):
    ids = tok.encode("the whale swam under the ship and the sailors cheered loudly", add_special_tokens=True).ids
    a = mask_tokens(ids, random.Random(1), tok, masked_lm_prob=0.15, max_predictions_per_seq=20)
    b = mask_tokens(ids, random.Random(1), tok, masked_lm_prob=0.15, max_predictions_per_seq=20)
    assert a == b
    assert len(a[1]) == round(len(ids) * 0.15)
    assert len(mask_tokens(ids, random.Random(1), tok, masked_lm_prob=0.5, max_predictions_per_seq=3)[1]) == 3


def test_content_word_masking_moves_blanks_not_their_number(tok):
    """``common`` + ``pass_over``: the same number of blanks, fewer on common words; off (the
    default, BERT's rule) it draws exactly what it drew before the option existed."""
    ids = tok.encode("the whale swam under the ship and the sailors cheered loudly at the sea",
                     add_special_tokens=True).ids
    common = frozenset(tok.token_to_id(w) for w in ("the", "and", "at", "under"))
    plain = mask_tokens(ids, random.Random(3), tok, masked_lm_prob=0.3)
    assert mask_tokens(ids, random.Random(3), tok, masked_lm_prob=0.3, common=common, pass_over=0.0) == plain
    on_common = {False: 0, True: 0}
    for seed in range(200):
        for pass_over in (False, True):
            _, positions, labels, _ = mask_tokens(ids, random.Random(seed), tok, masked_lm_prob=0.3,
                                                  common=common, pass_over=float(pass_over))
            assert len(positions) == len(plain[1])                        # as many blanks either way
            on_common[pass_over] += sum(label in common for label in labels)
    assert on_common[False] > 300             # 7 of 15 words are common: about 0.47 x 4 x 200 by chance
    assert on_common[True] == 0               # pass_over 1: a content word is always left to take


def test_dynamic_masking_keeps_pairs_changes_masks():
    docs, t = synthetic(n_docs=3, n_sent=60)
    static = create_pretraining_examples(docs, t, max_seq_length=48, seed=1)
    epoch1, epoch2 = remask(static, t, seed=101), remask(static, t, seed=102)
    assert [e.original_ids() for e in epoch1] == [e.original_ids() for e in static]
    assert [e.is_random_next for e in epoch1] == [e.is_random_next for e in static]
    assert sum(a.masked_positions != b.masked_positions for a, b in zip(epoch1, epoch2)) > 0.8 * len(static)
    assert remask(static, t, seed=101) == epoch1


def test_collate_pads_to_longest_and_labels_only_masked(real_examples):
    batch_ex = sorted(real_examples[:64], key=len)[:8]
    batch = collate(batch_ex)
    width = max(len(e) for e in batch_ex)
    assert batch["input_ids"].shape == (8, width)
    for row, ex in enumerate(batch_ex):
        k = len(ex)
        assert batch["attention_mask"][row].tolist() == [1] * k + [0] * (width - k)
        assert batch["input_ids"][row, :k].tolist() == ex.input_ids
        assert batch["token_type_ids"][row, :k].tolist() == ex.segment_ids
        labelled = (batch["labels"][row] != -100).nonzero().flatten().tolist()
        assert labelled == ex.masked_positions
        assert batch["labels"][row, labelled].tolist() == ex.masked_labels
    assert batch["next_sentence_label"].tolist() == [int(e.is_random_next) for e in batch_ex]
    assert batch["input_ids"].dtype == torch.long


def test_bad_corpora_give_clear_errors(tok):
    with pytest.raises(ValueError, match="only one document"):
        create_pretraining_examples([Document("a", ["One sentence.", "Another one."])], tok)
    with pytest.raises(ValueError, match="empty"):
        create_pretraining_examples([Document("a", []), Document("b", ["  "])], tok)


# --- where bertbook differs from Google's create_pretraining_data.py (lesson 5 states both) --------

def test_random_replacements_are_never_special_tokens(tok):
    """Google draws the 10% "random token" from the whole vocabulary, specials included; we draw from
    the non-special pieces only. A vocabulary of 5 special tokens and 5 words makes the difference
    big: Google's rule would put a special token at half the random positions."""
    info = VocabInfo.from_tokenizer(tok)
    assert set(info.random_ids).isdisjoint(info.special_ids)
    assert len(info.random_ids) == tok.get_vocab_size() - len(SPECIAL_TOKENS)      # 7995 of 8000
    words = ["a", "b", "c", "d", "e"]
    small = Tokenizer(models.WordLevel({t: i for i, t in enumerate(SPECIAL_TOKENS + words)}, unk_token="[UNK]"))
    small_info = VocabInfo.from_tokenizer(small)
    rng = random.Random(0)
    drawn = collections.Counter()
    for _ in range(300):
        ids = [2] + [rng.randrange(5, 10) for _ in range(30)] + [3]                # [CLS] words [SEP]
        masked, positions, _, kinds = mask_tokens(ids, rng, small_info)
        drawn.update(masked[p] for p, k in zip(positions, kinds) if k == "random")
    assert sum(drawn.values()) > 100                                             # about 300 x 5 x 10%
    assert set(drawn) == {5, 6, 7, 8, 9}                                          # every word, no special


def test_short_target_length_is_drawn_per_example_not_per_document():
    """Google draws the short target once per document, so all examples of a document are short or
    none is; we draw it again after every example, so one document gives both kinds."""
    docs, t = synthetic(n_docs=2, n_sent=600, seed=3)
    examples = create_pretraining_examples(docs, t, max_seq_length=64, short_seq_prob=0.5, seed=0)
    lengths = collections.defaultdict(list)
    for ex in examples:
        first_a = t.id_to_token(ex.original_ids()[1])                              # the first token of A
        lengths[where(first_a)[0]].append(len(ex))
    for doc, ls in lengths.items():
        short = sum(n < 30 for n in ls) / len(ls)
        full = sum(n >= 60 for n in ls) / len(ls)
        assert short > 0.1 and full > 0.3, (doc, short, full)     # both kinds within one document
