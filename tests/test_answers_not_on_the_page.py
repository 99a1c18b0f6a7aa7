"""No answer on the page: in the student edition, nothing a student sees before an exercise's check
(the prose above it, the code cells above it and their sources, and every saved output of the
notebook, since saved outputs are on the page before anything runs) may contain that exercise's
answer.

The exercises are discovered from the lessons (every cell tagged ``exercise`` of every lesson,
appendices included), so a new lesson's exercises are covered without editing this file. What counts
as an exercise's answer:

- automatically, from its solution cell (the first cell tagged ``solution`` after it in the
  instructor's edition): the numbers the solution assigns to the names it passes to its check
  (``weights_in_one_layer = 8 * 12 * 128 * 128`` -> "1572864" and "1,572,864"; ``math.log(8000)`` ->
  "8.9872" and "8.987"), when they are specific enough to search for (whole numbers from 100,
  fractions with three or more significant digits), and every line of code only the solution has;
- declared in ``EXTRA`` below: forms of an answer the solution does not spell out (lesson 2's
  changed positions ``[2, 5]``), and the bertbook function whose printed source would hand over a
  write-this-function exercise (``Source("bertbook.embeddings", "sinusoidal_positional_encoding")``).

Planted leaks (a prose line, a saved output, a printed source) must be found: the last tests.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import math
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from bertbook.course.edition import EXERCISE_TAG, SOLUTION_TAG, lesson_paths, student_notebook

REPO = Path(__file__).resolve().parents[1]
LESSONS = lesson_paths(REPO / "notebooks")


@dataclass(frozen=True)
class Source:
    """The printed source of a bertbook function or class (``inspect.getsource``) would give the answer."""
    module: str
    name: str

    def lines(self) -> list[str]:
        obj = getattr(importlib.import_module(self.module), self.name)
        code = []
        for line in inspect.getsource(obj).splitlines()[1:]:
            s = line.strip()
            if len(s) > 20 and not s.startswith(("#", '"""', "'''")) and '"' not in s[:1]:
                code.append(s)
        return code


EXTRA: dict[str, list] = {
    "check_order_prediction": ["[2, 5]", "positions [0, 1, 2, 3, 4, 5, 6]"],
    "check_attention_weight_count": ["25,165,824", "25165824"],
    "check_positional_encoding": [Source("bertbook.embeddings", "sinusoidal_positional_encoding")],
    "check_reference_lr_schedule": [Source("bertbook.training", "lr_at")],
    "check_align_labels": [Source("bertbook.token_classification", "align_labels")],
    "check_bio_to_spans": [Source("bertbook.token_classification", "bio_to_spans")],
    "check_best_span": [Source("bertbook.question_answering", "best_span")],
}
# Not here on purpose: sources a lesson prints *above* an exercise as its teaching, when the exercise
# asks for more than they show (lesson 3 prints scaled_dot_product_attention with torch.softmax and then
# asks for attention with a softmax written out; lesson 4 prints the FeedForward module and asks for the
# same from raw weight matrices; lesson 3's boolean padding mask vs the exercise's additive one).
SOURCE_LINES_FOR_A_LEAK = 2          # a printed source gives the answer away when 2 of its code lines show


def tags(cell) -> list[str]:
    return cell.metadata.get("tags", [])


def check_name(source: str) -> str | None:
    from bertbook.course.checking import check_name as name
    return name(source)


# ---- what the answer is -------------------------------------------------------------------------
_SAFE_NODES = (ast.Expression, ast.Constant, ast.BinOp, ast.UnaryOp, ast.operator, ast.unaryop, ast.Call,
               ast.Attribute, ast.Name, ast.Load, ast.Tuple, ast.List)


def _value(node):
    """The number an expression of literals and ``math.*`` calls evaluates to, else None."""
    tree = ast.Expression(node)
    for n in ast.walk(tree):
        if not isinstance(n, _SAFE_NODES) or (isinstance(n, ast.Name) and n.id != "math"):
            return None
    try:
        return eval(compile(tree, "<answer>", "eval"), {"__builtins__": {}, "math": math})   # noqa: S307
    except Exception:
        return None


def number_forms(x) -> list[str]:
    """How a printed number would show the answer; [] when it is too common to search for."""
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        return []
    if float(x).is_integer():
        n = int(x)
        return list(dict.fromkeys([str(n), f"{n:,}"])) if abs(n) >= 100 else []
    digits = repr(float(x)).lstrip("-0.").replace(".", "")
    if len(digits.rstrip("0")) < 3:
        return []
    return sorted({f"{x:.4f}", f"{x:.3f}"})


def solution_answers(solution_source: str, check: str) -> list[str]:
    """Numbers the solution assigns to the names it hands to its check."""
    try:
        tree = ast.parse(solution_source)
    except SyntaxError:
        return []
    handed = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if (isinstance(f, ast.Name) and f.id == check) or (isinstance(f, ast.Attribute) and f.attr == check):
                handed |= {a.id for a in node.args if isinstance(a, ast.Name)}
    forms = []
    for node in tree.body:
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            pairs = []
            if isinstance(target, ast.Name):
                pairs = [(target.id, node.value)]
            elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                pairs = [(t.id, v) for t, v in zip(target.elts, node.value.elts) if isinstance(t, ast.Name)]
            for name, value in pairs:
                if name in handed:
                    forms += number_forms(_value(value))
    return forms


@dataclass
class Exercise:
    lesson: str
    number: int            # 1, 2, ... in the lesson
    check: str
    cell: int              # index of the exercise cell in the student edition
    forms: list[str]       # text that gives the answer away
    sources: list[Source]  # printed sources that give it away
    solution_lines: list[str]


def exercises_of(teacher: nbformat.NotebookNode, student: nbformat.NotebookNode, lesson: str) -> list[Exercise]:
    cells = teacher.cells
    not_solution = {line.strip() for c in cells if SOLUTION_TAG not in tags(c) for line in c.source.splitlines()}
    student_cells = [i for i, c in enumerate(student.cells) if EXERCISE_TAG in tags(c)]
    found = []
    for k, i in enumerate(i for i, c in enumerate(cells) if EXERCISE_TAG in tags(c)):
        check = check_name(cells[i].source)
        solution = next((c for c in cells[i + 1:] if c.cell_type == "code" and SOLUTION_TAG in tags(c)), None)
        solution_source = solution.source if solution is not None else ""
        extra = EXTRA.get(check, [])
        only = [line.strip() for line in solution_source.splitlines()
                if len(line.strip()) > 20 and not line.strip().startswith("#") and line.strip() not in not_solution]
        found.append(Exercise(lesson, k + 1, check, student_cells[k],
                              solution_answers(solution_source, check) + [e for e in extra if isinstance(e, str)],
                              [e for e in extra if isinstance(e, Source)], only))
    return found


# ---- what the student sees ---------------------------------------------------------------------
def _output_text(output) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    if output.get("output_type") == "error":
        return "\n".join(output.get("traceback", []))
    data = output.get("data", {})
    return "\n".join(str(data[k]) if isinstance(data[k], str) else "".join(data[k])
                     for k in ("text/plain", "text/html", "text/markdown", "text/latex") if k in data)


def visible_before(nb: nbformat.NotebookNode, index: int) -> list[tuple[str, str]]:
    """(where, text) of everything a student sees before running cell ``index``'s check: every cell
    above it and the cell itself (prose or source), and the saved outputs of every code cell."""
    seen = [(f"cell {i + 1} ({c.cell_type})", c.source) for i, c in enumerate(nb.cells[:index + 1])]
    seen += [(f"saved output of cell {i + 1}", _output_text(o))
             for i, c in enumerate(nb.cells) if c.cell_type == "code" for o in c.get("outputs", [])]
    return seen


def leaks(nb: nbformat.NotebookNode, exercise: Exercise) -> list[str]:
    found = []
    seen = visible_before(nb, exercise.cell)
    here = f"{exercise.lesson} exercise {exercise.number} ({exercise.check})"
    for where, text in seen:
        for form in exercise.forms:
            if form in text:
                found.append(f"{here}: its answer {form!r} is in {where}")
        for line in exercise.solution_lines:
            if line in text:
                found.append(f"{here}: its solution's line {line!r} is in {where}")
        for source in exercise.sources:
            shown = [line for line in source.lines() if line in text]
            if len(shown) >= SOURCE_LINES_FOR_A_LEAK:
                found.append(f"{here}: the source of {source.module}.{source.name} is printed in {where}")
    return found


def _editions():
    for path in LESSONS:
        teacher = nbformat.read(path, as_version=4)
        yield path.name, teacher, student_notebook(teacher)


@pytest.fixture(scope="module")
def editions():
    return {name: (teacher, student) for name, teacher, student in _editions()}


@pytest.mark.parametrize("lesson", [p.name for p in LESSONS])
def test_no_answer_is_on_the_page_before_its_check(editions, lesson):
    teacher, student = editions[lesson]
    found = [leak for ex in exercises_of(teacher, student, lesson) for leak in leaks(student, ex)]
    assert not found, "\n".join(found)


def test_every_exercise_is_searched_for_something(editions):
    exercises = [ex for name, (t, s) in editions.items() for ex in exercises_of(t, s, name)]
    assert len(exercises) >= 35
    assert all(ex.check for ex in exercises)
    empty = [f"{ex.lesson} {ex.check}" for ex in exercises if not (ex.forms or ex.sources or ex.solution_lines)]
    # a multiple-choice letter or a two-digit count has no form that can be searched for; say which
    assert len(empty) <= len(exercises) // 4, empty
    assert set(EXTRA) <= {ex.check for ex in exercises}, set(EXTRA) - {ex.check for ex in exercises}
    for sources in EXTRA.values():
        for s in sources:
            if isinstance(s, Source):
                assert len(s.lines()) >= SOURCE_LINES_FOR_A_LEAK, s


def test_the_automatic_answers_are_the_numbers_a_student_would_print():
    assert solution_answers("w = 8 * 12 * 128 * 128\ng = (512 / 128) ** 2\ncheck_x(w, g)", "check_x") == ["1572864", "1,572,864"]
    assert solution_answers("a = math.log(8000)\nb = math.log(2)\ncheck_y(a, b)", "check_y") == ["8.987", "8.9872", "0.693", "0.6931"]
    assert solution_answers("a, b = 2, 7\ncheck_z(a, b)", "check_z") == []          # too common to search
    assert number_forms(0.12) == [] and number_forms(19 / 128) == ["0.148", "0.1484"]


# ---- planted leaks are found --------------------------------------------------------------------
def _lesson(editions, prefix):
    name = next(n for n in editions if n.startswith(prefix))
    teacher, student = editions[name]
    return name, teacher, nbformat.from_dict(student)


def test_a_planted_answer_in_the_prose_above_is_found(editions):
    name, teacher, student = _lesson(editions, "03_")
    ex = next(e for e in exercises_of(teacher, student, name) if e.check == "check_attention_weight_count")
    student.cells.insert(ex.cell, nbformat.v4.new_markdown_cell("Hint: it is 1,572,864 weights."))
    moved = next(e for e in exercises_of(teacher, student, name) if e.check == "check_attention_weight_count")
    assert any("'1,572,864' is in cell" in leak for leak in leaks(student, moved))


def test_a_planted_saved_output_below_is_found(editions):
    name, teacher, student = _lesson(editions, "06_")
    ex = next(e for e in exercises_of(teacher, student, name) if e.check == "check_chance_losses")
    later = next(c for c in student.cells[ex.cell + 1:] if c.cell_type == "code")
    later.outputs = [nbformat.v4.new_output("stream", name="stdout", text="ln(8000): 8.9872\n")]
    assert any("'8.9872' is in saved output" in leak for leak in leaks(student, ex))


def test_a_planted_printed_source_is_found(editions):
    import bertbook.embeddings
    name, teacher, student = _lesson(editions, "02_")
    ex = next(e for e in exercises_of(teacher, student, name) if e.check == "check_positional_encoding")
    printed = inspect.getsource(bertbook.embeddings.sinusoidal_positional_encoding)
    student.cells[0:0] = [nbformat.v4.new_code_cell("print(inspect.getsource(sinusoidal_positional_encoding))",
                                                    outputs=[nbformat.v4.new_output("stream", name="stdout", text=printed)])]
    ex = next(e for e in exercises_of(teacher, student, name) if e.check == "check_positional_encoding")
    assert any("source of bertbook.embeddings.sinusoidal_positional_encoding" in leak for leak in leaks(student, ex))


def test_a_planted_solution_line_is_found(editions):
    name, teacher, student = _lesson(editions, "03_")
    ex = next(e for e in exercises_of(teacher, student, name) if e.check == "check_causal_mask")
    assert ex.solution_lines
    student.cells.insert(0, nbformat.v4.new_markdown_cell("    " + ex.solution_lines[0]))
    ex = next(e for e in exercises_of(teacher, student, name) if e.check == "check_causal_mask")
    assert any("its solution's line" in leak for leak in leaks(student, ex))
