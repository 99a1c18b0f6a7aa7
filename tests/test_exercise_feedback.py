"""A failed check is feedback, not a crash: ``ExerciseError._render_traceback_`` (IPython's hook for
how an exception is shown) replaces the traceback with a short verdict: the mark and the check, the
student's own line and its exception when their code raised, then the hint. It stays an exception:
Run All stops at it and ``python -m bertbook check`` records the failure.

Three levels: the verdict's lines themselves; IPython's own display (an in-process shell); and a
real kernel run by nbclient (what the front ends receive, and what ``check`` reads). The browser
suite (tests/browser/test_browser_feedback.py) reads the same outputs on a JupyterLab / Notebook 7 page."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
import torch
import torch.nn.functional as F

from bertbook.exercises import ExerciseError, feedback_lines, results, student_line
from bertbook.exercises.attention import check_causal_mask
from bertbook.exercises.pretraining import check_masked_lm_loss_per_example
from bertbook.exercises.positional_encoding import check_positional_encoding

REPO = Path(__file__).resolve().parents[1]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def plain(lines) -> list[str]:
    return [ANSI.sub("", line) for line in lines]


def bertbook_source_lines() -> set[str]:
    return {line.strip() for path in (REPO / "bertbook").rglob("*.py") for line in path.read_text().splitlines()
            if len(line.strip()) > 12 and not line.strip().startswith("#")}


def upper_triangle(T):
    return torch.ones(T, T, dtype=torch.bool).triu()


def loss_without_flattening(logits, labels):
    per_position = F.cross_entropy(logits, labels, reduction="none")      # the student's mistake
    return per_position.mean(1)


def verdict(check, answer) -> list[str]:
    with pytest.raises(ExerciseError) as info:
        check(answer)
    return plain(info.value._render_traceback_())


def test_a_wrong_answer_reads_as_mark_check_and_hint():
    lines = verdict(check_causal_mask, upper_triangle)
    assert lines[0] == "✗ check_causal_mask: not right yet"
    assert lines[1].startswith("  hint: ") and "transposed" in lines[1] and "lower triangle" in lines[1]
    assert len(lines) <= 4 and "Traceback" not in "\n".join(lines)
    assert results()["check_causal_mask"]["status"] == "failed"         # check still sees it


def test_a_crash_in_the_students_code_shows_their_line_then_the_hint():
    lines = verdict(check_masked_lm_loss_per_example, loss_without_flattening)
    assert lines[0] == "✗ check_masked_lm_loss_per_example: not right yet"
    assert lines[1].startswith("  your code raised, at line ")
    assert 'per_position = F.cross_entropy(logits, labels, reduction="none")' in lines[1]
    assert "RuntimeError: Expected target size" in lines[1]
    assert lines[2].startswith("  hint: F.cross_entropy wants logits [N, V]")
    assert "RuntimeError" not in lines[2]                 # the exception is said once, on the student's line


def test_a_crash_the_check_does_not_diagnose_still_gets_the_line_and_a_hint():
    def pe_table(max_len, d_model, base=10000):
        return torch.zeros(max_len, d_model) + undefined_name       # noqa: F821

    lines = verdict(check_positional_encoding, pe_table)
    text = "\n".join(lines)
    assert "NameError" in lines[1] and "undefined_name" in lines[1] and "your code raised" in lines[1]
    assert "hint:" in text


def test_no_line_of_bertbooks_source_in_any_verdict():
    source = bertbook_source_lines()
    for check, answer in [(check_causal_mask, upper_triangle),
                          (check_masked_lm_loss_per_example, loss_without_flattening)]:
        lines = verdict(check, answer)
        assert not [l for l in lines if l.strip() in source], lines
        assert "bertbook/" not in "\n".join(lines) and 'File "' not in "\n".join(lines)


def test_student_line_skips_library_frames():
    try:
        loss_without_flattening(torch.zeros(2, 3, 5), torch.zeros(2, 3, dtype=torch.long))
    except RuntimeError as e:
        where = student_line(e)
    assert where is not None and "F.cross_entropy(logits, labels" in where[1]       # not torch's own line


def test_feedback_lines_of_an_error_with_no_check_name():
    assert plain(feedback_lines(ExerciseError("expected 3, got 4.")))[:2] == ["✗ the check: not right yet",
                                                                                 "  hint: expected 3, got 4."]


def test_ipython_shows_the_verdict_not_a_traceback(capsys):
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()
    shell.run_cell("import torch\nfrom bertbook.exercises.attention import check_causal_mask")
    capsys.readouterr()
    result = shell.run_cell("check_causal_mask(lambda T: torch.ones(T, T, dtype=torch.bool).triu())")
    out = ANSI.sub("", capsys.readouterr().out)
    assert isinstance(result.error_in_exec, ExerciseError)             # still an exception: Run All stops
    assert "✗ check_causal_mask: not right yet" in out and "transposed" in out
    assert "Traceback" not in out and "bertbook/exercises" not in out


def _notebook(path: Path, sources: list[str]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for i, source in enumerate(sources):
        cell = nbformat.v4.new_code_cell(source)
        if "check_" in source and "import" not in source:
            cell.metadata["tags"] = ["exercise"]
        nb.cells.append(cell)
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_in_a_kernel_run_all_stops_at_the_verdict_and_check_sees_the_failure(tmp_path):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from bertbook.course.checking import check_notebook
    path = _notebook(tmp_path / "attempt.ipynb", [
        "import torch\nimport torch.nn.functional as F\n"
        "from bertbook.exercises.pretraining import check_masked_lm_loss_per_example",
        "def masked_lm_loss_per_example(logits, labels):\n"
        "    per_position = F.cross_entropy(logits, labels, reduction='none')\n"
        "    return per_position.mean(1)\n\n"
        "check_masked_lm_loss_per_example(masked_lm_loss_per_example)",
        "print('after')",
    ])
    nb = nbformat.read(path, as_version=4)
    with pytest.raises(CellExecutionError):
        NotebookClient(nb, timeout=300, kernel_name="python3").execute()
    error = [o for o in nb.cells[1].outputs if o.output_type == "error"][0]
    shown = plain(error.traceback)
    assert error.ename == "ExerciseError"
    assert shown[0] == "✗ check_masked_lm_loss_per_example: not right yet"
    assert "line 2:" in shown[1] and "per_position = F.cross_entropy(logits, labels, reduction='none')" in shown[1]
    assert shown[2].startswith("  hint: F.cross_entropy wants logits [N, V]")
    assert not nb.cells[2].get("outputs")                 # Run All stopped at the failed check
    report = check_notebook(path, timeout=300)
    assert [(e.status, e.check) for e in report.exercises] == [("failed", "check_masked_lm_loss_per_example")]
    assert "F.cross_entropy wants logits [N, V]" in report.exercises[0].message
