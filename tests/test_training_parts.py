"""The parts every training loop shares (issue 13: one of each): the schedule, the weight-decay
rule, the dropout override, the padded batch, the masked-LM evaluation and the checkpoint format."""
import random

import pytest
import torch
import torch.nn.functional as F

from bertbook import BertConfig, BertForPreTraining, BertForSequenceClassification
from bertbook.batching import IGNORE_INDEX, pad_batch
from bertbook.dropout import set_dropout
from bertbook.mlm_evaluation import evaluate_masked_lm
from bertbook.optimizer import parameter_groups
from bertbook.schedule import jump_to, linear_warmup_decay, warmup_then_decay


def tiny(model_class=BertForPreTraining, seed=0):
    torch.manual_seed(seed)
    return model_class(BertConfig.preset("tiny", hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                         intermediate_size=64))


def test_the_schedule_is_torchs_lambdalr_and_jumps_on_resume():
    model = tiny()
    opt = torch.optim.AdamW(parameter_groups(model, 0.01, lambda n: 1e-2 if n.startswith("mlm.") else None), lr=1e-3)
    schedule = warmup_then_decay(opt, 4, 20)
    seen = []
    for _ in range(20):
        seen.append(schedule.get_last_lr())
        opt.step()
        schedule.step()
    f = linear_warmup_decay(4, 20)
    # every group follows the one lambda from its own peak (the head's is 10x the body's)
    assert [lrs[0] for lrs in seen] == pytest.approx([1e-3 * f(s) for s in range(20)])
    assert [lrs[-1] for lrs in seen] == pytest.approx([1e-2 * f(s) for s in range(20)])
    assert schedule.get_last_lr()[0] == 0.0                     # 0 at total_steps, after the last step
    other = warmup_then_decay(torch.optim.AdamW(parameter_groups(model, 0.01), lr=1e-3), 4, 20)
    jump_to(other, 7)
    assert other.get_last_lr()[0] == pytest.approx(seen[7][0])
    with pytest.raises(ValueError, match="warmup_steps"):
        linear_warmup_decay(0, 10)


@pytest.mark.parametrize("model_class", [BertForPreTraining, BertForSequenceClassification])
def test_one_weight_decay_rule(model_class):
    model = tiny(model_class)
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)         # frozen: left out
    groups = parameter_groups(model, 0.01)
    named = dict(model.named_parameters())
    decayed = {n for g in groups if g["weight_decay"] for n in g["param_names"]}
    plain = {n for g in groups if not g["weight_decay"] for n in g["param_names"]}
    assert decayed == {n for n, p in named.items() if p.ndim == 2 and p.requires_grad}
    assert plain == {n for n, p in named.items() if p.ndim == 1}
    assert any("LayerNorm" in n or "norm" in n for n in plain) and any(n.endswith(".bias") for n in plain)
    assert "bert.embeddings.word_embeddings.weight" not in decayed | plain
    for g in groups:                                    # names and tensors line up (checkpoints rely on it)
        assert [named[n] is p for n, p in zip(g["param_names"], g["params"])] == [True] * len(g["params"])


def test_set_dropout_reaches_every_dropout():
    model = set_dropout(tiny(BertForSequenceClassification), 0.3)
    ps = [m.p for m in model.modules() if isinstance(m, torch.nn.Dropout)]
    ps += [m.dropout_p for m in model.modules() if hasattr(m, "dropout_p")]
    assert len(ps) >= 4 and set(ps) == {0.3}
    assert model.config.hidden_dropout_prob == model.config.attention_probs_dropout_prob == 0.3


def test_attention_dropout_set_apart_takes_the_fused_kernel(seed):
    """attention_p=0 (the SQuAD recipe's) leaves hidden dropout on, and training then runs torch's
    fused attention instead of the written-out steps (which only CPU dropout needs)."""
    from unittest import mock
    import bertbook.attention as attention
    model = set_dropout(tiny(BertForSequenceClassification), 0.1, attention_p=0.0).train()
    assert {m.p for m in model.modules() if isinstance(m, torch.nn.Dropout)} == {0.1}
    assert {m.dropout_p for m in model.modules() if hasattr(m, "dropout_p")} == {0.0}
    assert (model.config.hidden_dropout_prob, model.config.attention_probs_dropout_prob) == (0.1, 0.0)
    ids = torch.randint(5, 100, (2, 7))
    with mock.patch.object(attention, "scaled_dot_product_attention",
                           side_effect=AssertionError("written-out attention used")):
        model(ids).logits.sum().backward()
    set_dropout(model, 0.1)                              # and back: the written-out steps again
    with mock.patch.object(attention, "scaled_dot_product_attention", wraps=attention.scaled_dot_product_attention) as spy:
        model(ids)
    assert spy.called


def test_pad_batch():
    batch = pad_batch([[5, 6, 7], [8]], pad_id=0, token_type_ids=[[0, 0, 1], [0]], labels=[[-100, 6, -100], [8]])
    assert batch["input_ids"].tolist() == [[5, 6, 7], [8, 0, 0]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]
    assert batch["token_type_ids"].tolist() == [[0, 0, 1], [0, 0, 0]]
    assert batch["labels"].tolist() == [[-100, 6, -100], [8, IGNORE_INDEX, IGNORE_INDEX]]
    assert set(pad_batch([[1]], 0)) == {"input_ids", "token_type_ids", "attention_mask"}
    with pytest.raises(ValueError, match="no rows"):
        pad_batch([], 0)


def test_the_masked_lm_evaluation_matches_the_textbook_forward(tokenizer):
    """Loss, top-1 and top-5 over every masked position, and top-1 at the [MASK] positions alone,
    recomputed from ``model(...)``'s full logits."""
    from bertbook.minilm_mlm import masked_batch
    from bertbook.pretraining_data import VocabInfo
    tok = tokenizer
    model = tiny().eval()
    model.config.vocab_size = tok.get_vocab_size()
    sentences = ["The whale rose out of the sea and the ship turned.", "Call me Ishmael.",
                 "It was the best of times, it was the worst of times, it was the age of wisdom."]
    rng = random.Random(0)
    batches = [masked_batch([tok.encode(s).ids for s in sentences[i:i + 2]], VocabInfo.from_tokenizer(tok), rng,
                            masked_lm_prob=0.4) for i in (0, 2)]
    scores = evaluate_masked_lm(model, batches)
    losses, top1, top5, at_mask = [], [], [], []
    with torch.no_grad():
        for b in batches:
            logits = model(b["input_ids"], b["attention_mask"]).prediction_logits
            picked = b["labels"] != IGNORE_INDEX
            z, y = logits[picked], b["labels"][picked]
            losses += F.cross_entropy(z, y, reduction="none").tolist()
            top1 += (z.argmax(-1) == y).tolist()
            top5 += (z.topk(5).indices == y[:, None]).any(-1).tolist()
            at_mask += [k == "mask" for k in b["kinds"]]
    assert scores["n"] == len(losses) == len(at_mask) > 5
    assert scores["mlm_loss"] == pytest.approx(sum(losses) / len(losses), rel=1e-5)
    assert scores["mlm_accuracy"] == pytest.approx(sum(top1) / len(top1))
    assert scores["mlm_top5"] == pytest.approx(sum(top5) / len(top5))
    assert scores["mask_accuracy"] == pytest.approx(sum(t for t, m in zip(top1, at_mask) if m) / sum(at_mask))
    assert "nsp_loss" not in scores                     # no next_sentence_label in these batches
