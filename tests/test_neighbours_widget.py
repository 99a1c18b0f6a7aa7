"""The contextual-neighbours widget (lesson 10) driven from Python: typing, clicking a word and moving
the layer update the neighbours, the listing and the chart; bad input shows its message; without
ipywidgets the same call draws the static chart."""
import pytest
from matplotlib.figure import Figure

from bertbook import probing as pr
from bertbook.contextuality import NeighbourIndex
from bertbook.treebank import load_ud_ewt
from bertbook.widgets.neighbours import NeighboursWidget, neighbours_figure, neighbours_widget


@pytest.fixture(scope="module")
def index():
    model, tok = pr.load_probe_model("bertbook-tiny")
    sentences = pr.usable(load_ud_ewt("dev", limit=150), [tok])
    return NeighbourIndex(pr.word_features(model, tok, sentences, "bertbook-tiny"), model, tok)


def test_widget_follows_sentence_word_and_layer(index):
    w = NeighboursWidget(index, "I went to the bank to get some money .", "bank", layer=2, k=5)
    assert w.error is None and len(w.neighbours) == 5
    assert [o[0] for o in w.words.options][w.words.value] == "bank"
    assert w.neighbours == index.nearest("I went to the bank to get some money .", "bank", 2, 5)
    assert "nearest to" in w.listing.value and "<mark>" in w.listing.value and w.image.value
    before = [n.similarity for n in w.neighbours]
    w.layer.value = 0
    assert w.neighbours == index.nearest("I went to the bank to get some money .", "bank", 0, 5)
    assert [n.similarity for n in w.neighbours] != before
    w.words.value = 1                                           # click "went"
    assert "went" in w.listing.value and w.neighbours == index.nearest("I went to the bank to get some money .", 1, 0, 5)
    w.sentence.value = "The dog barked at the postman ."
    assert [o[0] for o in w.words.options] == ["The", "dog", "barked", "at", "the", "postman", "."]
    assert w.words.value == 0 and w.error is None
    assert "NeighboursWidget('The dog barked" in repr(w)


def test_widget_shows_bad_input_without_crashing(index):
    w = NeighboursWidget(index, "A sentence .", "sentence", layer=1)
    w.sentence.value = "   "
    assert w.error and "the sentence is empty" in w.error and "bertbook-neighbours-error" in w.listing.value
    assert w.words.options == () and w.neighbours == []
    w.sentence.value = "Back to words ."
    assert w.error is None and w.neighbours


def test_static_fallback_and_figure(index):
    fig = neighbours_widget(index, "We sat on the bank of the river .", "bank", layer=1, interactive=False)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert len(ax.patches) == 8 and "bank" in ax.get_title(loc="left")
    found = index.nearest("We sat on the bank of the river .", "bank", 1, 3)
    labels = [t.get_text() for t in neighbours_figure("s", "bank", 1, found).axes[0].get_yticklabels()]
    assert all("[" in label for label in labels) and len(labels) == 3
    with pytest.raises(ValueError, match="'fish' is not a word of the sentence"):
        neighbours_widget(index, "We sat on the bank .", "fish", layer=1, interactive=False)
    with pytest.raises(ValueError, match="layer must be an integer from 0"):
        neighbours_widget(index, "We sat on the bank .", "bank", layer=7, interactive=False)
