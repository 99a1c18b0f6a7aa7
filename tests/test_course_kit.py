"""The course kit: the exercise tags, the check guard, the student edition, headless checking.

The expensive part runs whole notebooks in two `python -m bertbook check --json` processes side
by side (session fixture `checked`): the student edition as handed out (every exercise must say
"not attempted", no cell may error) and the "solved" edition, each stub replaced by its own
solution (full marks), plus one lesson with a deliberate bug in one exercise. The error cases
(syntax error, endless loop, dead kernel, unreadable file) use tiny notebooks.

CI time: every lesson already runs once under nbval, where each solution cell must print its
check's "correct!". So the whole-notebook runs here take the lessons that run in well under a
minute (`STUDENT_RUNS`, `SOLVED_RUNS`), and the two long lessons (fine-tuning, 4-5 minutes each)
are covered for the student edition by a static test: no cell of the student edition reads a
name that only a removed solution cell defines (`test_no_kept_cell_needs_a_removed_solution`).
"""
from __future__ import annotations

import ast
import copy
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from bertbook import exercises as bx
from bertbook.course.checking import check_name
from bertbook.course.edition import lesson_paths, solved_notebook, student_notebook

REPO = Path(__file__).resolve().parents[1]
LESSONS = lesson_paths(REPO / "notebooks")
NUMBERED = [p for p in LESSONS if p.name[:2].isdigit()]     # appendices (A1_...) need no exercises
LONG_LESSONS = {"08_fine_tuning.ipynb", "09_bert_for_every_task.ipynb"}
STUDENT_RUNS = [p for p in LESSONS if p.name not in LONG_LESSONS]
SOLVED_RUNS = [p for p in NUMBERED if p.name[:2] in {"01", "02", "03", "04", "05"}]
CHECK_TIMEOUT_S = int(os.environ.get("BERTBOOK_CHECK_TIMEOUT", 3600))   # per notebook: lesson 8 took 22 min on a busy 2-core machine


def tags(cell) -> list[str]:
    return cell.metadata.get("tags", [])


def read(path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def run_cli(*args, timeout=None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-m", "bertbook", *map(str, args)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


def start_cli(*args) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    return subprocess.Popen([sys.executable, "-m", "bertbook", *map(str, args)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


# --------------------------------------------------------------------------------------------
# the lessons' exercise cells follow the convention the tools rely on

@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_every_exercise_is_a_stub_that_calls_its_check_and_has_a_hidden_solution(path):
    cells = read(path).cells
    exercises = [i for i, c in enumerate(cells) if "exercise" in tags(c)]
    if path in NUMBERED:
        assert len(exercises) >= 3, f"{path.name}: {len(exercises)} exercises"
    for n, i in enumerate(exercises):
        cell = cells[i]
        name = check_name(cell.source)
        assert "NotImplementedError" in cell.source or "= ..." in cell.source, cell.source
        assert name is not None, f"{path.name} cell {i} calls no check_*"
        printed = "".join(o.get("text", "") for o in cell.outputs)
        assert "not attempted yet" in printed and "Error" not in printed, (path.name, i, printed)
        end = exercises[n + 1] if n + 1 < len(exercises) else len(cells)
        solutions = [c for c in cells[i + 1:end] if c.cell_type == "code" and "solution" in tags(c)]
        assert solutions, f"{path.name} cell {i}: no solution before the next exercise"
        solution = solutions[0]
        assert solution.metadata.get("jupyter", {}).get("source_hidden") is True
        assert check_name(solution.source) == name                       # the same check, answered
        assert "correct!" in "".join(o.get("text", "") for o in solution.outputs)
    for c in cells:
        if c.cell_type == "markdown":
            assert "hidden cell below" not in c.source and "uncomment the check" not in c.source


def test_every_check_is_guarded():
    import importlib
    import pkgutil
    for module in pkgutil.iter_modules(bx.__path__):
        mod = importlib.import_module(f"bertbook.exercises.{module.name}")
        for name in dir(mod):
            if name.startswith("check_") and getattr(mod, name).__module__ == mod.__name__:
                assert hasattr(getattr(mod, name), "answers"), f"{mod.__name__}.{name} lacks @exercise_check"


# --------------------------------------------------------------------------------------------
# the guard: passed / not attempted / failed, and the record `check` reads

@bx.exercise_check
def check_double(fn) -> None:
    if fn(2) != 4:
        raise bx.ExerciseError(f"double(2) gave {fn(2)}, expected 4")
    bx.passed("double")


@bx.exercise_check
def check_two_numbers(a: float, b: float, tolerance: float = 0.01) -> None:
    if abs(a - 0.12) > tolerance or abs(b - 0.1) > tolerance:
        raise bx.ExerciseError("not those numbers")
    bx.passed("two numbers")


@bx.exercise_check
def check_wrapping(fn) -> None:        # like check_wordpiece: wraps the student's exceptions itself
    try:
        fn(1)
    except Exception as e:
        raise bx.ExerciseError(f"fn(1) raised {type(e).__name__}") from e
    bx.passed("wrapping")


def _stub(*args):
    raise NotImplementedError


def test_guard_outcomes_and_record(capsys):
    bx.reset_results()
    check_double(_stub)
    assert "check_double: not attempted yet" in capsys.readouterr().out
    assert bx.results()["check_double"]["status"] == "not attempted"
    check_double(lambda x: 2 * x)
    assert "correct!" in capsys.readouterr().out and bx.results()["check_double"]["status"] == "passed"
    with pytest.raises(bx.ExerciseError, match="expected 4"):
        check_double(lambda x: x + 3)
    assert bx.results()["check_double"] == {"status": "failed", "message": "double(2) gave 5, expected 4"}
    with pytest.raises(bx.ExerciseError, match="your answer raised ZeroDivisionError"):
        check_double(lambda x: x / 0)                     # a raw exception becomes a clear message
    check_wrapping(_stub)                                 # NotImplementedError wrapped by the check
    assert bx.results()["check_wrapping"]["status"] == "not attempted"
    bx.forget("check_wrapping")
    assert "check_wrapping" not in bx.results()


def test_guard_with_several_answers(capsys):
    bx.reset_results()
    check_two_numbers(..., ...)
    assert bx.results()["check_two_numbers"]["status"] == "not attempted"
    with pytest.raises(bx.ExerciseError, match=r"^b is still `...`"):
        check_two_numbers(0.12, ...)
    check_two_numbers(0.12, 0.1, tolerance=0.001)
    assert bx.results()["check_two_numbers"]["status"] == "passed"
    with pytest.raises(bx.ExerciseError, match="your answer raised TypeError"):
        check_two_numbers("0.12", 0.1)
    assert check_two_numbers.answers == ("a", "b")


def test_guard_with_no_answer(capsys):
    @bx.exercise_check
    def check_nothing() -> None:
        raise NotImplementedError          # e.g. reads a global the student has not defined yet
    check_nothing()
    assert bx.results()["check_nothing"]["status"] == "not attempted"
    assert check_nothing.answers == ()


# --------------------------------------------------------------------------------------------
# the student edition

@pytest.fixture(scope="session")
def student_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("course") / "student"
    r = run_cli("student-edition", out, timeout=600)
    assert r.returncode == 0, r.stderr
    assert f"wrote the student edition of {len(LESSONS)} notebooks" in r.stdout
    return out


def _leaks(teacher, student, solutions) -> list:
    """What of the solutions a student notebook shows: any solution cell's whole source (of any lesson), and any
    line longer than 20 characters that only the teacher's solution cells have (a stub and its solution share the
    `def` line, so shared lines do not count)."""
    sources = "\n".join(c.source for c in student.cells)
    whole = [source[:80] for source in solutions if source in sources]
    elsewhere = {line.strip() for c in teacher.cells if "solution" not in tags(c) for line in c.source.splitlines()}
    own = {line.strip() for c in teacher.cells if "solution" in tags(c) for line in c.source.splitlines()}
    return whole + [line for line in own - elsewhere if len(line) > 20 and line in sources]


def test_the_leak_check_finds_a_solution_line_put_in_a_student_notebook():
    """The check the student edition is held to, on a student notebook made by hand from lesson 7 (its solution
    cells dropped): clean as made, and caught once one line of a solution stands in a markdown cell, as a hint
    that gave the answer away would."""
    teacher = read(REPO / "notebooks" / "07_exploring_bert.ipynb")
    solutions = [c.source.strip() for c in teacher.cells if "solution" in tags(c) and c.source.strip()]
    student = copy.deepcopy(teacher)
    student.cells = [c for c in student.cells if "solution" not in tags(c)]
    assert _leaks(teacher, student, solutions) == []
    line = "return float(np.diagonal(attention, offset).mean())"
    assert any(line in source for source in solutions)
    hint = next(c for c in student.cells if c.cell_type == "markdown" and "Exercise 4" in c.source)
    hint.source += f"\n\nHint: `{line}`"
    assert _leaks(teacher, student, solutions) == [line]


def test_student_edition_has_no_solutions_and_keeps_the_rest(student_dir):
    written = sorted(student_dir.glob("*.ipynb"))
    assert [p.name for p in written] == [p.name for p in LESSONS]
    solutions = [c.source.strip() for p in LESSONS for c in read(p).cells
                 if "solution" in tags(c) and c.source.strip()]
    assert len(solutions) >= 2 * len(LESSONS)
    cleared = 0                # saved outputs below a first exercise, other than the stubs' own
    for path in written:
        teacher, student = read(REPO / "notebooks" / path.name), read(path)
        assert _leaks(teacher, student, solutions) == [], path.name
        if path.name[:2].isdigit() or any("solution" in tags(c) for c in teacher.cells):
            assert _leaks(teacher, teacher, [])            # the same line check sees them in the teacher's notebook
        kept = [c for c in teacher.cells if "solution" not in tags(c)]
        assert [c.source for c in student.cells] == [c.source for c in kept]
        first = next((i for i, c in enumerate(kept) if "exercise" in tags(c)), len(kept))
        for i, (t, s) in enumerate(zip(kept, student.cells)):
            if t.cell_type != "code":
                continue
            if i >= first:        # below a question a saved output can answer it: cleared
                assert s.outputs == [] and s.execution_count is None, (path.name, i)
            else:                 # the lesson's opening: students see where it goes
                assert s.outputs == t.outputs
        cleared += sum(bool(c.get("outputs")) for c in kept[first:] if c.cell_type == "code" and "exercise" not in tags(c))
        assert student.metadata["bertbook"]["edition"] == "student"
    assert cleared >= 20       # the rule had work to do (lesson 2's demonstration after its exercise 1, ...)


def _change(path: Path, text: str) -> bytes:
    nb = read(path)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(text))
    nbformat.write(nb, path)
    return path.read_bytes()


def test_start_twice_keeps_a_notebook_the_student_changed(tmp_path):
    """The README's first command, `python -m bertbook start`, run twice with a notebook changed in
    between (from a folder outside the repository, as a student would): the change survives, the new
    version is written beside it, and the command says so."""
    home = tmp_path / "student-home"
    home.mkdir()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    def start(*args):
        return subprocess.run([sys.executable, "-m", "bertbook", "start", *args, "--no-browser"], cwd=home, env=env,
                              capture_output=True, text=True, timeout=600)
    first = start()
    assert first.returncode == 0, first.stderr
    course = home / "bertbook-course"
    assert sorted(p.name for p in course.glob("*.ipynb")) == [p.name for p in LESSONS]
    assert read(course / "03_attention.ipynb").metadata["bertbook"]["edition"] == "student"
    assert "never overwritten" in first.stdout and "jupyter lab 01_tokenization.ipynb" in first.stdout
    mine = _change(course / "03_attention.ipynb", "my notes: the mask is the lower triangle")
    second = start()
    assert second.returncode == 0, second.stderr
    assert (course / "03_attention.ipynb").read_bytes() == mine                      # the student's work survives
    new = course / "03_attention.new.ipynb"
    assert [c.source for c in read(new).cells] == [c.source for c in student_notebook(read(REPO / "notebooks" / "03_attention.ipynb")).cells]
    assert "03_attention.ipynb: you changed it, so it is kept as it is; the new version is 03_attention.new.ipynb" in second.stdout
    assert "1 of yours kept" in second.stdout
    assert "(unchanged)" in second.stdout and "(new)" not in second.stdout         # the others were left alone
    third = start()                            # again: still kept, the .new file refreshed in place, no .new-2
    assert (course / "03_attention.ipynb").read_bytes() == mine and not (course / "03_attention.new-2.ipynb").exists()
    # --with-solutions replaces the untouched lessons with the instructor's edition, still keeps the changed one
    solved = start("--with-solutions")
    assert solved.returncode == 0 and (course / "03_attention.ipynb").read_bytes() == mine
    assert any("solution" in tags(c) for c in read(course / "01_tokenization.ipynb").cells)


def test_student_edition_into_a_folder_with_changed_notebooks_keeps_them(tmp_path):
    out = tmp_path / "handout"
    assert run_cli("student-edition", out, timeout=600).returncode == 0
    mine = _change(out / "02_embeddings_and_positional_encoding.ipynb", "my answer: 2 and 7")
    (out / "01_tokenization.ipynb").write_text((out / "01_tokenization.ipynb").read_text())    # same bytes: not a change
    foreign = out / "04_encoder.ipynb"
    foreign.write_text('{"not": "written by bertbook"}')       # a file the command did not write is kept too
    r = run_cli("student-edition", out, timeout=600)
    assert r.returncode == 0, r.stderr
    assert (out / "02_embeddings_and_positional_encoding.ipynb").read_bytes() == mine
    assert (out / "02_embeddings_and_positional_encoding.new.ipynb").is_file()
    assert foreign.read_text() == '{"not": "written by bertbook"}' and (out / "04_encoder.new.ipynb").is_file()
    assert not (out / "01_tokenization.new.ipynb").exists()
    assert "2 of yours kept" in r.stdout
    # a .new file the student then edited is kept as well: the next version goes to .new-2
    newer = _change(out / "04_encoder.new.ipynb", "edited the new one too")
    run_cli("student-edition", out, timeout=600)
    assert (out / "04_encoder.new.ipynb").read_bytes() == newer and (out / "04_encoder.new-2.ipynb").is_file()


def test_student_edition_refuses_the_lessons_folder(tmp_path):
    r = run_cli("student-edition", REPO / "notebooks", timeout=600)
    assert r.returncode != 0 and "instructor's lessons" in r.stderr
    (tmp_path / "file").write_text("x")
    r = run_cli("student-edition", tmp_path / "file", timeout=600)
    assert r.returncode != 0 and "is a file" in r.stderr


def _names(source: str) -> tuple[set[str], set[str]]:
    """(names a cell binds at top level, names it reads); IPython magics and shell lines dropped."""
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set(), set()
    bound, read_ = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (bound if isinstance(node.ctx, ast.Store) else read_).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return bound, read_


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_no_kept_cell_needs_a_removed_solution(path):
    """What a student edition loses is the solution cells: a later cell that reads a name only a
    solution binds would fail there (a NameError the teacher's run never shows)."""
    only_in_solutions, seen_elsewhere, problems = set(), set(), []
    for i, cell in enumerate(read(path).cells):
        if cell.cell_type != "code":
            continue
        bound, read_ = _names(cell.source)
        if "solution" in tags(cell):
            only_in_solutions |= bound - seen_elsewhere
            continue
        problems += [(i, name) for name in sorted(read_ & only_in_solutions - bound)]
        seen_elsewhere |= bound
        only_in_solutions -= bound
    assert not problems, f"{path.name}: cells read names only a solution cell defines: {problems}"


def test_the_static_test_sees_a_dependency_on_a_solution(tmp_path):
    nb = nbformat.v4.new_notebook()
    for source, tag in [("def f(x):\n    raise NotImplementedError", "exercise"),
                        ("def f(x):\n    return x\nhelper = f(2)", "solution"), ("print(helper)", None)]:
        nb.cells.append(nbformat.v4.new_code_cell(source, metadata={"tags": [tag]} if tag else {}))
    nbformat.write(nb, tmp_path / "x.ipynb")
    with pytest.raises(AssertionError, match="helper"):
        test_no_kept_cell_needs_a_removed_solution(tmp_path / "x.ipynb")


# --------------------------------------------------------------------------------------------
# headless checking of whole lessons (the expensive part: each edition runs once)

BUGGY_LESSON, BUGGY_EXERCISE = "03_attention.ipynb", 2      # causal_mask: the upper triangle


def _buggy(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    exercises = [c for c in nb.cells if "exercise" in tags(c)]
    cell = exercises[BUGGY_EXERCISE - 1]
    assert ".tril()" in cell.source
    cell.source = cell.source.replace(".tril()", ".triu()")
    return nb


@pytest.fixture(scope="session")
def checked(student_dir, tmp_path_factory):
    solved = tmp_path_factory.mktemp("course") / "solved"
    solved.mkdir()
    for path in SOLVED_RUNS:
        nbformat.write(solved_notebook(read(path)), solved / path.name)
    buggy = solved / ("buggy-" + BUGGY_LESSON)
    nbformat.write(_buggy(solved_notebook(read(REPO / "notebooks" / BUGGY_LESSON))), buggy)
    # three `check` runs side by side: the student edition in two halves (lesson 6's live pretraining, the
    # longest, with lessons 1 and 2; the rest) and the solved lessons; on 2 cores the slowest half, not the
    # whole edition, sets how long this takes
    halves = ([p for p in STUDENT_RUNS if p.name[:2] in {"01", "02", "06"}],
              [p for p in STUDENT_RUNS if p.name[:2] not in {"01", "02", "06"}])
    procs = [("student", start_cli("check", "--json", "--timeout", CHECK_TIMEOUT_S, *[student_dir / p.name for p in half]))
             for half in halves if half]
    procs.append(("solved", start_cli("check", "--json", "--timeout", CHECK_TIMEOUT_S,
                                      *[solved / p.name for p in SOLVED_RUNS], buggy)))
    out = {"student": {}, "solved": {}}
    for name, proc in procs:
        stdout, stderr = proc.communicate(timeout=CHECK_TIMEOUT_S * (len(LESSONS) + 1))
        assert proc.returncode == 0, stderr[-3000:]
        out[name].update({Path(r["path"]).name: r for r in json.loads(stdout)})
    return out


@pytest.mark.slow
def test_student_edition_runs_clean_and_nothing_is_attempted(checked):
    reports = checked["student"]
    assert sorted(reports) == [p.name for p in STUDENT_RUNS]
    for name, r in reports.items():
        assert r["problem"] is None and r["cell_errors"] == [], (name, r["problem"], r["cell_errors"])
        n = sum("exercise" in tags(c) for c in read(REPO / "notebooks" / name).cells)
        assert r["total"] == n and r["passed"] == 0 and r["score"] == f"0/{n}"
        assert n >= 3 or not name[:2].isdigit()
        assert [e["status"] for e in r["exercises"]] == ["not attempted"] * n, (name, r["exercises"])


@pytest.mark.slow
def test_solved_edition_scores_full_marks(checked):
    reports = {k: v for k, v in checked["solved"].items() if not k.startswith("buggy-")}
    assert sorted(reports) == [p.name for p in SOLVED_RUNS]
    for name, r in reports.items():
        assert r["problem"] is None and r["cell_errors"] == [], (name, r["problem"], r["cell_errors"])
        assert r["passed"] == r["total"] >= 3, (name, [e for e in r["exercises"] if e["status"] != "passed"])


@pytest.mark.slow
def test_a_bug_in_one_exercise_fails_exactly_that_exercise(checked):
    r = checked["solved"]["buggy-" + BUGGY_LESSON]
    failed = [e for e in r["exercises"] if e["status"] != "passed"]
    assert [(e["number"], e["status"], e["check"]) for e in failed] == [(BUGGY_EXERCISE, "failed", "check_causal_mask")]
    assert "transposed" in failed[0]["message"]                       # the check's own diagnosis
    assert r["passed"] == r["total"] - 1 and r["problem"] is None


# --------------------------------------------------------------------------------------------
# headless checking survives broken notebooks (tiny notebooks, one `check` run)

SETUP = "from bertbook.exercises.attention import check_causal_mask\nimport torch"
RIGHT = "def causal_mask(T):\n    return torch.ones(T, T, dtype=torch.bool).tril()\n\ncheck_causal_mask(causal_mask)"
STUB = "def causal_mask(T):\n    raise NotImplementedError\n\ncheck_causal_mask(causal_mask)"


def _notebook(path: Path, *cells) -> Path:
    nb = nbformat.v4.new_notebook()
    for source, tag in cells:
        cell = nbformat.v4.new_code_cell(source)
        if tag:
            cell.metadata["tags"] = [tag]
        nb.cells.append(cell)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def _time_limit(d: Path) -> int:
    """The checker's time limit per notebook for the broken notebooks, kernel start included: the endless loop
    runs this long. It must leave time for the cells before the loop (a kernel start and importing torch take about
    5 s on an idle 2-core machine, 30+ s at load 15), so it is three times what checking a notebook of just those
    cells takes here and now, and at least 40 s (BERTBOOK_BROKEN_LIMIT sets it instead)."""
    if os.environ.get("BERTBOOK_BROKEN_LIMIT"):
        return int(os.environ["BERTBOOK_BROKEN_LIMIT"])
    probe = _notebook(d / "probe.ipynb", (SETUP, None), (RIGHT, "exercise"))
    started = time.monotonic()
    r = run_cli("check", probe, timeout=600)
    assert r.returncode == 0 and "score: 1/1" in r.stdout, r.stdout[-2000:] + r.stderr[-2000:]
    return max(40, math.ceil(3 * (time.monotonic() - started)))


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    d = tmp_path_factory.mktemp("broken")
    paths = [
        _notebook(d / "a_syntax_error.ipynb", (SETUP, None), ("x = (1,", None), (RIGHT, "exercise"), (STUB, "exercise"),
                  ("def causal_mask(T)\n    return None\ncheck_causal_mask(causal_mask)", "exercise")),
        _notebook(d / "b_endless_loop.ipynb", (SETUP, None), (RIGHT, "exercise"), ("while True:\n    pass", None),
                  (RIGHT, "exercise")),
        _notebook(d / "c_kernel_dies.ipynb", (SETUP, None), ("import os\nos._exit(1)", None), (RIGHT, "exercise")),
        d / "d_not_a_notebook.ipynb",
        _notebook(d / "e_fine.ipynb", (SETUP, None), (RIGHT, "exercise"),
                  ("def causal_mask(T):\n    return torch.ones(T, T, dtype=torch.bool)\n\ncheck_causal_mask(causal_mask)", "exercise")),
    ]
    paths[3].write_text("{ this is not json")
    limit = _time_limit(tmp_path_factory.mktemp("probe"))
    # the JSON run and the text run side by side (the endless loop keeps the first busy for its time limit)
    procs = [start_cli("check", "--json", "--timeout", limit, *paths),
             start_cli("check", "--timeout", limit, paths[3], paths[0])]
    (r_out, r_err), (text, text_err) = (proc.communicate(timeout=1800) for proc in procs)
    assert procs[0].returncode == 0, r_err[-3000:]
    for out, err in ((r_out, r_err), (text, text_err)):   # no kernel warnings ("Kernel is running over TCP without encryption")
        assert "without encryption" not in err + out and "WARNING" not in err, err[-2000:]
    return {Path(x["path"]).name: x for x in json.loads(r_out)}, text, limit


def test_checker_reports_a_syntax_error_and_goes_on(broken):
    reports, text, _ = broken
    r = reports["a_syntax_error.ipynb"]
    assert r["problem"] is None and any("SyntaxError" in e for e in r["cell_errors"])
    statuses = [(e["status"], e["message"].split(":")[0]) for e in r["exercises"]]
    assert statuses[0] == ("passed", "") and statuses[1] == ("not attempted", "")
    assert statuses[2][0] == "failed" and "SyntaxError" in r["exercises"][2]["message"]
    assert r["score"] == "1/3"
    assert "error outside the exercises, cell 2: SyntaxError" in text and "score: 1/3" in text   # 1-based, as JupyterLab
    assert "(check_causal_mask, cell 3): passed" in text and [e["cell_number"] for e in r["exercises"]] == [3, 4, 5]


def test_checker_stops_an_endless_loop_and_checks_the_other_notebooks(broken):
    reports, _, limit = broken
    r = reports["b_endless_loop.ipynb"]
    assert f"time limit of {limit} s" in r["problem"] and "cell 3" in r["problem"]
    assert [e["status"] for e in r["exercises"]] == ["passed", "not checked"] and r["score"] == "1/2"
    fine = reports["e_fine.ipynb"]                       # checked after the broken ones
    assert [e["status"] for e in fine["exercises"]] == ["passed", "failed"] and fine["score"] == "1/2"
    assert "lower triangle" in fine["exercises"][1]["message"] or "query" in fine["exercises"][1]["message"]


def test_checker_survives_a_dead_kernel_and_an_unreadable_file(broken):
    reports, text, _ = broken
    dead = reports["c_kernel_dies.ipynb"]
    assert "kernel died" in dead["problem"] and dead["score"] == "0/1"
    assert dead["exercises"][0]["status"] == "not checked"
    bad = reports["d_not_a_notebook.ipynb"]
    assert bad["problem"].startswith("cannot read the notebook") and bad["total"] == 0
    assert "!! cannot read the notebook" in text


def test_check_names_missing_files():
    r = run_cli("check", "no/such/notebook.ipynb", timeout=600)
    assert r.returncode != 0 and "no such notebook: no/such/notebook.ipynb" in r.stderr
