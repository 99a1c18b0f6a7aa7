"""Held-out head selection (bertbook.head_patterns): heads chosen on some texts, scored on others."""
import numpy as np
import pytest

from bertbook.attention_maps import check_layer_head, head_label, layer_number
from bertbook.head_patterns import (group_splits, head_pattern_figure, held_out_choice, held_out_figure,
                                    link_weights, load_pronoun_pairs, per_text_pattern_scores, word_position)


def test_group_splits_keep_groups_together_and_halve_them():
    groups = [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    splits = group_splits(groups, n_splits=20, seed=1)
    assert len(splits) == 20
    for s in splits:
        assert s.sum() == 6                                   # 3 of 6 groups, 2 texts each
        for g in set(groups):
            members = s[np.array(groups) == g]
            assert members.all() or not members.any()
    assert len({tuple(s) for s in splits}) > 1                # not the same split every time
    assert all((a == b).all() for a, b in zip(splits, group_splits(groups, 20, seed=1)))
    with pytest.raises(ValueError, match="two groups"):
        group_splits([0, 0], 3)


def test_held_out_choice_scores_the_chosen_head_on_the_other_texts():
    per_text = np.zeros((4, 2, 3))
    per_text[:2, 0, 1] = 0.9        # head (0, 1): great on the selection texts only (its luck)
    per_text[2:, 0, 1] = 0.1
    per_text[:, 1, 2] = 0.5         # head (1, 2): steady everywhere
    selection = np.array([True, True, False, False])
    choice = held_out_choice(per_text, selection)
    assert (choice["layer"], choice["head"]) == (0, 1)
    assert choice["selection_score"] == pytest.approx(0.9)
    assert choice["held_out_score"] == pytest.approx(0.1)
    assert choice["held_out_rank"] == 1                       # head (1, 2) beats it on the held-out texts
    assert choice["held_out_scores"][1, 2] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="each side"):
        held_out_choice(per_text, np.ones(4, dtype=bool))
    with pytest.raises(ValueError, match="one bool per text"):
        held_out_choice(per_text, np.ones(3, dtype=bool))


def test_link_weights_and_pattern_scores_read_the_right_cells():
    tokens = ["[CLS]", "the", "dog", "saw", "it", "[SEP]"]
    array = np.zeros((2, 3, 6, 6), dtype=np.float32)
    array[..., np.arange(6), np.arange(6)] = 1.0            # every head attends to itself ...
    array[1, 2, 4] = 0.0
    array[1, 2, 4, 2] = 0.75                                 # ... except layer 1 head 2: it -> dog
    array[1, 2, 4, 4] = 0.25
    row = {"pronoun": "it", "antecedent": "dog", "other": "the"}
    weights = link_weights([(array, tokens)], [row])
    assert weights.shape == (1, 2, 3)
    assert weights[0, 1, 2] == pytest.approx(0.75) and weights.sum() == pytest.approx(0.75)
    assert link_weights([(array, tokens)], [row], "other").sum() == 0
    scores = per_text_pattern_scores([(array, tokens)])
    assert scores["previous token"].shape == (1, 2, 3)
    with pytest.raises(ValueError, match="occurs 0 times"):
        word_position(tokens, "cat")
    with pytest.raises(ValueError, match="occurs 2 times"):
        word_position(["a", "b", "a"], "a")


def test_pronoun_pairs_are_minimal_pairs_of_single_tokens(minilm_tokenizer):
    rows = load_pronoun_pairs()
    assert len(rows) == 40
    by_pair = {}
    for row in rows:
        by_pair.setdefault(row["pair"], []).append(row)
        tokens = minilm_tokenizer.encode(row["text"]).tokens
        for key in ("pronoun", "antecedent", "other"):
            word_position(tokens, row[key])                   # one token, once
    assert len(by_pair) == 20
    for first, second in by_pair.values():
        assert (first["antecedent"], first["other"]) == (second["other"], second["antecedent"])
    # the right noun comes first in exactly half the sentences, so "look at the first noun" scores 50%
    first_is_right = [r["text"].lower().index(r["antecedent"]) < r["text"].lower().index(r["other"]) for r in rows]
    assert sum(first_is_right) == 20


def test_held_out_figure_draws_one_panel_per_pattern():
    from matplotlib.figure import Figure
    per_text = np.random.default_rng(0).random((6, 2, 3))
    choice = held_out_choice(per_text, np.array([True, False] * 3))
    fig = held_out_figure([("a", choice), ("b", choice)], "title")
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    # the chosen head is named as the lessons name it: encoder layers from 1, heads from 0
    label = fig.axes[0].get_legend().get_texts()[0].get_text()
    assert label == f"chosen: layer {choice['layer'] + 1}, head {choice['head']}"


def test_one_layer_numbering_for_every_lesson():
    """Layer 0 is the embeddings (hidden_states[0], the logit lens's reading 0), so attentions[0] is
    encoder layer 1; heads keep their index. Arguments stay 0-based."""
    assert layer_number(0) == 1 and layer_number(5) == 6
    assert head_label(0, 2) == "layer 1, head 2"
    assert head_label(3, 11) == "layer 4, head 11"
    with pytest.raises(IndexError, match=r"layer indices are 0\.\.5 \(encoder layers 1\.\.6"):
        check_layer_head(np.zeros((6, 12, 3, 3)), 6, 0)


def test_head_pattern_figure_labels_encoder_layers_from_1():
    scores = {"previous token": np.zeros((3, 4)), "next token": np.zeros((3, 4))}
    scores["next token"][2, 1] = 1.0
    fig = head_pattern_figure(scores)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1", "2", "3"]
    assert [p.get_xy() for p in fig.axes[1].patches] == [(0.5, 1.5)]      # the best head boxed at index (2, 1)
