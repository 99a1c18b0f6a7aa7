"""The checkpoint registry: every name resolves to a real folder, new shipped names are one line,
and the default model class comes from the registry."""
import pytest

from bertbook import BertForPreTraining, BertModel, load_pretrained
from bertbook.checkpoints import CHECKPOINTS, PRETRAINED_DIR, resolve_checkpoint_dir, shipped
from bertbook.weights import load_checkpoint


@pytest.mark.parametrize("name", sorted(CHECKPOINTS))
def test_every_named_checkpoint_has_its_folder(name):
    folder = resolve_checkpoint_dir(name)
    assert folder.is_dir()
    assert (folder / CHECKPOINTS[name].weights_file).is_file()


def test_a_shipped_checkpoint_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setitem(CHECKPOINTS, "bertbook-copy", shipped("bertbook-tiny", "the same folder, another name",
                                                              "BertForPreTraining"))
    assert resolve_checkpoint_dir("bertbook-copy") == PRETRAINED_DIR / "bertbook-tiny"
    assert type(load_pretrained("bertbook-copy")) is BertForPreTraining      # the registry's default class
    assert type(load_pretrained("bertbook-tiny")) is BertModel               # a folder's default: the encoder


def test_unknown_names_list_the_known_ones(tmp_path):
    with pytest.raises(FileNotFoundError, match="bertbook-tiny.*minilm"):
        resolve_checkpoint_dir(tmp_path / "nowhere")


@pytest.mark.parametrize("name", ["minilm-snli", "minilm-wnut17", "minilm-squad"])
def test_lesson_9_models_are_named_checkpoints(name):
    """The registry knows the shipped task models too: load_pretrained(name) is load_task_model(task)."""
    import torch
    from bertbook.task_models import load_task_model
    model = load_pretrained(name)
    assert type(model).__name__ == CHECKPOINTS[name].model_class and not model.training
    same = load_task_model(name.split("-", 1)[1])
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), same.state_dict().values()))


def test_the_class_free_loader_asks_for_a_class():
    with pytest.raises(TypeError, match="needs model_class"):
        load_checkpoint("bertbook-tiny", None)
