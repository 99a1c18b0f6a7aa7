"""Headless checking of submitted notebooks: ``python -m bertbook check NB... [--json]``.

Each notebook is executed by nbclient in a fresh kernel, top to bottom, with errors allowed (a
broken cell does not stop the rest), under one time limit for the whole notebook, with the
network switched off for the libraries that would use it (``HF_HUB_OFFLINE`` and friends).

Which check belongs to which exercise: every cell tagged ``exercise`` calls its ``check_*`` at
the end (the stub does, and so does the student's answer written in its place). The checker
runs a copy of the notebook with two small probe cells around every exercise cell: the one before
forgets that check's earlier outcome (a lesson may call the check on a wrong answer on purpose to
show its message), the one after prints the outcome that :func:`bertbook.exercises.results`
recorded for it. Outcomes:

- ``passed``;
- ``failed``, with the check's message (or the error the cell raised before reaching its check);
- ``not attempted``: the stub is untouched (or the cell no longer calls its check);
- ``not checked``: the notebook stopped (time limit, kernel died) before reaching the exercise.

The score is ``passed / number of exercise cells``. The checks run inside the student's kernel:
they give honest feedback and a quick gradebook, not a tamper-proof exam.
"""
from __future__ import annotations

import json
import os
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from .edition import EXERCISE_TAG

PROBE_MARK = "BERTBOOK-CHECK-RESULT "
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
               "NO_PROXY": "*", "no_proxy": "*", "PIP_NO_INDEX": "1"}
CHECK_CALL = re.compile(r"\b(check_\w+)\s*\(")
# The kernel's own log, errors only. ipykernel logs a warning at every start over TCP ("Kernel is
# running over TCP without encryption ..."): true of any local kernel, and about the connection this
# checker made itself on 127.0.0.1, so printed once per notebook it is noise in a grader's report.
# Errors (a kernel that cannot start, say) still reach stderr.
QUIET_KERNEL = ("--IPKernelApp.log_level=ERROR",)


@dataclass
class ExerciseResult:
    number: int                  # 1, 2, ... in the notebook
    cell: int                    # index of the exercise cell in the submitted notebook (from 0; reports say cell + 1, as JupyterLab numbers cells)
    check: str | None            # the check_* the cell calls
    status: str                  # passed | failed | not attempted | not checked
    message: str = ""


@dataclass
class NotebookReport:
    path: str
    exercises: list[ExerciseResult] = field(default_factory=list)
    problem: str | None = None   # why the notebook did not run through, if it did not
    cell_errors: list[str] = field(default_factory=list)   # errors outside the exercise cells
    seconds: float = 0.0

    @property
    def passed(self) -> int:
        return sum(e.status == "passed" for e in self.exercises)

    @property
    def total(self) -> int:
        return len(self.exercises)

    def to_dict(self) -> dict:
        d = asdict(self)
        d.update(passed=self.passed, total=self.total, score=f"{self.passed}/{self.total}")
        for exercise in d["exercises"]:
            exercise["cell_number"] = exercise["cell"] + 1          # as JupyterLab shows it
        return d


def check_name(source: str) -> str | None:
    """The check an exercise cell calls: the last ``check_*(`` in it (comments ignored)."""
    code = "\n".join(line.split("#", 1)[0] for line in source.splitlines())
    calls = CHECK_CALL.findall(code)
    return calls[-1] if calls else None


def _probe_before(name: str):
    return nbformat.v4.new_code_cell(
        f"import bertbook.exercises as __bertbook_exercises\n"
        f"__bertbook_exercises.forget({name!r})")


def _probe_after(name: str):
    return nbformat.v4.new_code_cell(
        f"import json as __bertbook_json, bertbook.exercises as __bertbook_exercises\n"
        f"print({PROBE_MARK!r} + __bertbook_json.dumps(__bertbook_exercises.results().get({name!r})))")


def _printed(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def _error(cell) -> str | None:
    for o in cell.get("outputs", []):
        if o.get("output_type") == "error":
            return f"{o.get('ename')}: {o.get('evalue')}".strip()
    return None


def check_notebook(path: str | Path, timeout: float = 3600, kernel_name: str = "python3") -> NotebookReport:
    """Run one notebook headless and report its exercises (never raises for a broken notebook)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    path = Path(path)
    report = NotebookReport(str(path))
    started = time.monotonic()
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as e:   # not JSON, not a notebook, unreadable
        report.problem = f"cannot read the notebook: {type(e).__name__}: {e}"
        return report

    # a copy with probe cells around each exercise; remember where each original cell went
    run = nbformat.v4.new_notebook(metadata=nb.metadata)
    position: dict[int, int] = {}      # original index -> index in `run`
    probes: dict[int, int] = {}        # exercise number -> index of its probe-after cell in `run`
    for i, cell in enumerate(nb.cells):
        is_exercise = cell.cell_type == "code" and EXERCISE_TAG in cell.metadata.get("tags", [])
        name = check_name(cell.source) if is_exercise else None
        if is_exercise:
            report.exercises.append(ExerciseResult(len(report.exercises) + 1, i, name, "not checked"))
            if name:
                run.cells.append(_probe_before(name))
        position[i] = len(run.cells)
        run.cells.append(nbformat.from_dict(cell))
        if is_exercise and name:
            probes[len(report.exercises)] = len(run.cells)
            run.cells.append(_probe_after(name))

    deadline = started + timeout
    current = {"index": None}

    def on_cell_start(cell, cell_index):
        current["index"] = cell_index

    env = dict(os.environ)
    env.pop("MPLBACKEND", None)        # a test run's Agg would hide the figures; kernels use inline
    env.update(OFFLINE_ENV)
    client = NotebookClient(run, kernel_name=kernel_name, allow_errors=True, interrupt_on_timeout=False,
                            extra_arguments=_quiet(kernel_name),
                            timeout_func=lambda cell: max(1, int(deadline - time.monotonic())),
                            startup_timeout=max(10, int(min(120, timeout))), shutdown_kernel="immediate",
                            record_timing=False, on_cell_start=on_cell_start,
                            resources={"metadata": {"path": str(path.parent.resolve())}})
    try:
        client.execute(env=env)
    except CellTimeoutError:
        report.problem = (f"stopped: the notebook ran past its time limit of {timeout:g} s "
                          f"({_where(current['index'], position)} was still running: an endless loop?)")
    except DeadKernelError:
        report.problem = f"stopped: the kernel died ({_where(current['index'], position)}: out of memory, or a crash)"
    except Exception as e:   # kernel would not start, and the like
        report.problem = f"stopped: {type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}"
    finally:
        report.seconds = round(time.monotonic() - started, 1)

    for ex in report.exercises:
        cell = run.cells[position[ex.cell]]
        error = _error(cell)
        printed = _printed(run.cells[probes[ex.number]]) if ex.number in probes else ""
        if ex.number in probes and PROBE_MARK not in printed:     # the run stopped before the probe
            ex.status, ex.message = "not checked", "the notebook stopped before this exercise was checked"
            continue
        outcome = json.loads(printed.split(PROBE_MARK, 1)[1].splitlines()[0]) if printed else None
        if outcome:
            ex.status, ex.message = outcome["status"], outcome.get("message", "")
            if ex.status == "not attempted":
                ex.message = ""
        elif error:
            ex.status, ex.message = "failed", f"the cell raised {error} before its check ran"
        elif ex.number not in probes and report.problem and cell.get("execution_count") is None:
            ex.status, ex.message = "not checked", "the notebook stopped before this exercise was checked"
        else:
            ex.status = "not attempted"
            ex.message = f"the cell does not call {ex.check or 'its check_* function'}"

    exercise_cells = {ex.cell for ex in report.exercises}
    for original, index in position.items():
        error = _error(run.cells[index])
        if error and original not in exercise_cells:
            report.cell_errors.append(f"{cell_label(original)}: {error}")
    return report


def _quiet(kernel_name: str) -> list[str]:
    """QUIET_KERNEL for an ipykernel kernel (the lessons' kind); nothing for another kind of kernel,
    which might not know the option and refuse to start."""
    try:
        from jupyter_client.kernelspec import KernelSpecManager
        argv = KernelSpecManager().get_kernel_spec(kernel_name).argv
    except Exception:      # an unknown kernel: nbclient says so when it tries to start it
        return []
    return list(QUIET_KERNEL) if any("ipykernel" in part for part in argv) else []


def cell_label(index: int) -> str:
    """How JupyterLab and Notebook 7 number a cell (from 1), for the report."""
    return f"cell {index + 1}"


def _where(run_index, position: dict[int, int]) -> str:
    for original, index in position.items():
        if index == run_index:
            return cell_label(original)
    return "a checker probe"


def format_report(report: NotebookReport) -> str:
    lines = [report.path]
    if report.problem:
        lines.append(f"  !! {report.problem}")
    for error in report.cell_errors:
        lines.append(f"  !! error outside the exercises, {error}")
    for ex in report.exercises:
        label = f"exercise {ex.number} ({ex.check or 'no check'}, {cell_label(ex.cell)})"
        line = f"  {label}: {ex.status}"
        if ex.message:
            line += f": {ex.message}"
        lines.append(line)
    if not report.exercises and not report.problem:
        lines.append("  (no cells tagged 'exercise')")
    lines.append(f"  score: {report.passed}/{report.total}")
    return "\n".join(lines)


def check_notebooks(paths, timeout: float = 3600, kernel_name: str = "python3", progress=None) -> list[NotebookReport]:
    reports = []
    for path in paths:
        report = check_notebook(path, timeout=timeout, kernel_name=kernel_name)
        reports.append(report)
        if progress:
            progress(report)
    return reports
