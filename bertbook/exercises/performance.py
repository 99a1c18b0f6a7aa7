"""Self-checks for Appendix A1 (performance and scale): three predict-then-run questions.

1. ``check_masked_head_share``: what share of the MLM head's vocabulary-sized work the masked-only
   path does, for a batch the appendix does not show;
2. ``check_padding_skipped``: what share of the per-token work skipping the padding saves, for
   given sentence lengths;
3. ``check_ddp_steps``: how many optimizer steps an epoch takes under ``torchrun``.

Each answer is a number; each listed wrong answer gets a hint naming the slip
(``tests/test_exercise_hints_A1.py`` feeds every one in).
"""
from __future__ import annotations

import numbers

import torch

from . import ExerciseError, exercise_check, passed

SEQ_LENGTH, MASKED_PER_SEQUENCE, BATCH = 128, 19, 32
SENTENCE_LENGTHS = (30, 40, 6, 20)
SINGLE_PROCESS_STEPS, PROCESSES = 1000, 4


def _number(answer, what: str) -> float:
    if isinstance(answer, torch.Tensor):
        if answer.numel() != 1:
            raise ExerciseError(f"answer {what} with one number, got a tensor of shape {tuple(answer.shape)}.")
        answer = answer.item()
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        raise ExerciseError(f"answer {what} with a number, got {type(answer).__name__} {answer!r}.")
    return float(answer)


def _diagnose(answer: float, right: float, diagnoses, tolerance: float, what: str, hint: str) -> None:
    if abs(answer - right) <= tolerance:
        passed(what)
        return
    for wrong, message in diagnoses:
        if abs(answer - wrong) <= tolerance:
            raise ExerciseError(f"{answer:g}: {message}")
    raise ExerciseError(f"{answer:g} is not it. {hint}")


@exercise_check
def check_masked_head_share(answer) -> None:
    """``answer``: the masked-only MLM head's multiply-adds as a fraction of the full head's, for
    32 sequences of 128 tokens with 19 masked positions each (a number between 0 and 1)."""
    a = _number(answer, "the share")
    right = MASKED_PER_SEQUENCE / SEQ_LENGTH
    diagnoses = [
        (0.15, "15% is the masking *rate* BERT aims at; this batch has 19 masked positions out of 128 in "
               "every sequence. The head's work is proportional to the number of rows it runs on."),
        (1 - right, "that is the share the masked-only path *saves*; the question asks for the share it still does."),
        (float(MASKED_PER_SEQUENCE), "19 is a count of positions per sequence; give it as a fraction of the 128."),
        (float(MASKED_PER_SEQUENCE * BATCH), "608 is the number of masked rows in the batch; divide by the "
                                             "32 x 128 rows the full head runs on."),
        (100 * right, "answer as a fraction between 0 and 1, not as a percentage."),
        (SEQ_LENGTH / MASKED_PER_SEQUENCE, "that is the ratio upside down: full work / masked work."),
    ]
    _diagnose(a, right, diagnoses, 5e-4, "masked-only share of the MLM head",
              "The vocabulary-sized matrix multiply costs the same per row; count the rows each path runs it on.")


@exercise_check
def check_padding_skipped(answer) -> None:
    """``answer``: the share of the per-token work (projections, FFN, LayerNorm) that
    ``skip_padding=True`` saves on four sentences of 30, 40, 6 and 20 tokens padded to 40."""
    a = _number(answer, "the share")
    grid = len(SENTENCE_LENGTHS) * max(SENTENCE_LENGTHS)
    real = sum(SENTENCE_LENGTHS)
    right = (grid - real) / grid
    diagnoses = [
        (real / grid, "that is the share of real tokens, the work that is still done; the question asks what "
                      "is saved."),
        (float(grid - real), f"{grid - real} is the number of pad positions; give it as a fraction of the "
                             f"{grid}-position grid."),
        (100 * right, "answer as a fraction between 0 and 1, not as a percentage."),
        (grid / real, "that is the speed-up of the per-token layers (grid / real), not the share saved."),
        ((max(SENTENCE_LENGTHS) - min(SENTENCE_LENGTHS)) / max(SENTENCE_LENGTHS),
         "the padding of the shortest sentence alone; every sentence shorter than 40 is padded."),
        (sum(max(SENTENCE_LENGTHS) - n for n in SENTENCE_LENGTHS) / real,
         "divide the pad positions by the whole grid (4 x 40), not by the real tokens."),
    ]
    _diagnose(a, right, diagnoses, 5e-4, "share of per-token work skipped",
              "The padded batch is a 4 x 40 grid; the per-token layers run on every cell of it unless the pads are skipped.")


@exercise_check
def check_ddp_steps(answer) -> None:
    """``answer``: optimizer steps per epoch under ``torchrun --nproc_per_node=4`` with the same
    ``--batch-size``, when one process takes 1000 steps per epoch."""
    a = _number(answer, "the number of steps")
    right = SINGLE_PROCESS_STEPS / PROCESSES
    diagnoses = [
        (float(SINGLE_PROCESS_STEPS), "the 4 processes do not each go through the whole epoch: every step they "
                                      "take 4 different slices, so each step consumes 4 times the examples."),
        (float(SINGLE_PROCESS_STEPS * PROCESSES), "the processes do not take separate steps: gradients are averaged "
                                                  "and all 4 replicas take the same step together."),
        (32.0 * PROCESSES, "128 is the global batch (4 x 32 examples per step), not the number of steps."),
        (SINGLE_PROCESS_STEPS / 32, "--batch-size stays 32 per process; what changes is how many processes share "
                                    "each step."),
    ]
    _diagnose(a, right, diagnoses, 1e-6, "optimizer steps per epoch under torchrun",
              "Count the examples one step consumes with 4 processes, then how many steps an epoch holds.")
