"""Checkpoints: save/load round trips, transformers compatibility, and clear errors."""
import json

import pytest
import torch

from bertbook import BertConfig, BertForPreTraining, BertModel, CheckpointError, load_pretrained


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(0)
    model = BertForPreTraining(BertConfig.preset("tiny", vocab_size=300))
    model.save_pretrained(tmp_path)
    return model, tmp_path


def test_round_trip(saved):
    model, path = saved
    loaded = load_pretrained(path, model_class=BertForPreTraining)
    for (n, a), (m, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert n == m and torch.equal(a, b), n
    assert loaded.mlm.decoder.weight is loaded.bert.embeddings.word_embeddings.weight


def test_saved_with_transformers_key_names(saved):
    from safetensors import safe_open
    _, path = saved
    keys = set(safe_open(str(path / "model.safetensors"), "pt").keys())
    assert "bert.encoder.layer.0.attention.self.query.weight" in keys
    assert "cls.predictions.transform.LayerNorm.weight" in keys
    assert not any("qkv" in k for k in keys)
    assert json.loads((path / "config.json").read_text())["architectures"] == ["BertForPreTraining"]


def test_encoder_loads_from_pretraining_checkpoint(saved):
    model, path = saved
    enc = load_pretrained(path)                         # BertModel: the heads are left out
    assert torch.equal(enc.encoder.layer[1].attention.qkv.weight, model.bert.encoder.layer[1].attention.qkv.weight)


def test_missing_head_needs_strict_false(minilm_dir):
    with pytest.raises(CheckpointError, match="missing .*mlm.dense.weight.*strict=False"):
        load_pretrained(minilm_dir, model_class=BertForPreTraining)
    with pytest.warns(UserWarning, match="initialised randomly"):
        model = load_pretrained(minilm_dir, model_class=BertForPreTraining, strict=False)
    assert model.config.hidden_size == 384


def _rewrite(path, edit):
    from safetensors.torch import load_file, save_file
    sd = load_file(str(path / "model.safetensors"))
    edit(sd)
    save_file(sd, str(path / "model.safetensors"))


def test_missing_key_is_named(saved):
    _, path = saved
    _rewrite(path, lambda sd: sd.pop("bert.encoder.layer.1.output.LayerNorm.bias"))
    with pytest.raises(CheckpointError, match=r"missing 1 weight.*bert\.encoder\.layer\.1\.output_norm\.bias"):
        load_pretrained(path, model_class=BertForPreTraining)


def test_missing_qkv_part_is_named(saved):
    _, path = saved
    _rewrite(path, lambda sd: sd.pop("bert.encoder.layer.0.attention.self.key.bias"))
    with pytest.raises(CheckpointError, match=r"attention\.self\.key\.bias"):
        load_pretrained(path, model_class=BertForPreTraining)


def test_unknown_key_is_named(saved):
    _, path = saved
    _rewrite(path, lambda sd: sd.__setitem__("bert.encoder.layer.0.adapter.weight", torch.zeros(2)))
    with pytest.raises(CheckpointError, match=r"does not have: bert\.encoder\.layer\.0\.adapter\.weight"):
        load_pretrained(path, model_class=BertForPreTraining)


def test_corrupt_file_is_named(saved):
    _, path = saved
    data = (path / "model.safetensors").read_bytes()
    (path / "model.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="model.safetensors is not a readable safetensors file"):
        load_pretrained(path)


def test_config_weights_mismatch_is_named(saved):
    _, path = saved
    cfg = json.loads((path / "config.json").read_text())
    cfg["vocab_size"] = 400
    (path / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match=r"word_embeddings\.weight has shape \(300, 128\).*\(400, 128\).*config"):
        load_pretrained(path)


def test_missing_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="No checkpoint folder"):
        load_pretrained(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="No config.json"):
        load_pretrained(tmp_path)
    BertConfig.preset("tiny").save(tmp_path / "config.json")
    torch.save({}, tmp_path / "pytorch_model.bin")
    with pytest.raises(FileNotFoundError, match="pytorch_model.bin, a pickle file"):
        load_pretrained(tmp_path)


def test_transformers_reads_our_encoder(tmp_path, minilm, batch):
    from transformers import BertModel as HFBertModel
    minilm.save_pretrained(tmp_path)
    ref = HFBertModel.from_pretrained(str(tmp_path)).eval()
    with torch.no_grad():
        diff = (minilm(**batch).last_hidden_state - ref(**batch).last_hidden_state)[batch["attention_mask"].bool()]
    assert diff.abs().max() <= 1e-5
