"""Sentence pairs: segment ids, the API's shapes and errors, the shipped SNLI model."""
import pytest
import torch

from bertbook import BertConfig, BertForSequenceClassification
from bertbook.finetuning import encode_examples
from bertbook.pair_classification import classify_pair


def test_pairs_get_segment_ids(minilm_tokenizer):
    b = encode_examples(minilm_tokenizer, [("A dog runs.", "An animal moves.")])
    tokens = [minilm_tokenizer.id_to_token(i) for i in b["input_ids"][0].tolist()]
    assert tokens == ["[CLS]", "a", "dog", "runs", ".", "[SEP]", "an", "animal", "moves", ".", "[SEP]"]
    assert b["token_type_ids"][0].tolist() == [0] * 6 + [1] * 5


@pytest.fixture(scope="module")
def tiny_nli():
    torch.manual_seed(0)
    return BertForSequenceClassification(BertConfig.preset("tiny", vocab_size=30522, num_labels=3)).eval()


def test_single_and_batched(tiny_nli, minilm_tokenizer):
    one = classify_pair("A man sleeps.", "A man is awake.", tiny_nli, minilm_tokenizer)
    assert set(one) == {"label", "scores"} and set(one["scores"]) == {"entailment", "neutral", "contradiction"}
    assert sum(one["scores"].values()) == pytest.approx(1.0)
    many = classify_pair(["A man sleeps.", "Kids play."], ["A man is awake.", "Children are playing."],
                         tiny_nli, minilm_tokenizer)
    assert len(many) == 2 and many[0]["label"] == one["label"]
    assert many[0]["scores"] == pytest.approx(one["scores"], abs=1e-5)


def test_errors(tiny_nli, minilm_tokenizer):
    with pytest.raises(ValueError, match="empty"):
        classify_pair("", "A man is awake.", tiny_nli, minilm_tokenizer)
    with pytest.raises(ValueError, match="2 premises but 1"):
        classify_pair(["a", "b"], ["c"], tiny_nli, minilm_tokenizer)
    with pytest.raises(TypeError, match="one premise and one hypothesis"):
        classify_pair("a", ["c"], tiny_nli, minilm_tokenizer)
    with pytest.raises(TypeError, match=r"hypothesis\[0\]"):
        classify_pair(["a"], [3], tiny_nli, minilm_tokenizer)


def test_shipped_nli_model():
    out = classify_pair(["A man is sleeping on a couch.", "A woman is playing a guitar on stage.",
                         "Two dogs run across a field."],
                        ["A man is running a marathon.", "A woman is making music.", "Two cats sleep indoors."])
    assert [o["label"] for o in out] == ["contradiction", "entailment", "contradiction"]
