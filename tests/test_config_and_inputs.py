"""Configs and model inputs: wrong ones fail early with a message that names the fix."""
import subprocess
import sys

import pytest
import torch

from bertbook import BertConfig, BertModel


def test_presets():
    base = BertConfig.preset("base")
    assert (base.num_hidden_layers, base.hidden_size, base.num_attention_heads, base.intermediate_size,
            base.max_position_embeddings, base.vocab_size) == (12, 768, 12, 3072, 512, 30522)
    assert BertConfig.preset("tiny", num_hidden_layers=3).num_hidden_layers == 3
    with pytest.raises(ValueError, match="Unknown preset 'huge'.*tiny"):
        BertConfig.preset("huge")


@pytest.mark.parametrize("kwargs, message", [
    (dict(hidden_size=100, num_attention_heads=12), "divisible by num_attention_heads"),
    (dict(num_hidden_layers=0), "num_hidden_layers must be a positive integer"),
    (dict(hidden_act="swish"), "hidden_act 'swish' is not supported"),
    (dict(hidden_dropout_prob=1.5), r"hidden_dropout_prob must be in \[0, 1\)"),
])
def test_bad_config(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BertConfig(**kwargs)


def test_json_round_trip_keeps_unknown_fields(tmp_path):
    cfg = BertConfig.from_dict({**BertConfig.preset("mini").to_dict(), "transformers_version": "4.8.2"})
    cfg.save(tmp_path / "c.json")
    again = BertConfig.load(tmp_path / "c.json")
    assert again == cfg and again.extra["transformers_version"] == "4.8.2"


def test_other_architectures_are_refused():
    with pytest.raises(ValueError, match="model_type 'roberta'"):
        BertConfig.from_dict({"model_type": "roberta"})


def test_too_long_input_names_the_limit():
    model = BertModel(BertConfig.preset("tiny"))
    with pytest.raises(ValueError, match="129 tokens but this model has only 128 position embeddings"):
        model(torch.ones(1, 129, dtype=torch.long))


def test_token_ids_outside_vocab_name_the_mismatch():
    model = BertModel(BertConfig.preset("tiny"))
    with pytest.raises(ValueError, match="outside this model's vocabulary.*tokenizer and the model do not match"):
        model(torch.tensor([[2, 29000, 3]]))


def test_negative_token_id_is_the_one_named():
    """The message names the offending id (-5), not the largest id in the batch."""
    model = BertModel(BertConfig.preset("tiny"))
    with pytest.raises(ValueError, match="token id -5 is outside"):
        model(torch.tensor([[101, -5, 102]]))


@pytest.mark.parametrize("bad", [torch.rand(1, 5), torch.ones(1, 5, dtype=torch.bool)])
def test_non_integer_input_ids_get_a_clear_error(bad):
    model = BertModel(BertConfig.preset("tiny"))
    with pytest.raises(ValueError, match="input_ids must be integer token ids"):
        model(bad)


def test_mask_shape_mismatch():
    model = BertModel(BertConfig.preset("tiny"))
    with pytest.raises(ValueError, match="attention_mask has shape"):
        model(torch.tensor([[2, 5, 3]]), attention_mask=torch.ones(1, 4))


def test_import_is_light():
    """`import bertbook` must not pull in torch (notebooks and the CLI start fast)."""
    code = "import sys; import bertbook; print('torch' in sys.modules, 'transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]


def test_bertbook_never_imports_transformers():
    import re
    from pathlib import Path
    import bertbook
    imports = re.compile(r"^\s*(import|from)\s+(transformers|sentence_transformers)\b", re.M)
    files = list(Path(bertbook.__file__).parent.rglob("*.py"))
    assert len(files) > 5
    for path in files:
        assert not imports.search(path.read_text()), path
