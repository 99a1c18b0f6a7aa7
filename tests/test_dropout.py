"""bertbook's dropout against the definition (and torch's nn.Dropout, the reference)."""
import pytest
import torch
import torch.nn.functional as F

from bertbook.dropout import Dropout, dropout


@pytest.mark.parametrize("p", [0.1, 0.5])
def test_drops_a_fraction_p_and_scales_the_rest(seed, p):
    x = torch.rand(200_000) + 0.5                          # no zeros of its own
    y = dropout(x, p)
    dropped = (y == 0).float().mean().item()
    ref_dropped = (F.dropout(x, p) == 0).float().mean().item()
    assert abs(dropped - p) < 0.005 and abs(dropped - ref_dropped) < 0.007
    kept = y != 0
    torch.testing.assert_close(y[kept], x[kept] / (1 - p))
    assert abs(y.mean().item() - x.mean().item()) < 0.01   # expectation preserved


def test_masks_differ_between_calls_and_follow_the_seed():
    x = torch.ones(1000)
    torch.manual_seed(3)
    a, b = dropout(x, 0.1), dropout(x, 0.1)
    torch.manual_seed(3)
    assert torch.equal(dropout(x, 0.1), a) and not torch.equal(a, b)


def test_gradient_flows_through_kept_values_only(seed):
    x = torch.randn(5000, requires_grad=True)
    y = dropout(x, 0.2)
    y.sum().backward()
    torch.testing.assert_close(x.grad, (y != 0).float() / 0.8)


def test_eval_and_zero_p_are_the_identity():
    x = torch.randn(100)
    assert dropout(x, 0.1, training=False) is x
    assert dropout(x, 0.0) is x
    m = Dropout(0.1).eval()
    assert isinstance(m, torch.nn.Dropout) and m.p == 0.1 and m(x) is x
    assert torch.equal(dropout(x, 1.0), torch.zeros_like(x))


def test_the_models_use_it(seed):
    from bertbook import BertConfig, BertForSequenceClassification
    model = BertForSequenceClassification(BertConfig.preset("tiny"))
    kinds = {type(m) for m in model.modules() if isinstance(m, torch.nn.Dropout)}
    assert kinds == {Dropout}
