"""The student edition: one source, two editions.

The lessons are written once, with their solutions. The student edition is made from them by
nbconvert's own preprocessors, not by editing JSON by hand:

- ``TagRemovePreprocessor`` drops every cell tagged ``solution`` (the worked answers, and the
  "Solution" headings above them);
- :class:`ClearExerciseOutputs` empties the saved outputs of every code cell from the first
  ``exercise`` on, so no answer stands on the page before its check: not what the instructor's
  run of a stub printed, not the demonstration right after a predict-then-run question, not a
  printed source that is the function an exercise asks for.

The cells above a lesson's first exercise keep their outputs, so a student sees where the lesson
goes (figures, tables, widgets' static pictures) before running anything. The notebooks import ``bertbook`` and read their data
through it, so nothing else has to be copied next to them.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor

EXERCISE_TAG = "exercise"
SOLUTION_TAG = "solution"
LESSON_PATTERNS = ("[0-9][0-9]_*.ipynb", "A[0-9]*_*.ipynb")


class ClearExerciseOutputs(Preprocessor):
    """Clear the saved outputs (and execution counts) of every code cell from the first cell tagged
    ``exercise`` to the end of the notebook: a saved output below a question can answer it (the
    demonstration that follows a predict-then-run question prints the answer; a printed source can
    be the function an exercise asks for). The lesson's opening, above its first exercise, keeps
    its outputs so a student can see where the lesson goes before running anything.
    ``tests/test_answers_not_on_the_page.py`` searches what stays visible for every answer."""

    def preprocess(self, nb, resources):
        first = next((i for i, c in enumerate(nb.cells) if EXERCISE_TAG in c.metadata.get("tags", [])), None)
        if first is not None:
            for cell in nb.cells[first:]:
                if cell.cell_type == "code":
                    cell.outputs = []
                    cell.execution_count = None
                    cell.metadata.pop("execution", None)
        return nb, resources


def lesson_paths(notebooks_dir: str | Path | None = None) -> list[Path]:
    """The lessons (``NN_*.ipynb``) and appendices (``A*_*.ipynb``), in order."""
    if notebooks_dir is None:
        from ..corpus import REPO_DIR
        notebooks_dir = REPO_DIR / "notebooks"
    notebooks_dir = Path(notebooks_dir)
    if not notebooks_dir.is_dir():
        raise FileNotFoundError(f"{notebooks_dir} is not a folder of lessons; pass --notebooks DIR")
    paths = sorted({p for pattern in LESSON_PATTERNS for p in notebooks_dir.glob(pattern)})
    if not paths:
        raise FileNotFoundError(f"no lessons (NN_*.ipynb or A*_*.ipynb) in {notebooks_dir}")
    return paths


def student_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student edition of one notebook (a new object; ``nb`` is left alone)."""
    nb = nbformat.from_dict(nb)       # a deep copy
    resources: dict = {}
    remove = TagRemovePreprocessor(remove_cell_tags={SOLUTION_TAG}, enabled=True)
    nb, resources = remove.preprocess(nb, resources)
    nb, resources = ClearExerciseOutputs(enabled=True).preprocess(nb, resources)
    nb.metadata.setdefault("bertbook", {})["edition"] = "student"
    return nb


def solved_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student edition with every exercise answered by its own solution: each ``exercise``
    cell's source replaced by the first ``solution`` code cell after it. What a student who got
    everything right hands in; the course kit's tests check it scores full marks."""
    nb = nbformat.from_dict(nb)
    cells = nb.cells
    for i, cell in enumerate(cells):
        if EXERCISE_TAG not in cell.metadata.get("tags", []):
            continue
        for later in cells[i + 1:]:
            tags = later.metadata.get("tags", [])
            if EXERCISE_TAG in tags:
                break
            if later.cell_type == "code" and SOLUTION_TAG in tags:
                cell.source = later.source
                break
        else:
            raise ValueError(f"exercise cell {i} has no solution cell after it (before the next exercise)")
        if cell.source != later.source:
            raise ValueError(f"exercise cell {i} has no solution cell after it (before the next exercise)")
    return student_notebook(nb)


MANIFEST = ".bertbook-course.json"


@dataclass
class Written:
    """What happened to one lesson when an edition was written into a folder."""
    lesson: str                  # the lesson's file name, e.g. 03_attention.ipynb
    path: Path                   # where the new version went
    action: str                  # new | updated | unchanged | kept (the student's copy kept, new version beside it)
    kept: Path | None = None     # the student's changed notebook, left as it was (action "kept")


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_manifest(out: Path) -> dict:
    try:
        manifest = json.loads((out / MANIFEST).read_text())
        return manifest if isinstance(manifest.get("files"), dict) else {"files": {}}
    except (OSError, ValueError, AttributeError):
        return {"files": {}}


def _beside(target: Path, ours: dict) -> Path:
    """A free name next to ``target`` for the new version: ``NAME.new.ipynb``, or ``NAME.new-2.ipynb``
    when the student has changed an earlier ``.new`` file too."""
    stem = target.name[: -len(".ipynb")]
    for n in range(1, 1000):
        candidate = target.with_name(f"{stem}.new{'' if n == 1 else f'-{n}'}.ipynb")
        if not candidate.exists() or ours.get(candidate.name) == _digest(candidate.read_bytes()):
            return candidate
    raise FileExistsError(f"too many versions of {target.name} in {target.parent}")


def student_edition(out_dir: str | Path, notebooks_dir: str | Path | None = None,
                    with_solutions: bool = False) -> list[Written]:
    """Write the student edition of every lesson into ``out_dir`` (created if needed), or with
    ``with_solutions`` the instructor's edition (for self-learners). Never loses a student's work:
    a notebook is replaced only if it is exactly what an earlier run wrote (its SHA-256 is in the
    folder's ``.bertbook-course.json``); a notebook the student changed (or one this command did
    not write) is kept and the new version is written beside it as ``NAME.new.ipynb``. Refuses to
    write into the lessons' own folder, which would replace the instructor's edition."""
    sources = lesson_paths(notebooks_dir)
    out = Path(out_dir)
    if out.exists() and out.resolve() == sources[0].parent.resolve():
        raise ValueError(f"{out} holds the instructor's lessons; write the student edition somewhere else")
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"{out} is a file; give a folder for the student edition")
    out.mkdir(parents=True, exist_ok=True)
    manifest = _read_manifest(out)
    ours: dict = manifest["files"]
    written = []
    for path in sources:
        nb = nbformat.read(path, as_version=4)
        if with_solutions:
            nb.metadata.setdefault("bertbook", {})["edition"] = "instructor"
        else:
            nb = student_notebook(nb)
        nbformat.validate(nb)
        data = (nbformat.writes(nb) + "\n").encode("utf-8")
        target = out / path.name
        if not target.exists():
            action, kept = "new", None
        elif ours.get(target.name) == _digest(target.read_bytes()):
            action, kept = ("unchanged" if target.read_bytes() == data else "updated"), None
        else:                                    # the student's work: keep it, write ours beside it
            action, kept = "kept", target
            target = _beside(target, ours)
        if not target.exists() or target.read_bytes() != data:
            tmp = target.with_name(target.name + ".tmp")
            tmp.write_bytes(data)
            os.replace(tmp, target)
        ours[target.name] = _digest(data)
        written.append(Written(path.name, target, action, kept))
        manifest["edition"] = "instructor" if with_solutions else "student"
        (out / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return written
