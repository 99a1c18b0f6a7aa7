"""Appendix A1's predict-then-run checks: every listed wrong answer gets its own hint, bad types
become clear messages, the right answer passes, `...` is "not attempted"."""
import pytest
import torch

from bertbook.exercises import ExerciseError
from bertbook.exercises import performance as a1

MASKED = [
    (0.15, "masking *rate*"),
    (1 - 19 / 128, "*saves*"),
    (19, "a count of positions"),
    (608, "number of masked rows"),
    (100 * 19 / 128, "not as a percentage"),
    (128 / 19, "upside down"),
    (0.5, "is not it"),
]
PADDING = [
    (0.6, "share of real tokens"),
    (64, "number of pad positions"),
    (40.0, "not as a percentage"),
    (160 / 96, "speed-up"),
    (34 / 40, "shortest sentence alone"),
    (64 / 96, "not by the real tokens"),
    (0.3, "is not it"),
]
DDP = [
    (1000, "do not each go through the whole epoch"),
    (4000, "do not take separate steps"),
    (128, "global batch"),
    (1000 / 32, "--batch-size stays 32"),
    (500, "is not it"),
]
CASES = ([(a1.check_masked_head_share, a, h) for a, h in MASKED]
         + [(a1.check_padding_skipped, a, h) for a, h in PADDING]
         + [(a1.check_ddp_steps, a, h) for a, h in DDP])


@pytest.mark.parametrize("check,answer,hint", CASES, ids=[f"{c.__name__}-{a:g}" for c, a, _ in CASES])
def test_wrong_answers_get_their_hint(check, answer, hint):
    with pytest.raises(ExerciseError) as e:
        check(answer)
    assert hint in str(e.value), str(e.value)


CHECKS = [a1.check_masked_head_share, a1.check_padding_skipped, a1.check_ddp_steps]
RIGHT = {a1.check_masked_head_share: 19 / 128, a1.check_padding_skipped: 0.4, a1.check_ddp_steps: 250}


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__ for c in CHECKS])
@pytest.mark.parametrize("answer,words", [("0.4", "with a number"), (None, "with a number"),
                                          (True, "with a number"), (torch.ones(2), "shape (2,)")])
def test_bad_types_get_clear_messages(check, answer, words):
    with pytest.raises(ExerciseError) as e:
        check(answer)
    assert words in str(e.value)


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__ for c in CHECKS])
def test_right_answer_passes_and_stub_is_not_attempted(check, capsys):
    check(RIGHT[check])
    check(torch.tensor(float(RIGHT[check])))
    assert capsys.readouterr().out.count("correct") == 2
    check(...)
    assert "not attempted" in capsys.readouterr().out


def test_appendix_is_collected_like_a_lesson():
    """The appendix runs under strict nbval (pytest's testpaths include notebooks/) and the course
    kit treats it as a lesson; its one ignored output is the timing cell."""
    import nbformat
    from bertbook.course.edition import lesson_paths
    from bertbook.corpus import REPO_DIR
    path = REPO_DIR / "notebooks" / "A1_performance_and_scale.ipynb"
    assert path in lesson_paths()
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    ignored = [c for c in code if "NBVAL_IGNORE_OUTPUT" in c.source]
    assert len(ignored) == 1 and "perf_counter" in ignored[0].source
    assert sum("exercise" in c.metadata.get("tags", []) for c in code) == 3
