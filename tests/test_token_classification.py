"""Token classification: labels to pieces, BIO decoding (against seqeval), windows, the API."""
import random

import pytest
import torch

from bertbook import BertConfig
from bertbook.model import BertForTokenClassification
from bertbook.task_datasets import WNUT_LABELS, load_wnut17
from bertbook.token_classification import (align_labels, bio_to_spans, encode_words, entity_scores, find_entities,
                                           predict_tags, split_words, tag_words)


def test_align_labels_first_piece_only():
    # [CLS] new york ##er ##s [SEP] [PAD]: words 0 "New", 1 "Yorkers"
    assert align_labels([None, 0, 1, 1, 1, None, None], [3, 4]) == [-100, 3, 4, -100, -100, -100, -100]
    # a word split in two with a one-piece word after it
    assert align_labels([None, 0, 0, 1, None], [7, 0]) == [-100, 7, -100, 0, -100]


def test_bio_to_spans_agrees_with_seqeval():
    from seqeval.metrics.sequence_labeling import get_entities
    rng = random.Random(0)
    tags = ["O", "B-person", "I-person", "B-location", "I-location"]
    for _ in range(3000):
        seq = [rng.choice(tags) for _ in range(rng.randint(0, 12))]
        assert [(t, a, b - 1) for t, a, b in bio_to_spans(seq)] == get_entities(seq), seq
    assert bio_to_spans(["B-person", "I-person", "O", "I-location"]) == [("person", 0, 2), ("location", 3, 4)]
    with pytest.raises(ValueError, match="BIO"):
        bio_to_spans(["B-person", "X-person"])


def test_entity_scores_hand_worked():
    gold = [["B-person", "I-person", "O", "B-location"]]
    pred = [["B-person", "I-person", "O", "B-person"]]      # 1 of 2 right, 1 of 2 predicted right
    s = entity_scores(gold, pred)
    assert (s["precision"], s["recall"], s["f1"]) == (0.5, 0.5, 0.5)
    assert s["per_type"]["person"]["precision"] == 0.5 and s["per_type"]["location"]["recall"] == 0.0
    with pytest.raises(ValueError, match="same"):
        entity_scores(gold, [["O"]])


def test_encode_words_labels_each_word_once(minilm_tokenizer):
    sentences = load_wnut17("validation")[:50]
    label_id = {t: i for i, t in enumerate(WNUT_LABELS)}
    labels = [[label_id[t] for t in s["tags"]] for s in sentences]
    batch = encode_words(minilm_tokenizer, [s["words"] for s in sentences], labels)
    for r, s in enumerate(sentences):
        enc = minilm_tokenizer.encode(s["words"], is_pretokenized=True, add_special_tokens=False)
        words_with_pieces = sorted(set(w for w in enc.word_ids))
        kept = batch["labels"][r][batch["labels"][r] != -100].tolist()
        assert kept == [labels[r][w] for w in words_with_pieces]
        assert batch["labels"][r, 0] == -100                   # [CLS]


@pytest.fixture(scope="module")
def tiny_tagger():
    torch.manual_seed(0)
    cfg = BertConfig.preset("tiny", vocab_size=30522, num_labels=len(WNUT_LABELS))
    cfg.extra["id2label"] = {str(i): t for i, t in enumerate(WNUT_LABELS)}
    return BertForTokenClassification(cfg).eval()


def test_predict_tags_short_sentence_is_one_model_call(tiny_tagger, minilm_tokenizer):
    words = ["Ada", "Lovelace", "met", "Babbage", "in", "London"]
    tagged = predict_tags(tiny_tagger, minilm_tokenizer, [words])[0]
    batch = encode_words(minilm_tokenizer, [words])
    with torch.no_grad():
        probs = tiny_tagger(**batch).logits[0, 1:-1].softmax(-1)
    torch.testing.assert_close(tagged.piece_probabilities, probs)
    assert len(tagged.tags) == len(words) and tagged.pieces[0] == "ada"


def test_long_sentences_are_read_in_windows_not_cut(tiny_tagger, minilm_tokenizer):
    words = ("the quick brown fox jumps over the lazy dog " * 40).split()      # 360 words
    tagged = predict_tags(tiny_tagger, minilm_tokenizer, [words], max_length=64, stride=16)[0]
    assert len(tagged.tags) == 360 and tagged.piece_probabilities.shape[0] == 360
    assert torch.isfinite(tagged.piece_probabilities).all()
    assert torch.allclose(tagged.piece_probabilities.sum(-1), torch.ones(360))
    # a piece in the middle of the second window gets that window's logits: the same as a model
    # call on exactly that window
    enc = minilm_tokenizer.encode(words, is_pretokenized=True, add_special_tokens=False)
    a = 62 - 16                                            # second window starts here
    ids = torch.tensor([[101] + enc.ids[a:a + 62] + [102]])
    with torch.no_grad():
        ref = tiny_tagger(ids).logits[0, 1:-1].softmax(-1)
    torch.testing.assert_close(tagged.piece_probabilities[a + 31], ref[31])


def test_split_words_offsets():
    text = "@paulwalk It's the Empire State Building, #NYC!"
    words = split_words(text)
    assert [w for w, _, _ in words] == ["@paulwalk", "It", "'s", "the", "Empire", "State", "Building", ",", "#NYC", "!"]
    assert all(text[a:b] == w for w, a, b in words)


def test_tag_words_errors(tiny_tagger, minilm_tokenizer):
    with pytest.raises(TypeError, match="list of words"):
        tag_words("Paris is nice", tiny_tagger, minilm_tokenizer)
    with pytest.raises(TypeError, match=r"words\[1\]"):
        tag_words(["Paris", 3], tiny_tagger, minilm_tokenizer)
    with pytest.raises(ValueError, match="no words"):
        tag_words([], tiny_tagger, minilm_tokenizer)
    with pytest.raises(ValueError, match="empty"):
        find_entities("   ", tiny_tagger, minilm_tokenizer)
    with pytest.raises(ValueError, match="tokenizer"):
        tag_words(["Paris"], tiny_tagger)
    out = tag_words([["Paris"], ["a", "b"]], tiny_tagger, minilm_tokenizer)
    assert [len(t) for t in out] == [1, 2] and all(t in WNUT_LABELS for ts in out for t in ts)


def test_shipped_tagger_finds_entities():
    text = "Barack Obama flew to Paris with Michelle on Monday"
    entities = find_entities(text)
    assert all(text[e["start"]:e["end"]] == e["text"] for e in entities)
    found = {(e["text"], e["type"]) for e in entities}
    assert ("Barack Obama", "person") in found and ("Paris", "location") in found
    assert all(0 < e["score"] <= 1 for e in entities)
    tags = tag_words(["I", "live", "in", "London"])
    assert tags == ["O", "O", "O", "B-location"]
    assert tag_words([["I", "live", "in", "London"], ["Hi"]])[0] == tags
