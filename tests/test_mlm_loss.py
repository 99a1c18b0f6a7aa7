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


# --- bfloat16 autocast (minilm-mlm trains with --bf16) and other dtypes ----------------------
def _loss_and_grads(loss_fn, h, w, b, y, autocast=False):
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
        loss = loss_fn(h, w, b, y)
    loss.backward()
    grads = h.grad, w.grad, b.grad
    for t in (h, w, b):
        t.grad = None
    return loss.detach().float(), grads


def _torch_reference(h, w, b, y):
    return F.cross_entropy(F.linear(h, w, b), y)


def test_bf16_autocast_runs_and_matches_torch_under_autocast():
    """Under autocast the product runs in bfloat16 (as F.linear's does) and the softmax in float32;
    every gradient comes back in its parameter's dtype (float32 here), close to torch's own."""
    inputs = _inputs(n=24, hidden=32, vocab=500)
    loss, grads = _loss_and_grads(masked_lm_loss, *inputs, autocast=True)
    ref_loss, ref_grads = _loss_and_grads(_torch_reference, *inputs, autocast=True)
    exact_loss, exact_grads = _loss_and_grads(masked_lm_loss, *inputs)
    assert all(g.dtype == torch.float32 for g in grads)
    torch.testing.assert_close(loss, ref_loss, rtol=1e-2, atol=1e-2)
    torch.testing.assert_close(loss, exact_loss, rtol=1e-2, atol=1e-2)     # bfloat16 rounding, nothing more
    for g, r, e in zip(grads, ref_grads, exact_grads):     # element-wise, two bfloat16 roundings differ
        assert (g - r).norm() / r.norm() < 0.03 and (g - e).norm() / e.norm() < 0.03


def test_bf16_hidden_with_float32_weights_keeps_each_dtype():
    """A bfloat16 hidden vector (a layer that ran under autocast) and the float32 embedding table."""
    h, w, b, y = _inputs(n=24, hidden=32, vocab=500)
    h16 = h.detach().bfloat16().requires_grad_()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = masked_lm_loss(h16, w, b, y)
    loss.backward()
    assert h16.grad.dtype == torch.bfloat16 and w.grad.dtype == torch.float32 and b.grad.dtype == torch.float32
    assert torch.isfinite(loss) and torch.isfinite(w.grad).all()


def test_float64_stays_float64():
    h, w, b, y = (t.double() if t.is_floating_point() else t for t in _inputs())
    h, w, b = (t.detach().requires_grad_() for t in (h, w, b))
    loss = masked_lm_loss(h, w, b, y)
    grads = torch.autograd.grad(loss, [h, w, b])
    ref_grads = torch.autograd.grad(F.cross_entropy(F.linear(h, w, b), y), [h, w, b])
    assert loss.dtype == torch.float64 and all(g.dtype == torch.float64 for g in grads)
    for g, r in zip(grads, ref_grads):
        torch.testing.assert_close(g, r)
