"""The fused masked-LM loss (no logits kept) against torch's own cross_entropy, the reference."""
import pytest
import torch
import torch.nn.functional as F

from bertbook import BertConfig, BertForPreTraining
from bertbook.mlm_loss import masked_lm_loss


def _inputs(n=7, hidden=16, vocab=50, bias=True, seed=0):
    g = torch.Generator().manual_seed(seed)
    h = torch.randn(n, hidden, generator=g, requires_grad=True)
    w = (3 * torch.randn(vocab, hidden, generator=g)).requires_grad_()     # large logits: stability matters
    b = torch.randn(vocab, generator=g, requires_grad=True) if bias else None
    y = torch.randint(0, vocab, (n,), generator=g)
    return h, w, b, y


@pytest.mark.parametrize("bias", [True, False])
def test_loss_and_gradients_equal_cross_entropy(bias):
    h, w, b, y = _inputs(bias=bias)
    ref = F.cross_entropy(F.linear(h, w, b), y)
    ref_grads = torch.autograd.grad(2.5 * ref, [t for t in (h, w, b) if t is not None])
    ours = masked_lm_loss(h, w, b, y)
    grads = torch.autograd.grad(2.5 * ours, [t for t in (h, w, b) if t is not None])   # a non-unit upstream grad
    torch.testing.assert_close(ours, ref, atol=1e-5, rtol=1e-5)
    for g, r in zip(grads, ref_grads):
        torch.testing.assert_close(g, r, atol=1e-5, rtol=1e-5)


def test_frozen_weight_gets_no_gradient_and_hidden_still_does():
    h, w, b, y = _inputs()
    w.requires_grad_(False)
    loss = masked_lm_loss(h, w, b, y)
    loss.backward()
    assert w.grad is None
    ref = torch.autograd.grad(F.cross_entropy(F.linear(h, w, b), y), h)[0]
    torch.testing.assert_close(h.grad, ref, atol=1e-6, rtol=1e-5)


def test_no_grad_gives_the_loss_alone():
    h, w, b, y = _inputs()
    with torch.no_grad():
        loss = masked_lm_loss(h, w, b, y)
        ref = F.cross_entropy(F.linear(h, w, b), y)
    assert not loss.requires_grad
    torch.testing.assert_close(loss, ref, atol=1e-5, rtol=1e-5)


def test_bad_inputs_say_what_to_fix():
    h, w, b, y = _inputs()
    with pytest.raises(ValueError, match="no masked positions"):
        masked_lm_loss(h[:0], w, b, y[:0])
    with pytest.raises(ValueError, match="-100 where nothing is masked"):
        masked_lm_loss(h, w, b, torch.full_like(y, -100))
    with pytest.raises(ValueError, match=r"hidden \[n, hidden_size\] and targets \[n\]"):
        masked_lm_loss(h, w, b, y[:3])


def test_pretraining_loss_needs_labels_and_returns_no_logits(seed):
    from bertbook.fast_pretraining import masked_lm_predictions, pretraining_loss
    cfg = BertConfig.preset("tiny", vocab_size=300)
    model = BertForPreTraining(cfg)
    ids = torch.randint(5, 300, (2, 10))
    with pytest.raises(ValueError, match="pretraining_loss needs labels"):
        pretraining_loss(model, ids)
    with pytest.raises(ValueError, match="masked_lm_predictions needs labels"):
        masked_lm_predictions(model, ids)
    labels = torch.full_like(ids, -100)
    labels[:, 3] = ids[:, 3]
    model.eval()
    out = pretraining_loss(model, ids, labels=labels)
    kept = masked_lm_predictions(model, ids, labels=labels)
    full = model(ids, labels=labels)
    assert out.prediction_logits is None
    assert full.prediction_logits.shape == (2, 10, 300)          # the textbook model: every position
    torch.testing.assert_close(out.mlm_loss, kept.mlm_loss, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out.mlm_loss, full.mlm_loss, atol=1e-5, rtol=1e-5)
    assert torch.equal(out.loss, out.mlm_loss) and out.nsp_loss is None     # no NSP label: the loss is the MLM loss
