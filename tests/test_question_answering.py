"""Extractive QA: the best legal span, windows over long passages, offsets back to characters."""
import pytest
import torch

from bertbook import BertConfig
from bertbook.model import BertForQuestionAnswering
from bertbook.question_answering import (answer_question, answer_token_span, best_span, predict_answers, qa_windows,
                                         training_features)


def test_best_span_is_the_brute_force_best_legal_span():
    g = torch.Generator().manual_seed(0)
    for _ in range(200):
        n = int(torch.randint(1, 40, (1,), generator=g))
        s, e = torch.randn(n, generator=g), torch.randn(n, generator=g)
        i, j, score = best_span(s, e, max_answer_tokens=5)
        best = max((s[a] + e[b], a, b) for a in range(n) for b in range(a, min(n, a + 5)))
        assert (i, j) == (best[1], best[2]) and score == pytest.approx(float(best[0]))
    # the end may not come before the start, even when that pair scores higher
    assert best_span(torch.tensor([0.0, 5.0]), torch.tensor([5.0, 0.0]))[:2] in ((1, 1), (0, 0))


def test_windows_cover_the_passage_with_the_stride(minilm_tokenizer):
    context = " ".join(f"word{i}" for i in range(400))
    w = qa_windows(minilm_tokenizer, "Which word comes last?", context, max_length=64, stride=16)
    assert len(w.spans) > 5
    assert w.spans[0][0] == 0 and w.spans[-1][1] == len(w.tokens)
    for (a1, b1), (a2, b2) in zip(w.spans, w.spans[1:]):
        assert b1 - a2 == 16                                   # neighbours share `stride` tokens
    assert all(len(ids) <= 64 for ids in w.input_ids)
    assert w.input_ids[0][w.passage_start - 1] == minilm_tokenizer.token_to_id("[SEP]")


def test_answer_token_span_and_training_labels(minilm_tokenizer):
    from bertbook.task_datasets import load_squad
    examples = load_squad("train")[:100]
    rows, starts, ys, ye = training_features(minilm_tokenizer, examples, max_length=96, stride=32)
    assert len(rows) >= 95
    # the labelled pieces decode to the gold answer (up to WordPiece's spacing and case)
    norm = lambda s: "".join(s.lower().split())
    hits = 0
    for r, s, e, ex in zip(rows, ys, ye, examples):
        text = minilm_tokenizer.decode(r[s:e + 1])
        hits += norm(text.replace(" ##", "")) == norm(ex["answers"][0]["text"])
    assert hits >= 85
    assert answer_token_span([(0, 3), (4, 9), (10, 12)], 4, 12) == (1, 2)
    assert answer_token_span([(0, 3)], 5, 7) is None


@pytest.fixture(scope="module")
def tiny_reader():
    torch.manual_seed(0)
    return BertForQuestionAnswering(BertConfig.preset("tiny", vocab_size=30522)).eval()


def test_answers_are_exact_slices_of_the_context(tiny_reader, minilm_tokenizer):
    contexts = ["Café “Le Dôme” opened in 1898 in Paris.", "The  Rhine   flows north.\nIt is long. " * 30]
    answers = predict_answers(tiny_reader, minilm_tokenizer,
                              [{"question": "When?", "context": c} for c in contexts], max_length=48, stride=12)
    for a, c in zip(answers, contexts):
        assert c[a.start:a.end] == a.answer and a.answer
        assert len(a.start_probabilities) == len(a.tokens)
    assert answers[1].windows > 1


def test_answer_question_errors(tiny_reader, minilm_tokenizer):
    with pytest.raises(ValueError, match="context"):
        answer_question("Who?", "", tiny_reader, minilm_tokenizer)
    with pytest.raises(ValueError, match="question is empty"):
        answer_question("  ", "Some text.", tiny_reader, minilm_tokenizer)
    with pytest.raises(TypeError, match="two strings"):
        answer_question("Who?", None, tiny_reader, minilm_tokenizer)
    with pytest.raises(ValueError, match="Shorten the question"):
        answer_question("why " * 400, "Some text.", tiny_reader, minilm_tokenizer)


def test_shipped_reader_finds_an_answer_far_into_a_long_passage():
    filler = "The committee met again and discussed the budget at length without a decision. " * 40
    context = filler + "The bridge was designed by the engineer Maria Kowalski in 1931. " + filler
    out = answer_question("Who designed the bridge?", context)
    assert set(out) == {"answer", "score", "start", "end"}
    assert context[out["start"]:out["end"]] == out["answer"]
    assert "Kowalski" in out["answer"] and out["start"] > 3000
    details = answer_question("Who designed the bridge?", context, details=True)
    assert details.windows > 3
