"""bertbook against transformers (and sentence-transformers) on the same weights."""
import pytest
import torch

from bertbook import BertConfig, BertForPreTraining, BertForSequenceClassification, BertModel, encode
from tests.conftest import SENTENCES, pretraining_pair, random_pretraining_batch


@pytest.fixture(scope="module")
def hf_minilm(minilm_dir):
    from transformers import BertModel as HFBertModel
    return HFBertModel.from_pretrained(str(minilm_dir), attn_implementation="eager").eval()


def test_minilm_matches_transformers(minilm, hf_minilm, batch):
    assert batch["attention_mask"].min() == 0, "the batch must contain padding"
    real = batch["attention_mask"].bool()
    with torch.no_grad():
        ours = minilm(**batch, output_attentions=True)
        ref = hf_minilm(**batch, output_attentions=True)
        fused = minilm(**batch)           # the fast path (torch's fused kernel) gives the same numbers
    assert (ours.last_hidden_state - ref.last_hidden_state)[real].abs().max() <= 1e-5
    assert (fused.last_hidden_state - ref.last_hidden_state)[real].abs().max() <= 1e-5
    assert (ours.pooler_output - ref.pooler_output).abs().max() <= 1e-5
    assert len(ours.attentions) == len(ref.attentions) == 6
    query_is_real = real[:, None, :, None].expand_as(ours.attentions[0])
    for layer, (a, b) in enumerate(zip(ours.attentions, ref.attentions)):
        assert a.shape == b.shape == (len(SENTENCES), 12, real.shape[1], real.shape[1])
        assert (a - b)[query_is_real].abs().max() <= 1e-5, f"layer {layer}"


def test_mean_pooled_embeddings_match_sentence_transformers(minilm, minilm_tokenizer, minilm_dir):
    from sentence_transformers import SentenceTransformer
    st = SentenceTransformer(str(minilm_dir), device="cpu")
    ref = torch.as_tensor(st.encode(SENTENCES, normalize_embeddings=False))
    b = encode(minilm_tokenizer, SENTENCES)
    with torch.no_grad():
        h = minilm(**b).last_hidden_state
    m = b["attention_mask"].unsqueeze(-1).float()
    ours = (h * m).sum(1) / m.sum(1)
    cos = torch.nn.functional.cosine_similarity(ours, ref, dim=-1)
    assert cos.min() >= 0.9999, cos


def test_pretraining_matches_transformers(tmp_path, seed):
    """Random weights, copied through save_pretrained into transformers: same logits, loss, grads."""
    from bertbook.weights import to_transformers
    ours, ref = pretraining_pair(tmp_path)
    cfg = ours.config
    ids, mask, segs, labels, nsp = random_pretraining_batch(cfg.vocab_size)
    a = ours(ids, attention_mask=mask, token_type_ids=segs, labels=labels, next_sentence_label=nsp)
    b = ref(input_ids=ids, attention_mask=mask, token_type_ids=segs, labels=labels, next_sentence_label=nsp)
    assert (a.prediction_logits - b.prediction_logits).abs().max() <= 1e-5
    assert (a.seq_relationship_logits - b.seq_relationship_logits).abs().max() <= 1e-5
    assert abs(a.loss.item() - b.loss.item()) <= 1e-5
    a.loss.backward()
    b.loss.backward()
    ours_grads = to_transformers({n: p.grad for n, p in ours.named_parameters()})
    ref_grads = {n: p.grad for n, p in ref.named_parameters()}
    assert set(ours_grads) <= set(ref_grads)
    assert len(ours_grads) >= 4 + 16 * cfg.num_hidden_layers + 2 + 7
    for name, g in ours_grads.items():
        assert (g - ref_grads[name]).abs().max() <= 1e-5, name


def test_masked_positions_only_gives_the_same_loss(seed):
    from bertbook.fast_pretraining import masked_lm_predictions
    cfg = BertConfig.preset("tiny", vocab_size=500)
    model = BertForPreTraining(cfg).eval()
    ids, mask, segs, labels, nsp = random_pretraining_batch(cfg.vocab_size)
    full = model(ids, mask, segs, labels=labels, next_sentence_label=nsp)
    fast = masked_lm_predictions(model, ids, mask, segs, labels=labels, next_sentence_label=nsp)
    assert full.prediction_logits.shape == (*ids.shape, cfg.vocab_size)
    assert fast.prediction_logits.shape == (int((labels != -100).sum()), cfg.vocab_size)
    torch.testing.assert_close(fast.prediction_logits, full.prediction_logits[labels != -100])
    torch.testing.assert_close(fast.loss, full.loss)


def test_sequence_classification_matches_transformers(tmp_path, seed):
    from transformers import BertForSequenceClassification as HFCls
    cfg = BertConfig.preset("tiny", vocab_size=500, num_labels=3, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    ours = BertForSequenceClassification(cfg)
    ours.save_pretrained(tmp_path)
    ref = HFCls.from_pretrained(str(tmp_path))
    ids, mask, segs, _, _ = random_pretraining_batch(cfg.vocab_size)
    y = torch.tensor([0, 2, 1])
    a, b = ours(ids, mask, segs, labels=y), ref(input_ids=ids, attention_mask=mask, token_type_ids=segs, labels=y)
    assert (a.logits - b.logits).abs().max() <= 1e-5
    assert abs(a.loss.item() - b.loss.item()) <= 1e-5


def test_base_preset_has_bert_base_parameter_count():
    from transformers import BertConfig as HFConfig, BertModel as HFBertModel
    with torch.device("meta"):
        ours = BertModel(BertConfig.preset("base"))
        ref = HFBertModel(HFConfig())
    assert ours.num_parameters() == sum(p.numel() for p in ref.parameters()) == 109_482_240


def test_mlm_decoder_is_tied_to_word_embeddings():
    model = BertForPreTraining(BertConfig.preset("tiny"))
    assert model.mlm.decoder.weight is model.bert.embeddings.word_embeddings.weight
    assert model.bert.embeddings.word_embeddings.weight[0].abs().max() == 0      # [PAD] row


@pytest.mark.parametrize("task_class", [BertForPreTraining, BertForSequenceClassification])
def test_task_models_draw_each_weight_once(task_class):
    """The encoder inside a task model initialised itself; the task model adds its heads without
    drawing the encoder again, so with one seed it is the very encoder BertModel builds."""
    cfg = BertConfig.preset("tiny", vocab_size=300, num_labels=3)
    torch.manual_seed(0)
    alone = BertModel(cfg)
    torch.manual_seed(0)
    task = task_class(cfg)
    for name, t in alone.state_dict().items():
        assert torch.equal(task.bert.state_dict()[name], t), name
    assert task.bert.embeddings.word_embeddings.weight[cfg.pad_token_id].abs().max() == 0   # [PAD] row stays zero
    head = task.mlm.dense if task_class is BertForPreTraining else task.classifier
    assert 0.015 < head.weight.std().item() < 0.025 and head.bias.abs().max() == 0          # the head: N(0, 0.02), 0
