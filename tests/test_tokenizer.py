"""The WordPiece tokenizers: ours (trained on the corpus) and BERT's real uncased vocabulary."""
import random

import pytest

from bertbook import encode, load_corpus, load_tokenizer
from bertbook.tokenizer import SPECIAL_TOKENS, normalized_words, train_wordpiece


@pytest.fixture(scope="module")
def ours(tokenizer):
    return tokenizer                  # conftest's session-wide copy of our tokenizer


@pytest.fixture(scope="module")
def corpus_sample():
    rng = random.Random(0)
    return [s for doc in load_corpus() for s in rng.sample(doc.sentences, 300)]


def test_special_tokens_and_size(ours):
    assert ours.get_vocab_size() == 8000
    assert [ours.token_to_id(t) for t in SPECIAL_TOKENS] == [0, 1, 2, 3, 4]


def test_round_trips_corpus_sentences(ours, corpus_sample):
    """decode(encode(x)) gives back the normalised text: every word, no [UNK], nothing lost."""
    unk = ours.token_to_id("[UNK]")
    for sentence in corpus_sample:
        enc = ours.encode(sentence)
        assert unk not in enc.ids, sentence
        assert ours.decode(enc.ids) == " ".join(normalized_words(ours, sentence)), sentence


def test_normalisation_is_bert_uncased(ours):
    assert normalized_words(ours, "Café “Naïve” — ÉLAN") == ["cafe", '"', "naive", '"', "-", "-", "elan"]


@pytest.mark.parametrize("name", ["bertbook", "minilm"])
def test_splits_cjk_characters_and_punctuation(name):
    tok = load_tokenizer(name)
    assert normalized_words(tok, "我爱北京!") == ["我", "爱", "北", "京", "!"]
    assert normalized_words(tok, "don't,stop.") == ["don", "'", "t", ",", "stop", "."]


def test_real_bert_vocab_splits_cjk_into_single_characters():
    tok = load_tokenizer("minilm")
    assert tok.encode("北京", add_special_tokens=False).tokens == ["北", "京"]
    assert tok.token_to_id("[MASK]") == 103 and tok.get_vocab_size() == 30522


@pytest.mark.parametrize("source", ["minilm", "vocab.txt"])
def test_real_vocab_matches_reference_bert_tokenizer(source, minilm_dir, corpus_sample):
    """Against transformers' pure-Python BertTokenizer (an independent WordPiece implementation),
    both for MiniLM's tokenizer.json and for our pipeline built from the bare vocab.txt."""
    from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy
    ref = BertTokenizerLegacy(str(minilm_dir / "vocab.txt"), do_lower_case=True)
    tok = load_tokenizer("minilm" if source == "minilm" else minilm_dir / "vocab.txt")
    texts = corpus_sample[::10] + ["unaffable 北京 naïve", "Hello,world!! (yes)", "x" * 120]
    for text in texts:
        assert tok.encode(text).ids == ref.encode(text), text


def test_shipped_vocab_is_what_training_gives(corpus_sample):
    """Retraining on the corpus reproduces the shipped vocabulary (ties between equally frequent
    pairs may break differently, so allow a handful of pieces to differ)."""
    shipped = set(load_tokenizer("bertbook").get_vocab())
    fresh = set(train_wordpiece().get_vocab())
    assert len(shipped & fresh) >= 0.99 * len(shipped)


def test_encode_pairs_segments_and_padding(ours):
    b = encode(ours, ["the whale", "call me ishmael now"], ["swam", "ok"])
    cls, sep, pad = (ours.token_to_id(t) for t in ("[CLS]", "[SEP]", "[PAD]"))
    ids, segs, mask = b["input_ids"], b["token_type_ids"], b["attention_mask"]
    assert ids.shape == segs.shape == mask.shape and ids.shape[0] == 2
    row = ids[0][mask[0].bool()].tolist()
    assert row[0] == cls and row.count(sep) == 2 and row[-1] == sep
    first_sep = row.index(sep)
    assert segs[0, : first_sep + 1].eq(0).all() and segs[0, first_sep + 1 : len(row)].eq(1).all()
    assert ids[0, len(row):].eq(pad).all() and mask[0, len(row):].eq(0).all()


def test_overlong_text_is_refused_or_truncated_explicitly(ours):
    long_text = "whale " * 600
    with pytest.raises(ValueError, match="max_length=512.*truncation=True"):
        encode(ours, long_text)
    b = encode(ours, long_text, "short tail", max_length=64, truncation=True)
    assert b["input_ids"].shape == (1, 64)
    assert b["token_type_ids"][0].sum() == 3          # "short tail [SEP]" kept, the long side cut


@pytest.mark.parametrize("bad", ["", "   ", "\x00\x01"])
def test_empty_text_is_refused(ours, bad):
    with pytest.raises(ValueError, match="empty"):
        encode(ours, bad)


def test_unknown_characters(ours):
    assert ours.token_to_id("[UNK]") in encode(ours, "a 😀 b")["input_ids"][0]
    with pytest.raises(ValueError, match="outside the vocabulary.*😀"):
        encode(ours, "a 😀 b", unknown="error")


def test_tokenizer_state_is_left_alone(ours):
    encode(ours, "whale " * 100, max_length=16, truncation=True)
    assert ours.truncation is None and ours.padding is None
