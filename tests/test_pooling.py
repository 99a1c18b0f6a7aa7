"""bertbook.pooling: the three sentence vectors, and a classifier that swaps them under its head."""
import pytest
import torch

from bertbook import BertConfig, BertForSequenceClassification
from bertbook.pooling import POOLINGS, PooledSequenceClassifier, mean_pool, sentence_vectors


@pytest.fixture
def model():
    torch.manual_seed(0)
    config = BertConfig.preset("tiny", vocab_size=50, num_labels=3)
    return BertForSequenceClassification(config).eval()


def test_mean_pool_ignores_padding():
    hidden = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [100.0, -100.0]]])
    assert torch.equal(mean_pool(hidden, torch.tensor([[1, 1, 0]])), torch.tensor([[2.0, 3.0]]))
    assert torch.equal(mean_pool(hidden, None), hidden.mean(1))


def test_mean_pool_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match="attention_mask has shape"):
        mean_pool(torch.zeros(2, 3, 4), torch.ones(2, 4))
    with pytest.raises(ValueError, match=r"\[batch, seq, hidden\]"):
        mean_pool(torch.zeros(3, 4), None)


def test_pooler_choice_reproduces_the_wrapped_model(model):
    ids = torch.tensor([[2, 7, 9, 3, 0], [2, 5, 3, 0, 0]])
    mask = (ids != 0).long()
    want = model(ids, attention_mask=mask).logits
    assert torch.allclose(PooledSequenceClassifier(model, "pooler")(ids, attention_mask=mask).logits, want)


def test_each_pooling_reads_its_own_vector(model):
    ids = torch.tensor([[2, 7, 9, 3, 0], [2, 5, 3, 0, 0]])
    mask = (ids != 0).long()
    out = model.bert(ids, attention_mask=mask)
    assert torch.equal(sentence_vectors(out, mask, "cls"), out.last_hidden_state[:, 0])
    assert torch.equal(sentence_vectors(out, mask, "pooler"), out.pooler_output)
    assert torch.allclose(sentence_vectors(out, mask, "mean")[1], out.last_hidden_state[1, :3].mean(0))
    logits = {p: PooledSequenceClassifier(model, p)(ids, attention_mask=mask).logits for p in POOLINGS}
    assert not torch.allclose(logits["cls"], logits["mean"]) and not torch.allclose(logits["cls"], logits["pooler"])


def test_padding_changes_no_masked_pooling(model):
    short = torch.tensor([[2, 7, 9, 3]])
    padded = torch.tensor([[2, 7, 9, 3, 0, 0, 0]])
    a = model.bert(short, attention_mask=torch.ones_like(short))
    b = model.bert(padded, attention_mask=(padded != 0).long())
    for p in POOLINGS:
        assert torch.allclose(sentence_vectors(a, torch.ones_like(short), p),
                              sentence_vectors(b, (padded != 0).long(), p), atol=1e-5), p
    assert not torch.allclose(a.last_hidden_state.mean(1), b.last_hidden_state.mean(1), atol=1e-3)


def test_loss_and_training_reach_the_encoder(model):
    ids = torch.tensor([[2, 7, 9, 3]])
    clf = PooledSequenceClassifier(model.train(), "mean")
    clf(ids, labels=torch.tensor([1])).loss.backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.bert.encoder.parameters())
    assert model.bert.pooler.dense.weight.grad is None          # mean pooling never uses the pooler


def test_unknown_pooling_is_refused(model):
    with pytest.raises(ValueError, match="pooling must be one of"):
        PooledSequenceClassifier(model, "max")
