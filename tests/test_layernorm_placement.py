"""bertbook.layernorm_placement: what lesson 4's post-LN / pre-LN panel is built on."""
import json
import math

import pytest
import torch

from bertbook.corpus import DATA_DIR
from bertbook.layernorm_placement import ORDERS, gradients_at_init


def test_post_ln_stream_is_renormalised_and_pre_ln_grows():
    post = gradients_at_init("post-LN", layers=4, seed=1, hidden_size=64)
    pre = gradients_at_init("pre-LN", layers=4, seed=1, hidden_size=64)
    assert post.stream_norm[0] == pytest.approx(pre.stream_norm[0])                   # same inputs
    assert all(v == pytest.approx(math.sqrt(64), rel=1e-4) for v in post.stream_norm)  # gamma = 1: norm sqrt(H)
    assert all(b > a for a, b in zip(pre.stream_norm, pre.stream_norm[1:]))            # a running sum grows
    assert len(post.layer_grad) == len(post.ffn_out_grad) == 4
    assert post.loss_value == pytest.approx(math.log(1000), rel=0.1)                   # about a uniform guess


def test_same_seed_same_numbers_and_orders_share_weights():
    a = gradients_at_init("pre-LN", layers=3, seed=2, hidden_size=64)
    b = gradients_at_init("pre-LN", layers=3, seed=2, hidden_size=64)
    assert a == b
    assert gradients_at_init("pre-LN", layers=3, seed=3, hidden_size=64) != a


def test_pre_ln_top_gradient_shrinks_with_depth_and_post_ln_does_not():
    """Xiong et al. (2020), Theorem 1, on one seed: 4 against 16 layers."""
    top = {(o, L): gradients_at_init(o, layers=L, seed=0, hidden_size=64).ffn_out_grad[-1]
           for o in ("post-LN", "pre-LN") for L in (4, 16)}
    assert top["pre-LN", 16] / top["pre-LN", 4] < 0.75
    assert 0.8 < top["post-LN", 16] / top["post-LN", 4] < 1.25


def test_encoder_attention_variant_builds_and_runs():
    r = gradients_at_init("post-LN + encoder attention", layers=2, seed=0, hidden_size=64, loss="mse")
    assert len(r.layer_grad) == 2 and all(g > 0 for g in r.layer_grad)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="order must be one of"):
        gradients_at_init("sandwich-LN")
    with pytest.raises(ValueError, match="init is 'xavier' or 'bert'"):
        gradients_at_init(init="kaiming")


def test_committed_results_cover_what_lesson_4_plots():
    data = json.loads((DATA_DIR / "results" / "layernorm_gradients.json").read_text())
    assert data["command"].startswith("python benchmarks/layernorm_gradients.py")
    runs = list(data["runs"].values())
    for order in ORDERS:
        assert len([r for r in runs if r["order"] == order and r["layers"] == 12 and r["init"] == "xavier"
                    and r["loss"] == "cross_entropy"]) == 5
    for layers in (2, 4, 6, 12, 24, 48):
        assert len([r for r in runs if r["layers"] == layers and r["order"] == "pre-LN"
                    and r["init"] == "xavier" and r["loss"] == "cross_entropy"]) == 5
    # one committed measurement, recomputed (the file is what the code gives)
    r = next(r for r in runs if r["order"] == "pre-LN" and r["layers"] == 2 and r["seed"] == 1)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)                     # as the committed run
    try:
        again = gradients_at_init("pre-LN", layers=2, seed=1)
    finally:
        torch.set_num_threads(threads)
    assert again.layer_grad == pytest.approx(r["layer_grad"], rel=1e-3)
