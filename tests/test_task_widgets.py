"""The lesson-9 widgets driven from Python: typing updates the results, bad input shows a message,
and without a widget front end each gives a static figure."""
import pytest
import torch
from matplotlib.figure import Figure

from bertbook import BertConfig, BertForSequenceClassification
from bertbook.model import BertForQuestionAnswering, BertForTokenClassification
from bertbook.task_datasets import SNLI_LABELS, WNUT_LABELS


@pytest.fixture(scope="module")
def tiny_models():
    torch.manual_seed(0)
    cfg = dict(vocab_size=30522)
    nli = BertForSequenceClassification(BertConfig.preset("tiny", num_labels=3, **cfg)).eval()
    nli.config.extra["id2label"] = {str(i): n for i, n in enumerate(SNLI_LABELS)}
    ner = BertForTokenClassification(BertConfig.preset("tiny", num_labels=len(WNUT_LABELS), **cfg)).eval()
    ner.config.extra["id2label"] = {str(i): n for i, n in enumerate(WNUT_LABELS)}
    with torch.no_grad():                       # make "paris" a location whatever the context
        ner.classifier.bias.zero_()
    qa = BertForQuestionAnswering(BertConfig.preset("tiny", **cfg)).eval()
    return nli, ner, qa


def test_nli_widget_updates(tiny_models, minilm_tokenizer):
    from bertbook.pair_classification import classify_pair
    from bertbook.widgets.nli import NLIWidget, nli_widget
    w = NLIWidget("A dog runs.", "An animal moves.", tiny_models[0], minilm_tokenizer)
    first = w.result
    w.hypothesis.value = "A cat sleeps."
    assert w.result == classify_pair("A dog runs.", "A cat sleeps.", tiny_models[0], minilm_tokenizer)
    assert w.result != first and w.image.value[:4] == b"\x89PNG"
    assert all(name in w.listing.value for name in SNLI_LABELS) and f"label: {w.result['label']}" in w.listing.value
    w.premise.value = ""
    assert w.result is None and "empty" in w.listing.value
    assert isinstance(nli_widget("A dog runs.", "An animal moves.", tiny_models[0], minilm_tokenizer,
                                 interactive=False), Figure)


def test_entity_widget_updates(tiny_models, minilm_tokenizer):
    from bertbook.token_classification import find_entities
    from bertbook.widgets.ner import EntityWidget, entity_widget, highlight_entities
    w = EntityWidget("hello there", tiny_models[1], minilm_tokenizer)
    text = "Ada Lovelace met Charles Babbage in London in 1833"
    w.text.value = text
    assert w.entities == find_entities(text, tiny_models[1], minilm_tokenizer)
    assert w.tagged.piece_probabilities.shape == (len(w.tagged.pieces), len(WNUT_LABELS))
    assert w.image.value[:4] == b"\x89PNG"
    assert w.highlighted.value.count("<mark") == len(w.entities)
    html = highlight_entities("I saw Paris.", [{"text": "Paris", "type": "location", "start": 6, "end": 11, "score": 1.0}])
    assert html.startswith("I saw <mark") and "data-type='location'" in html and html.endswith("</mark>.")
    w.text.value = "   "
    assert w.entities == [] and "empty" in w.listing.value
    assert isinstance(entity_widget(text, tiny_models[1], minilm_tokenizer, interactive=False), Figure)


def test_qa_widget_updates(tiny_models, minilm_tokenizer):
    from bertbook.widgets.qa import QAWidget, qa_widget
    w = QAWidget(model=tiny_models[2], tokenizer=minilm_tokenizer)
    context = "The tower was built in 1889 by Gustave Eiffel's company for the World's Fair."
    w.context.value = context
    w.question.value = "When was the tower built?"
    a = w.answer
    assert context[a.start:a.end] == a.answer and a.answer in w.result.value
    assert "<mark" in w.highlighted.value and w.image.value[:4] == b"\x89PNG"
    assert torch.isclose(a.start_probabilities.sum(), torch.tensor(1.0), atol=1e-4)
    w.context.value = ""
    assert w.answer is None and "context" in w.result.value
    assert isinstance(qa_widget(context, "When?", tiny_models[2], minilm_tokenizer, interactive=False), Figure)


def test_widgets_with_the_shipped_models():
    from bertbook.widgets.nli import NLIWidget
    from bertbook.widgets.ner import EntityWidget
    from bertbook.widgets.qa import QAWidget
    nli = NLIWidget("A man is sleeping on a couch.", "A man is running a marathon.")
    assert nli.result["label"] == "contradiction"
    ner = EntityWidget("Barack Obama flew to Paris")
    assert ("Paris", "location") in {(e["text"], e["type"]) for e in ner.entities}
    paragraph = ("The Eiffel Tower is a wrought-iron lattice tower in Paris. It was designed by the company of "
                 "Gustave Eiffel and built from 1887 to 1889 as the entrance arch of the 1889 World's Fair.")
    qa = QAWidget(paragraph, "When was the tower built?")
    assert "1887" in qa.answer.answer and paragraph[qa.answer.start:qa.answer.end] == qa.answer.answer


def test_task_widget_pictures_are_drawn_at_twice_their_css_size(tiny_models, minilm_tokenizer):
    """Sharp on a 2x screen: the PNG has twice the pixels of the width it is shown at, in the live
    widget and in the saved notebook's static picture."""
    from bertbook.widgets.nli import NLIWidget
    from bertbook.widgets.render import png_size
    w = NLIWidget("A dog runs.", "An animal moves.", tiny_models[0], minilm_tokenizer)
    width, height = png_size(bytes(w.image.value))
    assert int(w.image.width) * 2 == width
    bundle, metadata = w._repr_mimebundle_()
    assert bundle["image/png"] and metadata["image/png"] == {"width": width // 2, "height": height // 2}
