"""The lesson-9 heads against transformers' classes of the same names, on the same weights."""
import pytest
import torch

from bertbook import BertConfig
from bertbook.model import BertForQuestionAnswering, BertForTokenClassification
from bertbook.weights import load_pretrained


def _batch(vocab):
    g = torch.Generator().manual_seed(3)
    ids = torch.randint(5, vocab, (3, 14), generator=g)
    mask = torch.ones(3, 14, dtype=torch.long)
    mask[1, 9:] = 0
    mask[2, 6:] = 0
    segs = torch.zeros(3, 14, dtype=torch.long)
    segs[:, 5:] = 1
    return ids, mask * 1, segs * mask


def _config(**kw):
    return BertConfig.preset("tiny", vocab_size=400, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, **kw)


def _grads_match(ours, ref):
    from bertbook.weights import to_transformers
    ours_grads = to_transformers({n: p.grad for n, p in ours.named_parameters() if p.grad is not None})
    ref_grads = {n: p.grad for n, p in ref.named_parameters() if p.grad is not None}
    assert set(ours_grads) == set(ref_grads)
    for name, g in ours_grads.items():
        assert (g - ref_grads[name]).abs().max() <= 1e-5, name


def test_token_classification_matches_transformers(tmp_path, seed):
    from transformers import BertForTokenClassification as HF
    ours = BertForTokenClassification(_config(num_labels=5))
    ours.save_pretrained(tmp_path)
    ref, info = HF.from_pretrained(str(tmp_path), output_loading_info=True, attn_implementation="eager")
    assert not info["missing_keys"] and not info["unexpected_keys"], info      # key for key, both ways
    ids, mask, segs = _batch(400)
    labels = torch.randint(0, 5, ids.shape, generator=torch.Generator().manual_seed(4))
    labels[mask == 0] = -100
    labels[:, 0] = -100
    labels[0, 3:5] = -100                                  # later pieces of a word
    a = ours(ids, mask, segs, labels=labels)
    b = ref(input_ids=ids, attention_mask=mask, token_type_ids=segs, labels=labels)
    real = mask.bool()
    assert (a.logits - b.logits)[real].abs().max() <= 1e-5
    assert abs(a.loss.item() - b.loss.item()) <= 1e-5
    a.loss.backward()
    b.loss.backward()
    _grads_match(ours, ref)


def test_question_answering_matches_transformers(tmp_path, seed):
    from transformers import BertForQuestionAnswering as HF
    ours = BertForQuestionAnswering(_config())
    ours.save_pretrained(tmp_path)
    ref, info = HF.from_pretrained(str(tmp_path), output_loading_info=True, attn_implementation="eager")
    assert not info["missing_keys"] and not info["unexpected_keys"], info
    ids, mask, segs = _batch(400)
    # one answer outside the sequence (clamped and ignored, as in transformers)
    start, end = torch.tensor([6, 0, 99]), torch.tensor([8, 0, 99])
    a = ours(ids, mask, segs, start_positions=start, end_positions=end)
    b = ref(input_ids=ids, attention_mask=mask, token_type_ids=segs, start_positions=start, end_positions=end)
    assert (a.start_logits - b.start_logits).abs().max() <= 1e-5
    assert (a.end_logits - b.end_logits).abs().max() <= 1e-5
    assert abs(a.loss.item() - b.loss.item()) <= 1e-5
    a.loss.backward()
    b.loss.backward()
    _grads_match(ours, ref)


@pytest.mark.parametrize("name", ["BertForTokenClassification", "BertForQuestionAnswering"])
def test_transformers_weights_load_in_ours(tmp_path, name, seed):
    """transformers' randomly initialised model, saved by transformers, loads strictly in ours and
    gives the same logits."""
    import transformers
    from bertbook import model as models
    hf_config = transformers.BertConfig(vocab_size=400, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                                        intermediate_size=128, hidden_dropout_prob=0.0,
                                        num_labels=4 if name == "BertForTokenClassification" else 2,
                                        attention_probs_dropout_prob=0.0)
    ref = getattr(transformers, name)(hf_config).eval()
    ref.save_pretrained(tmp_path, safe_serialization=True)
    ours = load_pretrained(tmp_path, model_class=getattr(models, name), strict=True)
    ids, mask, segs = _batch(400)
    with torch.no_grad():
        a, b = ours(ids, mask, segs), ref(input_ids=ids, attention_mask=mask, token_type_ids=segs)
    real = mask.bool()
    if name == "BertForTokenClassification":
        assert (a.logits - b.logits)[real].abs().max() <= 1e-5
    else:
        assert (a.start_logits - b.start_logits)[real].abs().max() <= 1e-5
        assert (a.end_logits - b.end_logits)[real].abs().max() <= 1e-5


def test_token_head_ignores_minus_100_and_counts_each_labelled_token_once(seed):
    model = BertForTokenClassification(_config(num_labels=3)).eval()
    ids, mask, segs = _batch(400)
    labels = torch.full(ids.shape, -100)
    labels[0, 2], labels[1, 4] = 1, 2
    out = model(ids, mask, segs, labels=labels)
    picked = torch.stack([out.logits[0, 2], out.logits[1, 4]])
    expected = torch.nn.functional.cross_entropy(picked, torch.tensor([1, 2]))
    torch.testing.assert_close(out.loss, expected)
