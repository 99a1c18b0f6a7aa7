"""Bad input to the lesson-9 task APIs gets a clear error that names the problem and the fix, raised
before any model is loaded (so each case is instant): a matrix of the inputs learners actually pass.

Each row: the call, the exception type, and fragments the message must contain (what is wrong, and
the way out). A row that stopped raising, or raised a vaguer error, fails here."""
import pytest

from bertbook import answer_question, classify_pair, find_entities, tag_words

P = "A man is playing a guitar on stage."
H = "Someone is making music."
Q = "Who wrote Hamlet?"
C = "Hamlet is a tragedy written by William Shakespeare."

CASES = {
    # classify_pair
    "pair: empty premise": (lambda: classify_pair("", H), ValueError, ["premise is empty", "sentence"]),
    "pair: whitespace hypothesis": (lambda: classify_pair(P, "   \n"), ValueError, ["hypothesis is empty"]),
    "pair: empty lists": (lambda: classify_pair([], []), ValueError, ["no pairs", "at least one"]),
    "pair: an empty sentence in a list": (lambda: classify_pair([P, P], [H, ""]), ValueError, ["hypothesis[1] is empty"]),
    "pair: string and list": (lambda: classify_pair(P, [H]), TypeError, ["two strings", "two lists", "str and list"]),
    "pair: lists of different lengths": (lambda: classify_pair([P, P], [H]), ValueError, ["2 premises but 1 hypotheses"]),
    "pair: None": (lambda: classify_pair(None, None), TypeError, ["premise must be a string or a list", "NoneType"]),
    "pair: a number in a list": (lambda: classify_pair([P, 3], [H, H]), TypeError, ["premise[1] is a int", "(str)"]),
    "pair: max_length 0": (lambda: classify_pair(P, H, max_length=0), ValueError, ["max_length must be at least 1"]),
    "pair: batch_size a float": (lambda: classify_pair(P, H, batch_size=8.0), TypeError, ["batch_size must be a whole number"]),
    "pair: model by name": (lambda: classify_pair(P, H, model="minilm-snli"), TypeError, ["loaded model", "load_task_model('snli')"]),
    # tag_words
    "tag: an empty word in the list": (lambda: tag_words(["Paris", "", "France"]), ValueError, ["words[1] is empty", "Drop it"]),
    "tag: a whitespace word": (lambda: tag_words(["Paris", " "]), ValueError, ["words[1] is empty (only whitespace)"]),
    "tag: an empty word in a batch": (lambda: tag_words([["Paris"], ["in", ""]]), ValueError, ["words[1][1] is empty"]),
    "tag: empty list": (lambda: tag_words([]), ValueError, ["no words to tag", "non-empty list"]),
    "tag: a list of empty lists": (lambda: tag_words([[], []]), ValueError, ["no words to tag"]),
    "tag: one string": (lambda: tag_words("Paris is in France"), TypeError, ["list of words", "find_entities(text)"]),
    "tag: None": (lambda: tag_words(None), TypeError, ["list of words", "NoneType"]),
    "tag: a number among the words": (lambda: tag_words(["Paris", 3]), TypeError, ["words[1] is 3", "must be a string"]),
    "tag: model without tokenizer": (lambda: tag_words(["Paris"], model=object()), ValueError, ["pass the tokenizer"]),
    # find_entities
    "entities: empty text": (lambda: find_entities(""), ValueError, ["text is empty", "type a sentence"]),
    "entities: whitespace text": (lambda: find_entities(" \t\n"), ValueError, ["text is empty (only whitespace)"]),
    "entities: a list of words": (lambda: find_entities(["Paris", "France"]), TypeError, ["must be a string", "tag_words(words)"]),
    "entities: None": (lambda: find_entities(None), TypeError, ["text must be a string", "NoneType"]),
    "entities: bytes": (lambda: find_entities(b"Paris"), TypeError, ["text must be a string", "bytes"]),
    # answer_question
    "qa: empty question": (lambda: answer_question("", C), ValueError, ["question is empty", "ask something"]),
    "qa: whitespace question": (lambda: answer_question("   ", C), ValueError, ["question is empty (only whitespace)"]),
    "qa: blank passage": (lambda: answer_question(Q, "  \n "), ValueError, ["no context", "pass the passage"]),
    "qa: empty passage": (lambda: answer_question(Q, ""), ValueError, ["no context"]),
    "qa: None passage": (lambda: answer_question(Q, None), TypeError, ["two strings", "str and NoneType"]),
    "qa: a list of questions": (lambda: answer_question([Q], C), TypeError, ["two strings", "list"]),
    "qa: stride not below max_length": (lambda: answer_question(Q, C, max_length=64, stride=64), ValueError,
                                        ["stride (64)", "smaller than max_length (64)"]),
    "qa: negative stride": (lambda: answer_question(Q, C, stride=-1), ValueError, ["stride must be 0 or more"]),
    "qa: max_answer_tokens 0": (lambda: answer_question(Q, C, max_answer_tokens=0), ValueError, ["max_answer_tokens must be at least 1"]),
    "qa: model by name": (lambda: answer_question(Q, C, model="squad"), TypeError, ["loaded model", "load_task_model('squad')"]),
}


@pytest.fixture(autouse=True)
def no_model_is_loaded(monkeypatch):
    """The errors come before any work: loading a model here fails the test."""
    import bertbook.task_models as tm

    def refuse(*args, **kwargs):
        raise AssertionError("a model was loaded for bad input")
    monkeypatch.setattr(tm, "load_task_model", refuse)
    monkeypatch.setattr(tm, "default_model", refuse)


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_gets_an_error_that_names_problem_and_fix(name):
    call, kind, fragments = CASES[name]
    with pytest.raises(kind) as info:
        call()
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, (name, message)


def test_the_matrix_covers_every_task_api_and_both_kinds_of_error():
    apis = {name.split(":")[0] for name in CASES}
    assert apis == {"pair", "tag", "entities", "qa"}
    assert {kind for _, kind, _ in CASES.values()} == {ValueError, TypeError}
