"""The speed paths give the same numbers as transformers (the independent reference)."""
import pytest
import torch


def test_unpadded_batch_skips_the_mask_and_matches_transformers(minilm, minilm_dir, seed):
    """No padding: bertbook drops the all-ones mask (less work); the result must not change."""
    from transformers import BertModel as HFBertModel
    ref = HFBertModel.from_pretrained(str(minilm_dir), attn_implementation="eager").eval()
    ids = torch.randint(1000, 30000, (2, 9))
    ones = torch.ones_like(ids)
    seen_masks = []
    hook = minilm.encoder.register_forward_pre_hook(lambda module, args: seen_masks.append(args[1]))
    try:
        with torch.no_grad():
            minilm(ids, attention_mask=ones)
            padded = ones.clone()
            padded[1, -2:] = 0
            minilm(ids, attention_mask=padded)
    finally:
        hook.remove()
    assert seen_masks[0] is None                  # all ones: the encoder gets no mask at all
    assert seen_masks[1] is not None              # real padding: it does
    with torch.no_grad():
        expected = ref(input_ids=ids, attention_mask=ones).last_hidden_state
        for mask in (ones, None):
            got = minilm(ids, attention_mask=mask)
            assert (got.last_hidden_state - expected).abs().max() <= 1e-5
            written_out = minilm(ids, attention_mask=mask, output_attentions=True)
            assert (written_out.last_hidden_state - expected).abs().max() <= 1e-5


def test_skip_padding_matches_transformers_at_real_positions(minilm, minilm_dir, batch):
    """Pad tokens skipped in the per-token layers: the real positions keep transformers' numbers
    (which computed the pads too), every layer's hidden state included; pads come out as zeros."""
    from transformers import BertModel as HFBertModel
    ref = HFBertModel.from_pretrained(str(minilm_dir)).eval()
    real = batch["attention_mask"].bool()
    assert not real.all(), "the batch must contain padding"
    with torch.no_grad():
        expected = ref(**batch, output_hidden_states=True)
        got = minilm(**batch, skip_padding=True, output_hidden_states=True)
    assert (got.last_hidden_state - expected.last_hidden_state)[real].abs().max() <= 1e-5
    assert (got.pooler_output - expected.pooler_output).abs().max() <= 1e-5
    for ours, theirs in zip(got.hidden_states[1:], expected.hidden_states[1:]):
        assert (ours - theirs)[real].abs().max() <= 1e-5
    assert got.last_hidden_state[~real].abs().max() == 0


@pytest.mark.parametrize("fast_path", ["pretraining_loss", "masked_lm_predictions"])
def test_skip_padding_gives_transformers_gradients(tmp_path, seed, fast_path):
    """Training through the packed path, with the loss that keeps no logits (``mlm_loss.py``) or
    with the logits at the masked positions: same loss and gradients as transformers' padded model."""
    from bertbook import fast_pretraining
    from bertbook.weights import to_transformers
    from tests.conftest import pretraining_pair, random_pretraining_batch
    ours, ref = pretraining_pair(tmp_path)
    ids, mask, segs, labels, nsp = random_pretraining_batch(ours.config.vocab_size)
    assert (mask == 0).any()
    a = getattr(fast_pretraining, fast_path)(ours, ids, mask, segs, labels=labels, next_sentence_label=nsp,
                                             skip_padding=True)
    if fast_path == "pretraining_loss":
        assert a.prediction_logits is None
    else:
        assert a.prediction_logits.shape == (int((labels != -100).sum()), ours.config.vocab_size)
    b = ref(input_ids=ids, attention_mask=mask, token_type_ids=segs, labels=labels, next_sentence_label=nsp)
    assert abs(a.loss.item() - b.loss.item()) <= 1e-5
    a.loss.backward()
    b.loss.backward()
    ref_grads = {n: p.grad for n, p in ref.named_parameters()}
    for name, g in to_transformers({n: p.grad for n, p in ours.named_parameters()}).items():
        assert (g - ref_grads[name]).abs().max() <= 1e-5, name


def test_pretraining_loss_module_is_the_function(tmp_path, seed):
    """``PreTrainingLoss`` (what DDP and torch.compile wrap) gives ``pretraining_loss``'s numbers and
    exposes exactly the model's parameters, so an optimizer over either trains the same tensors."""
    from bertbook.fast_pretraining import PreTrainingLoss, pretraining_loss
    from tests.conftest import pretraining_pair, random_pretraining_batch
    ours, _ = pretraining_pair(tmp_path)
    ids, mask, segs, labels, nsp = random_pretraining_batch(ours.config.vocab_size)
    wrapped = PreTrainingLoss(ours, skip_padding=True)
    assert [id(p) for p in wrapped.parameters()] == [id(p) for p in ours.parameters()]
    a = wrapped(ids, mask, segs, labels, nsp)
    b = pretraining_loss(ours, ids, mask, segs, labels, nsp, skip_padding=True)
    torch.testing.assert_close(a.loss, b.loss)
    torch.testing.assert_close(a.mlm_loss, b.mlm_loss)
    torch.testing.assert_close(a.nsp_loss, b.nsp_loss)


def test_skip_padding_leaves_no_hooks_behind(minilm, batch):
    """The packed path wraps the encoder for one call only: afterwards (even after an error) the
    layers run on the grid as before."""
    layer = minilm.encoder.layer[0]
    hooks = lambda: (len(layer.attention.qkv._forward_hooks), len(layer.attention.output._forward_pre_hooks))
    assert hooks() == (0, 0)
    with torch.no_grad():
        minilm(**batch, skip_padding=True)
    assert hooks() == (0, 0)

    def fail(module, args):
        raise RuntimeError("a failure inside the encoder")
    failing = minilm.encoder.layer[-1].register_forward_pre_hook(fail)
    try:
        with torch.no_grad(), pytest.raises(RuntimeError, match="inside the encoder"):
            minilm(**batch, skip_padding=True)
    finally:
        failing.remove()
    assert hooks() == (0, 0)
