"""A failed exercise check reads as feedback, not as a crash, in JupyterLab and Notebook 7.

Two small notebooks, written the way a student's attempt looks, are run with Run All Cells through
the UI: one gives a wrong answer (lesson 3's causal mask, upper triangle instead of lower), one
whose own function raises inside the check (lesson 6's per-example MLM loss, `F.cross_entropy` on
`[B, T, V]` logits). The page must show the check's verdict with its hint, no Python traceback and
no line of bertbook's source; the crash must show the student's line and the hint within the first
lines; and Run All must stop there (the cell after never runs)."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
AFTER = "print('AFTER' + '-THE-CHECK')"          # its output, not its source, says it ran

WRONG_ANSWER = [
    "import torch\nfrom bertbook.exercises.attention import check_causal_mask",
    "def causal_mask(T):\n    return torch.ones(T, T, dtype=torch.bool).triu()\n\ncheck_causal_mask(causal_mask)",
    AFTER,
]
STUDENT_CRASH = [
    "import torch\nimport torch.nn.functional as F\n"
    "from bertbook.exercises.pretraining import check_masked_lm_loss_per_example",
    "def masked_lm_loss_per_example(logits, labels):\n"
    "    per_position = F.cross_entropy(logits, labels, reduction='none')\n"
    "    return per_position.mean(1)\n\n"
    "check_masked_lm_loss_per_example(masked_lm_loss_per_example)",
    AFTER,
]


def _bertbook_source_lines() -> set[str]:
    lines = set()
    for path in (REPO / "bertbook").rglob("*.py"):
        for line in path.read_text().splitlines():
            line = line.strip()
            if len(line) > 12 and not line.startswith("#"):
                lines.add(line)
    return lines


def _write(tmp_path: Path, name: str, sources: list[str]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for i, source in enumerate(sources):
        cell = nbformat.v4.new_code_cell(source)
        if i == 1:
            cell.metadata["tags"] = ["exercise"]
        nb.cells.append(cell)
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def _error_text(nb) -> list[str]:
    """The text of every error output on the page, as the student sees it."""
    return nb.page.evaluate(r"""() => {
      const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
      return [...panel.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
        .map(o => o.innerText);
    }""")


def _assert_feedback(nb, state, must: list[str]) -> list[str]:
    texts = [t for t in _error_text(nb) if t.strip()]
    assert len(texts) == 1, f"expected one error output (the failed check), got {texts}"
    text = texts[0]
    lines = [l for l in text.splitlines() if l.strip()]
    assert "Traceback" not in text and 'File "' not in text and "bertbook/" not in text, text
    assert not re.search(r"^\s*-*>\s*\d+", text, re.M), f"traceback arrows on the page:\n{text}"
    leaked = [l for l in lines if l.strip() in _bertbook_source_lines()]
    assert not leaked, f"lines of bertbook's source on the page: {leaked}"
    for fragment in must:
        assert fragment in text, (fragment, text)
    assert lines[0].lstrip().startswith("✗"), f"the verdict must come first: {lines[:3]}"
    # Run All stopped at the failed check: the cell after it never ran
    assert state["unrun"] >= 1, f"Run All went past the failed check: {state}"
    assert "AFTER-THE-CHECK" not in nb.page.inner_text(".jp-NotebookPanel:not(.lm-mod-hidden)")
    return lines


def _no_kernels(lab_server) -> None:
    """Shut down the kernels left by the previous notebook, so that opening the next one waits for
    *its* kernel to be idle (not the old one's) before Run All is clicked."""
    for kernel in lab_server.api("GET", "/api/kernels"):
        lab_server.api("DELETE", f"/api/kernels/{kernel['id']}", timeout=30)


@pytest.fixture(scope="module")
def attempts(tmp_path_factory):
    d = tmp_path_factory.mktemp("feedback")
    return {"wrong": _write(d, "feedback_wrong_answer.ipynb", WRONG_ANSWER),
            "crash": _write(d, "feedback_student_crash.ipynb", STUDENT_CRASH)}


def test_a_wrong_answer_shows_the_hint_and_no_traceback(open_notebook, attempts, lab_server):
    _no_kernels(lab_server)
    nb, state = open_notebook("notebooks/feedback_wrong_answer.ipynb", copy_from=attempts["wrong"])
    lines = _assert_feedback(nb, state, ["check_causal_mask", "not right yet", "hint:", "transposed", "lower triangle"])
    assert len(lines) <= 6, lines
    nb.screenshot(nb.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell").nth(1), "feedback-wrong-answer.png")


def test_a_crash_in_the_students_code_shows_their_line_and_the_hint_first(open_notebook, attempts, lab_server):
    _no_kernels(lab_server)
    nb, state = open_notebook("notebooks/feedback_student_crash.ipynb", copy_from=attempts["crash"])
    lines = _assert_feedback(nb, state, ["check_masked_lm_loss_per_example", "RuntimeError", "Expected target size"])
    head = "\n".join(lines[:4])
    assert "per_position = F.cross_entropy(logits, labels, reduction='none')" in head, head
    assert "line 2" in head and "hint:" in head and "logits.reshape(-1, V)" in head, head
    nb.screenshot(nb.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell").nth(1), "feedback-student-crash.png")
