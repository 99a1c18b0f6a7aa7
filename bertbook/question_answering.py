"""Question + passage -> an answer span (BERT's Figure 4c): extractive QA on SQuAD.

Input: ``[CLS] question [SEP] passage [SEP]`` (segment 0, then 1). Two learned vectors S and E
score every token: ``P_start(i) = softmax_i(S . h_i)``, ``P_end(j) = softmax_j(E . h_j)``. The
answer is the legal span with the highest ``S . h_i + E . h_j``: ``j >= i`` (section 4.2 of the BERT paper),
inside the passage and at most ``max_answer_tokens`` long (as Google's ``run_squad.py`` does, 30 tokens).
Its characters come from the tokenizer's offsets, so the answer is an exact slice of the passage you gave.

A passage longer than one window is cut into overlapping windows (``stride`` tokens shared), each
``[CLS] question [SEP] piece of passage [SEP]``; every window proposes its best span and the best
score wins. Nothing is truncated, so an answer near the end of a long text can still be found.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch

from .batching import pad_batch
MAX_LENGTH = 384            # the shipped model's window (its training length; google-research/bert's run_squad.py default)
STRIDE = 128                # tokens shared by neighbouring windows
MAX_ANSWER_TOKENS = 30
MIN_PASSAGE_TOKENS = 16     # a window must have room for at least this much passage


def best_span(start_logits: torch.Tensor, end_logits: torch.Tensor, max_answer_tokens: int = MAX_ANSWER_TOKENS
              ) -> tuple[int, int, float]:
    """(i, j, score): the span with the largest ``start_logits[i] + end_logits[j]`` among
    ``i <= j < i + max_answer_tokens``; ``j`` inclusive. Both are 1-D over the passage's tokens."""
    n = start_logits.numel()
    if n == 0 or end_logits.numel() != n:
        raise ValueError(f"start and end logits must be non-empty and the same length, got {n} and {end_logits.numel()}.")
    scores = start_logits.reshape(-1, 1) + end_logits.reshape(1, -1)          # [i, j]
    legal = torch.ones(n, n, dtype=torch.bool).triu().tril(max_answer_tokens - 1)
    scores = scores.masked_fill(~legal, float("-inf"))
    best = int(scores.argmax())
    return best // n, best % n, float(scores.reshape(-1)[best])


@dataclass
class QAWindows:
    """All windows of one (question, passage): token ids and where the passage sits in each."""
    input_ids: list[list[int]]          # [CLS] question [SEP] passage[a:b] [SEP]
    spans: list[tuple[int, int]]        # passage-token span (a, b) of each window
    passage_start: int                  # index of the first passage token inside a window
    offsets: list[tuple[int, int]]      # character span of each passage token
    tokens: list[str]                   # the passage's tokens
    question_length: int


def qa_windows(tokenizer, question: str, context: str, max_length: int = MAX_LENGTH, stride: int = STRIDE) -> QAWindows:
    """Tokenise once, cut the passage into windows that each fit ``max_length`` with the question."""
    from .long_text import window_spans
    for name, value in (("question", question), ("context", context)):
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a string, got {type(value).__name__}.")
    q = tokenizer.encode(question, add_special_tokens=False)
    c = tokenizer.encode(context, add_special_tokens=False)
    if not q.ids:
        raise ValueError("the question is empty: ask something about the passage.")
    if not c.ids:
        raise ValueError("the context is empty: extractive QA finds the answer in a passage, so pass the text "
                         "to search as context.")
    room = max_length - len(q.ids) - 3                      # [CLS] question [SEP] ... [SEP]
    if room < MIN_PASSAGE_TOKENS:
        raise ValueError(f"the question is {len(q.ids)} tokens long: with [CLS] and two [SEP] it leaves {room} of "
                         f"the {max_length}-token window for the passage (at least {MIN_PASSAGE_TOKENS} needed). "
                         "Shorten the question.")
    spans = window_spans(len(c.ids), room + 2, min(stride, room // 2))
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    head = [cls] + q.ids + [sep]
    return QAWindows([head + c.ids[a:b] + [sep] for a, b in spans], spans, len(head), list(c.offsets),
                     list(c.tokens), len(q.ids))


def _pad(rows: Sequence[list[int]], segment_from: Sequence[int], pad_id: int, device=None) -> dict:
    types = [[0] * s + [1] * (len(r) - s) for r, s in zip(rows, segment_from)]    # question: A, passage: B
    return pad_batch(rows, pad_id, token_type_ids=types, device=device)


def answer_token_span(offsets: Sequence[tuple[int, int]], char_start: int, char_end: int) -> tuple[int, int] | None:
    """First and last passage token (inclusive) overlapping characters [char_start, char_end)."""
    inside = [i for i, (a, b) in enumerate(offsets) if a < char_end and b > char_start]
    return (inside[0], inside[-1]) if inside else None


def training_features(tokenizer, examples: Sequence[dict], max_length: int = MAX_LENGTH, stride: int = STRIDE):
    """(input rows, passage starts, start positions, end positions) for training: of each
    question's windows, the one that holds the first gold answer with the most room around it
    (windows without the answer are not trained on: fewer tokens to push through a CPU)."""
    rows, starts, y_start, y_end = [], [], [], []
    for ex in examples:
        w = qa_windows(tokenizer, ex["question"], ex["context"], max_length, stride)
        gold = ex["answers"][0]
        span = answer_token_span(w.offsets, gold["answer_start"], gold["answer_start"] + len(gold["text"]))
        if span is None:
            continue
        inside = [(min(span[0] - a, b - 1 - span[1]), k) for k, (a, b) in enumerate(w.spans)
                  if a <= span[0] and span[1] < b]
        if not inside:
            continue                                        # the answer is longer than a window
        k = max(inside)[1]
        a = w.spans[k][0]
        rows.append(w.input_ids[k])
        starts.append(w.passage_start)
        y_start.append(w.passage_start + span[0] - a)
        y_end.append(w.passage_start + span[1] - a)
    return rows, starts, y_start, y_end


def squad_batches(model, tokenizer, max_length: int = MAX_LENGTH, stride: int = STRIDE, limit: int | None = None):
    """(make_batch, number of examples, evaluate) for ``finetuning.train`` on the SQuAD train
    articles; ``evaluate()`` gives exact match and F1 on the validation articles."""
    from .task_datasets import load_squad
    rows, starts, y_start, y_end = training_features(tokenizer, load_squad("train")[:limit], max_length, stride)
    pad = tokenizer.token_to_id("[PAD]")

    def make_batch(idx):
        batch = _pad([rows[i] for i in idx], [starts[i] for i in idx], pad, model.device)
        return {**batch, "start_positions": torch.tensor([y_start[i] for i in idx], device=model.device),
                "end_positions": torch.tensor([y_end[i] for i in idx], device=model.device), "skip_padding": True}

    def evaluation() -> dict:
        return {f"validation_{k}": v for k, v in evaluate_squad(model, tokenizer, max_length=max_length,
                                                                stride=stride)[0].items()}

    return make_batch, len(rows), evaluation


def evaluate_squad(model, tokenizer, questions: Sequence[dict] | None = None, max_length: int = MAX_LENGTH,
                   stride: int = STRIDE) -> tuple[dict, list]:
    """SQuAD exact match and F1 (percent) on ``questions`` (default: the validation articles), and
    the predicted :class:`Answer` of each question."""
    from .squad_metrics import squad_scores
    from .task_datasets import load_squad
    questions = load_squad("validation") if questions is None else questions
    predictions = predict_answers(model, tokenizer, questions, max_length=max_length, stride=stride)
    return squad_scores(questions, {q["id"]: p.answer for q, p in zip(questions, predictions)}), predictions


@dataclass
class Answer:
    answer: str
    score: float                    # P_start(i) * P_end(j) within the winning window
    start: int                      # character offsets: context[start:end] == answer
    end: int
    tokens: list[str]               # the passage's tokens ...
    start_probabilities: torch.Tensor   # ... and P_start / P_end of each (from the window where
    end_probabilities: torch.Tensor     # the token has the most context around it)
    token_span: tuple[int, int]     # first and last token of the answer (inclusive)
    windows: int

    def as_dict(self) -> dict:
        return {"answer": self.answer, "score": self.score, "start": self.start, "end": self.end}


@torch.no_grad()
def predict_answers(model, tokenizer, examples: Sequence[dict], max_length: int = MAX_LENGTH, stride: int = STRIDE,
                    max_answer_tokens: int = MAX_ANSWER_TOKENS, batch_size: int = 32) -> list[Answer]:
    """The best answer to each ``{"question", "context"}``, all windows of all questions batched."""
    model.eval()
    pad = tokenizer.token_to_id("[PAD]")
    all_windows = [qa_windows(tokenizer, ex["question"], ex["context"], max_length, stride) for ex in examples]
    flat = [(n, k) for n, w in enumerate(all_windows) for k in range(len(w.spans))]
    flat.sort(key=lambda nk: len(all_windows[nk[0]].input_ids[nk[1]]))
    logits = {}
    for i in range(0, len(flat), batch_size):
        chunk = flat[i:i + batch_size]
        batch = _pad([all_windows[n].input_ids[k] for n, k in chunk], [all_windows[n].passage_start for n, _ in chunk],
                     pad, model.device)
        out = model(**batch)
        for r, nk in enumerate(chunk):
            logits[nk] = (out.start_logits[r].float().cpu(), out.end_logits[r].float().cpu())
    answers = []
    for n, (ex, w) in enumerate(zip(examples, all_windows)):
        best = None
        n_tokens = len(w.tokens)
        p_start, p_end, margin = torch.zeros(n_tokens), torch.zeros(n_tokens), torch.full((n_tokens,), -1)
        for k, (a, b) in enumerate(w.spans):
            s_logits, e_logits = (x[w.passage_start:w.passage_start + b - a] for x in logits[(n, k)])
            i, j, score = best_span(s_logits, e_logits, max_answer_tokens)
            ps, pe = s_logits.softmax(-1), e_logits.softmax(-1)
            if best is None or score > best[0]:
                best = (score, a + i, a + j, float(ps[i] * pe[j]))
            pos = torch.arange(a, b)
            m = torch.minimum(pos - a, b - 1 - pos)
            better = m > margin[a:b]
            p_start[a:b][better], p_end[a:b][better], margin[a:b][better] = ps[better], pe[better], m[better]
        _, i, j, prob = best
        start, end = w.offsets[i][0], w.offsets[j][1]
        answers.append(Answer(ex["context"][start:end], prob, start, end, w.tokens, p_start, p_end, (i, j), len(w.spans)))
    return answers


def answer_question(question: str, context: str, model=None, tokenizer=None, max_length: int = MAX_LENGTH,
                    stride: int = STRIDE, max_answer_tokens: int = MAX_ANSWER_TOKENS, details: bool = False):
    """Find the answer to ``question`` in ``context`` (any length: read in overlapping windows).

    Returns ``{"answer", "score", "start", "end"}`` with ``context[start:end] == answer`` and
    ``score`` the model's probability of that start times that end (in the winning window), or the
    full :class:`Answer` (token probabilities included) with ``details=True``. The default model is
    MiniLM fine-tuned on SQuAD's training articles (``data/pretrained/minilm-squad``)."""
    if not isinstance(question, str) or not isinstance(context, str):
        raise TypeError("answer_question(question, context) takes two strings: the question, then the passage "
                        f"that holds the answer (got {type(question).__name__} and {type(context).__name__}).")
    if not question.strip():
        raise ValueError(f"the question is empty{'' if not question else ' (only whitespace)'}: ask something about the passage.")
    if not context.strip():
        raise ValueError("no context: extractive QA copies the answer out of a passage, so pass the passage "
                         "as context, e.g. answer_question('Who ...?', paragraph).")
    from .task_models import check_model_arguments
    check_model_arguments(model, tokenizer, "squad", max_length=max_length, stride=stride,
                          max_answer_tokens=max_answer_tokens)
    if stride >= max_length:
        raise ValueError(f"stride ({stride}) is the overlap between windows and must be smaller than max_length "
                         f"({max_length}); the default is {STRIDE}.")
    if model is None:
        from .task_models import default_model
        model, default_tokenizer = default_model("squad")
        tokenizer = tokenizer or default_tokenizer
    elif tokenizer is None:
        raise ValueError("pass the tokenizer that goes with your model (e.g. load_tokenizer('minilm')).")
    answer = predict_answers(model, tokenizer, [{"question": question, "context": context}], max_length, stride,
                             max_answer_tokens)[0]
    return answer if details else answer.as_dict()
