"""Lessons 3 and 4: the attention viewer (driven like a student would), its static fallback, the
exercises' self-checks, and the parameter table against transformers' BertModel."""
import base64
import io
import math
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from bertbook import BertConfig
from bertbook.exercises import ExerciseError
from bertbook.exercises import attention as ex3
from bertbook.exercises import encoder as ex4
from bertbook.parameters import count_by_part, parameter_count, parameter_rows, parameter_table
from bertbook.widgets.attention import (AttentionViewer, as_attention_array, attention_figure,
                                        attention_viewer, model_attentions, widgets_available)
from bertbook.widgets.render import png_size

TOKENS = ["[CLS]", "the", "cat", "sat", "[SEP]"]


@pytest.fixture
def attentions():
    """bertviz format: 3 layers of [1, 4 heads, 5, 5], every map different, rows summing to 1."""
    g = torch.Generator().manual_seed(0)
    return tuple(torch.softmax(torch.randn(1, 4, 5, 5, generator=g) * 3, dim=-1) for _ in range(3))


def decode_png(data: bytes) -> np.ndarray:
    import matplotlib.image
    return matplotlib.image.imread(io.BytesIO(data), format="png")


def png_of(figure, dpi=80) -> bytes:
    """The static rendering, at the widgets' pixel ratio (2x)."""
    from bertbook.widgets.render import PIXEL_RATIO
    buf = io.BytesIO()
    figure.savefig(buf, format="png", dpi=dpi * PIXEL_RATIO)
    return buf.getvalue()


def pixel_error(viewer, matrix) -> float:
    """Largest colour difference between the centre pixel of each heatmap cell in the widget's PNG
    and the colour the colormap gives ``matrix`` there."""
    pixels = decode_png(bytes(viewer.image.value))[..., :3]
    height = pixels.shape[0]
    heatmap = viewer.heatmap
    scale = pixels.shape[1] / viewer.figure.bbox.width     # the PNG is drawn at 2x (crisp on HiDPI)
    expected = heatmap.cmap(heatmap.norm(np.asarray(matrix)))[..., :3]
    worst = 0.0
    for i in range(expected.shape[0]):
        for j in range(expected.shape[1]):
            x, y = heatmap.axes.transData.transform((j, i)) * scale   # PNG pixels, origin bottom-left
            got = pixels[int(round(height - y)), int(round(x))]
            worst = max(worst, float(np.abs(got - expected[i, j]).max()))
    return worst


# --- the viewer --------------------------------------------------------------------------------

def test_viewer_head_selector_changes_the_image_to_that_heads_map(attentions):
    viewer = AttentionViewer(attentions, TOKENS)
    np.testing.assert_array_equal(viewer.heatmap.get_array(), attentions[0][0, 0].numpy())
    before = viewer.image.value
    viewer.head_selector.value = 2                       # what a click on the dropdown does
    assert viewer.image.value != before
    assert not np.array_equal(decode_png(viewer.image.value), decode_png(before))
    np.testing.assert_array_equal(viewer.heatmap.get_array(), attentions[0][0, 2].numpy())
    assert viewer.heatmap.axes.get_title() == "layer 1, head 2"     # encoder layers from 1, heads from 0
    # the picture's cells have that head's colours (and not the first head's)
    assert pixel_error(viewer, attentions[0][0, 2]) < 0.02
    assert pixel_error(viewer, attentions[0][0, 0]) > 0.2
    # byte for byte the static rendering of that map, and going back restores the first picture
    assert viewer.image.value == png_of(attention_figure(attentions, TOKENS, layer=0, head=2))
    viewer.head_selector.value = 0
    assert viewer.image.value == before


def test_viewer_layer_selector_and_show(attentions):
    viewer = AttentionViewer(attentions, TOKENS, layer=0, head=1)
    shown = {viewer.image.value}
    viewer.layer_selector.value = 2
    np.testing.assert_array_equal(viewer.current(), attentions[2][0, 1].numpy())
    np.testing.assert_array_equal(viewer.heatmap.get_array(), attentions[2][0, 1].numpy())
    shown.add(viewer.image.value)
    viewer.show(layer=1, head=3)
    assert (viewer.layer_selector.value, viewer.head_selector.value) == (1, 3)
    np.testing.assert_array_equal(viewer.heatmap.get_array(), attentions[1][0, 3].numpy())
    shown.add(viewer.image.value)
    assert len(shown) == 3
    with pytest.raises(IndexError, match="heads 0..3"):
        viewer.show(head=4)


def test_viewer_controls_and_labels(attentions):
    viewer = AttentionViewer(attentions, TOKENS)
    # the dropdown shows encoder layers 1..L (layer 0 = the embeddings, lesson 3's convention) and keeps
    # the 0-based index as its value, so code and attentions[layer] agree
    assert list(viewer.layer_selector.options) == [("1", 0), ("2", 1), ("3", 2)]
    assert list(viewer.head_selector.options) == [0, 1, 2, 3]
    ax = viewer.heatmap.axes
    assert [t.get_text() for t in ax.get_xticklabels()] == TOKENS
    assert [t.get_text() for t in ax.get_yticklabels()] == TOKENS
    bundle, metadata = viewer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert base64.b64decode(bundle["image/png"]) == viewer.image.value
    assert metadata["image/png"]["width"] * 2 <= png_size(bytes(viewer.image.value))[0]    # sharp: 2 pixels per CSS pixel
    assert bundle["text/plain"] == "AttentionViewer(3 layers x 4 heads, 5 tokens; showing layer 1, head 0)"


def test_static_fallback_without_ipywidgets(attentions, monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)          # import ipywidgets -> ImportError
    assert not widgets_available()
    fig = attention_viewer(attentions, TOKENS, layer=2, head=1)
    from matplotlib.figure import Figure
    assert isinstance(fig, Figure)
    image = fig.axes[0].images[0]
    np.testing.assert_array_equal(image.get_array(), attentions[2][0, 1].numpy())
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == TOKENS
    assert decode_png(png_of(fig)).ndim == 3


def test_auto_mode_outside_a_kernel_is_static(attentions):
    from matplotlib.figure import Figure
    assert isinstance(attention_viewer(attentions, TOKENS), Figure)          # pytest has no kernel
    assert isinstance(attention_viewer(attentions, TOKENS, interactive=True), AttentionViewer)


def test_bad_inputs_get_clear_errors(attentions):
    with pytest.raises(ValueError, match="5 positions"):
        as_attention_array(attentions, TOKENS[:4])
    batch = tuple(torch.cat([a, a]) for a in attentions)
    with pytest.raises(ValueError, match="batch of 2"):
        as_attention_array(batch, TOKENS)
    with pytest.raises(ValueError, match="non-empty"):
        as_attention_array((), TOKENS)
    with pytest.raises(ValueError, match=r"\[1, heads, T, T\]"):
        as_attention_array([torch.zeros(1, 4, 5, 6)], TOKENS)


def test_model_attentions_match_transformers(minilm, minilm_tokenizer, minilm_dir):
    from transformers import AutoTokenizer, BertModel as HFBertModel
    text = "The bank of the river was muddy."
    attentions, tokens = model_attentions(minilm, minilm_tokenizer, text)
    hf_tok = AutoTokenizer.from_pretrained(str(minilm_dir))
    ids = hf_tok(text, return_tensors="pt")
    assert tokens == hf_tok.convert_ids_to_tokens(ids["input_ids"][0])
    hf = HFBertModel.from_pretrained(str(minilm_dir), attn_implementation="eager").eval()
    with torch.no_grad():
        ref = hf(**ids, output_attentions=True).attentions
    assert len(attentions) == len(ref) == 6
    for a, b in zip(attentions, ref):
        assert a.shape == b.shape == (1, 12, len(tokens), len(tokens))
        assert (a - b).abs().max() <= 1e-5
    viewer = AttentionViewer(attentions, tokens)
    viewer.show(layer=4, head=7)
    np.testing.assert_allclose(viewer.heatmap.get_array(), ref[4][0, 7].numpy(), atol=1e-5)
    assert pixel_error(viewer, ref[4][0, 7]) < 0.02


# --- lesson 3 self-checks ------------------------------------------------------------------------

def right_attention(q, k, v):
    s = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    e = (s - s.amax(-1, keepdim=True)).exp()
    return e / e.sum(-1, keepdim=True) @ v


def test_check_attention(capsys):
    ex3.check_attention(right_attention)
    assert "correct" in capsys.readouterr().out
    with pytest.raises(ExerciseError, match="write the softmax yourself"):      # the lesson prints this one
        ex3.check_attention(lambda q, k, v: F.scaled_dot_product_attention(q, k, v))
    with pytest.raises(ExerciseError, match="sqrt"):
        ex3.check_attention(lambda q, k, v: right_attention(q * math.sqrt(q.size(-1)), k, v))   # unscaled
    with pytest.raises(ExerciseError, match="attention weights"):
        ex3.check_attention(lambda q, k, v: right_attention(q, k, torch.eye(q.size(-2)).expand(*q.shape[:-1], -1)))


def test_check_causal_mask():
    ex3.check_causal_mask(lambda t: torch.ones(t, t, dtype=torch.bool).tril())
    with pytest.raises(ExerciseError, match="transposed"):
        ex3.check_causal_mask(lambda t: torch.ones(t, t, dtype=torch.bool).triu())
    with pytest.raises(ExerciseError, match="itself"):
        ex3.check_causal_mask(lambda t: torch.ones(t, t, dtype=torch.bool).tril(-1))
    with pytest.raises(ExerciseError, match="boolean"):
        ex3.check_causal_mask(lambda t: torch.ones(t, t).tril())
    with pytest.raises(ExerciseError, match="shape"):
        ex3.check_causal_mask(lambda t: torch.ones(t, dtype=torch.bool))


def test_check_head_weights_and_additive_mask_and_count():
    # the full tables of wrong answers are in test_exercise_hints_03.py
    def head_weights(w, head, num_heads):
        hidden = w.shape[1]
        d = hidden // num_heads
        return tuple(w[p * hidden + head * d: p * hidden + (head + 1) * d] for p in range(3))
    ex3.check_head_weights(head_weights)
    with pytest.raises(ExerciseError, match=r"\[q \| k \| v\]"):
        ex3.check_head_weights(lambda w, h, n: (head_weights(w, h, n)[0],) * 3)
    ex3.check_additive_mask(lambda m: ((1.0 - m.float()) * -10000.0)[:, None, None, :])
    with pytest.raises(ExerciseError, match="backwards"):
        ex3.check_additive_mask(lambda m: (m.float() * -10000.0)[:, None, None, :])
    ex3.check_attention_weight_count(8 * 12 * 128 * 128, 16)
    with pytest.raises(ExerciseError, match="4 x 4"):
        ex3.check_attention_weight_count(8 * 12 * 128 * 128, 4)


# --- lesson 4 self-checks: their hint tables are in tests/test_exercise_hints_04.py --------------

def test_lesson_4_checks_are_the_ones_the_lesson_imports():
    import nbformat
    from pathlib import Path
    nb = nbformat.read(Path(__file__).resolve().parents[1] / "notebooks" / "04_encoder.ipynb", as_version=4)
    called = {name for name in dir(ex4) if name.startswith("check_")
              and any(f"{name}(" in c.source for c in nb.cells if "exercise" in c.metadata.get("tags", []))}
    assert called == {"check_feed_forward", "check_layer_norm_norm", "check_gated_layer_parameters"}


def test_gelu_names_mean_what_lesson_4_says():
    """Lesson 4: transformers' "gelu" is the exact erf GELU and "gelu_new" the tanh approximation,
    and bertbook's names mean the same."""
    from transformers.activations import ACT2FN
    from bertbook.encoder import ACTIVATIONS
    x = torch.linspace(-5, 5, 1001)
    exact = x * 0.5 * (1 + torch.erf(x / math.sqrt(2)))
    tanh = 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    assert (exact - tanh).abs().max() > 1e-4                        # the two really differ
    for name, formula in (("gelu", exact), ("gelu_new", tanh)):
        assert torch.allclose(ACT2FN[name](x), formula, atol=1e-6)
        assert torch.allclose(ACTIVATIONS[name](x), formula, atol=1e-6)


# --- the parameter table, against transformers ---------------------------------------------------

def hf_parts(hf) -> dict:
    """transformers' BertModel counted by the same parts, by its own module names."""
    def n(module):
        return sum(p.numel() for p in module.parameters())
    layers = hf.encoder.layer
    emb = hf.embeddings
    return {
        "word embeddings": n(emb.word_embeddings), "position embeddings": n(emb.position_embeddings),
        "segment embeddings": n(emb.token_type_embeddings), "embedding LayerNorm": n(emb.LayerNorm),
        "attention Q, K, V": sum(n(l.attention.self) for l in layers),
        "attention output": sum(n(l.attention.output.dense) for l in layers),
        "attention LayerNorm": sum(n(l.attention.output.LayerNorm) for l in layers),
        "FFN in (H -> I)": sum(n(l.intermediate) for l in layers),
        "FFN out (I -> H)": sum(n(l.output.dense) for l in layers),
        "FFN LayerNorm": sum(n(l.output.LayerNorm) for l in layers),
        "pooler": n(hf.pooler),
    }


@pytest.mark.parametrize("preset", ["base", "minilm", "tiny"])
def test_parameter_table_matches_transformers(preset):
    import transformers
    config = BertConfig.preset(preset)
    hf_config = transformers.BertConfig(**{k: v for k, v in config.to_dict().items()
                                           if k not in ("architectures", "model_type")})
    with torch.device("meta"):                      # shapes only: no memory, no initialisation cost
        hf = transformers.BertModel(hf_config)
    assert parameter_count(config) == sum(p.numel() for p in hf.parameters())
    assert {r.part: r.total for r in parameter_rows(config)} == hf_parts(hf)
    if preset == "base":
        assert parameter_count(config) == 109_482_240
        assert parameter_count(config, pooler=False) == 109_482_240 - (768 * 768 + 768)


def test_count_by_part_of_built_models():
    from bertbook import BertForPreTraining, BertModel
    config = BertConfig.preset("tiny")
    model = BertModel(config)
    assert count_by_part(model) == {r.part: r.total for r in parameter_rows(config)}
    pretraining = count_by_part(BertForPreTraining(config))
    assert pretraining["word embeddings"] == config.vocab_size * config.hidden_size      # tied: counted once
    assert set(pretraining) - set(count_by_part(model)) == {"mlm", "nsp"}


def test_parameter_table_text():
    table = parameter_table(BertConfig())
    assert table.splitlines()[-1].split()[1] == "109,482,240"
    assert "FFN in (H -> I)" in table and "x" in table.splitlines()[0]
