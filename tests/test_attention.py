"""The written-out attention against torch's fused kernel, an independent implementation."""
import pytest
import torch
import torch.nn.functional as F

from bertbook import BertConfig, BertModel, scaled_dot_product_attention
from bertbook.attention import padding_mask_to_attention_mask


def test_matches_torch_sdpa_without_mask(seed):
    q, k, v = (torch.randn(2, 3, 7, 16, dtype=torch.float64) for _ in range(3))
    ours, probs = scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(ours, F.scaled_dot_product_attention(q, k, v), atol=1e-12, rtol=0)
    torch.testing.assert_close(probs.sum(-1), torch.ones(2, 3, 7, dtype=torch.float64))


def test_matches_torch_sdpa_with_padding_mask(seed):
    q, k, v = (torch.randn(3, 2, 6, 8, dtype=torch.float64) for _ in range(3))
    attention_mask = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0], [1, 1, 0, 0, 0, 0]])
    mask = padding_mask_to_attention_mask(attention_mask)
    ours, probs = scaled_dot_product_attention(q, k, v, mask)
    torch.testing.assert_close(ours, F.scaled_dot_product_attention(q, k, v, attn_mask=mask), atol=1e-12, rtol=0)
    # no probability mass on padding keys
    assert probs[1, :, :, 4:].abs().max() == 0 and probs[2, :, :, 2:].abs().max() == 0


def test_non_boolean_mask_is_refused():
    q = torch.randn(1, 1, 2, 4)
    with pytest.raises(TypeError, match="boolean"):
        scaled_dot_product_attention(q, q, q, torch.ones(1, 1, 1, 2))


def test_padding_never_changes_real_positions(seed):
    """Appending padding (any ids) must leave every real position's output unchanged."""
    model = BertModel(BertConfig.preset("tiny")).eval()
    ids = torch.randint(5, 8000, (1, 9))
    padded = torch.cat([ids, torch.randint(5, 8000, (1, 4))], dim=1)      # junk where the pad is
    mask = torch.tensor([[1] * 9 + [0] * 4])
    with torch.no_grad():
        alone = model(ids).last_hidden_state
        for output_attentions in (False, True):
            with_pad = model(padded, attention_mask=mask, output_attentions=output_attentions).last_hidden_state
            torch.testing.assert_close(with_pad[:, :9], alone, atol=1e-5, rtol=0)


def test_backwards_mask_would_be_caught(seed):
    """The seed blog's bug: a mask with 1 = pad. Used backwards it changes real outputs, so the
    invariance test above is able to fail."""
    model = BertModel(BertConfig.preset("tiny")).eval()
    ids = torch.randint(5, 8000, (1, 9))
    padded = torch.cat([ids, torch.randint(5, 8000, (1, 4))], dim=1)
    backwards = torch.tensor([[0] * 9 + [1] * 4])
    with torch.no_grad():
        diff = (model(padded, attention_mask=backwards).last_hidden_state[:, :9] - model(ids).last_hidden_state).abs().max()
    assert diff > 1e-2
