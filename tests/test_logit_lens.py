"""The logit lens (bertbook.logit_lens) against transformers' BertForMaskedLM reading the same hidden
states, plus its ranks and pictures on the shipped minilm-mlm."""
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from bertbook import load_tokenizer
from bertbook.fill_mask import fill_mask
from bertbook.logit_lens import (layer_probabilities, layer_readout, layer_readouts, logit_lens_figure, ranks_of,
                                 readout_arrays, readout_strip, special_token_ids)
from bertbook.minilm_mlm import HEAD_DIR, MLM_FILE, load_minilm_mlm

TEXT = "The old man opened the [MASK] and stepped out into the rain."


@pytest.fixture(scope="module")
def mlm():
    return load_minilm_mlm(), load_tokenizer("minilm")


def test_every_layer_matches_transformers_reading_the_same_hidden_states(mlm, minilm_dir):
    """Independent reference: HF's BertForMaskedLM with the same weights, output_hidden_states=True,
    its own MLM head (cls) applied to each hidden state."""
    from safetensors.torch import load_file
    from transformers import BertForMaskedLM
    model, tok = mlm
    hf = BertForMaskedLM.from_pretrained(str(minilm_dir)).eval()
    hf.load_state_dict({k: v.float() for k, v in load_file(str(HEAD_DIR / MLM_FILE)).items()}, strict=False)
    ids = torch.tensor([tok.encode(TEXT).ids])
    with torch.no_grad():
        hidden = hf.bert(input_ids=ids, output_hidden_states=True).hidden_states
    tokens, positions, probs = layer_probabilities(model, tok, TEXT)
    assert probs.shape == (1, 7, tok.get_vocab_size()) and tokens[positions[0]] == "[MASK]"
    specials = special_token_ids(tok)
    for layer, h in enumerate(hidden):
        with torch.no_grad():
            ref = hf.cls(h[0, positions[0]]).softmax(-1)
        ref[specials] = 0.0
        assert (probs[0, layer] - ref).abs().max() < 1e-5, f"layer {layer}"


def test_the_last_reading_is_fill_masks_answer(mlm):
    model, tok = mlm
    r = layer_readout(model, tok, TEXT)
    (word, p), *_ = fill_mask(TEXT, k=1, model=model, tokenizer=tok)
    assert r.answer == word and r.rank[-1] == 1 and np.isclose(r.probability[-1], p, atol=1e-6)
    assert r.top_words[-1] == word and len(r.rank) == len(r.top_words) == 7
    assert r.rank.min() >= 1 and r.first_layer_at_top() <= 6
    assert r.rank[0] > 1                         # reading 0 has seen no context: not the answer here


def test_reading_zero_does_not_depend_on_the_other_words(mlm):
    """Before the first attention layer a [MASK] at position 4 is the same vector in every sentence."""
    model, tok = mlm
    a = layer_readout(model, tok, "She lit the [MASK] and sat down to read.")
    b = layer_readout(model, tok, "He opened the [MASK] and stepped out.")
    assert a.position == b.position == 4
    assert a.top_words[0] == b.top_words[0] and a.top_words[-1] != b.top_words[-1]


def test_ranks_count_the_words_scoring_higher():
    probs = torch.tensor([[0.1, 0.5, 0.3, 0.1], [0.7, 0.1, 0.15, 0.05]])
    assert ranks_of(probs, 2).tolist() == [2, 2]
    assert ranks_of(probs, 1).tolist() == [1, 3]


def test_several_masks_and_bad_input(mlm):
    model, tok = mlm
    two = layer_readouts(model, tok, "The [MASK] barked at the [MASK].")
    assert len(two) == 2 and two[0].position < two[1].position
    assert [r.answer for r in two] == [preds[0][0] for preds in fill_mask("The [MASK] barked at the [MASK].", 1, model, tok)]
    with pytest.raises(IndexError, match="2 \\[MASK\\]"):
        layer_readout(model, tok, "The [MASK] barked at the [MASK].", mask_index=2)
    with pytest.raises(ValueError, match="needs a text with \\[MASK\\]"):
        layer_readout(model, tok, "no gap here")
    with pytest.raises(TypeError, match="BertForPreTraining"):
        layer_readout(model.bert, tok, TEXT)


def test_pictures(mlm):
    model, tok = mlm
    readouts = [layer_readout(model, tok, s) for s in (TEXT, "She lit the [MASK] and sat down to read.")]
    prob, rank = readout_arrays(readouts)
    assert prob.shape == rank.shape == (2, 7)
    fig = logit_lens_figure(readouts)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    median = fig.axes[0].lines[-1].get_ydata()
    assert np.allclose(median, np.median(rank, 0))
    strip = readout_strip(readouts)
    assert strip.axes[0].get_images()[0].get_array().shape == (2, 7)
    assert [t.get_text() for t in strip.axes[0].texts][-1] == "#1"
