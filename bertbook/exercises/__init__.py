"""Self-checks for the lessons' exercises: one module per lesson.

Each ``check_*`` function is wrapped by :func:`exercise_check`, which gives every check the same
three outcomes, whatever the student wrote:

- the answer is right: a cheerful line (``passed``);
- the answer is an untouched stub (its function raises ``NotImplementedError``, or the answer is
  ``...``): "not attempted yet", and no error, so a student edition runs top to bottom;
- anything else: ``ExerciseError`` with a message that says what is wrong. An exception raised
  inside the student's own code (a shape error from torch, say) is turned into such a message
  too, so a check never crashes with a raw traceback from deep inside the checker.

Every outcome is also recorded in :func:`results`, which ``python -m bertbook check`` reads after
running a notebook headless.
"""
from __future__ import annotations

import functools
import inspect

NOT_ATTEMPTED = "not attempted yet"


class ExerciseError(AssertionError):
    """The student's answer is not right yet; the message says how.

    In a notebook it is shown as feedback, not as a crash: IPython asks an exception for
    ``_render_traceback_()`` before it formats a traceback, so a failed check prints a short verdict
    (a mark, the check, what is wrong and the hint) and no frame of the checker's code. When the
    student's own function raised inside the check (the exception is this one's ``__cause__``), the
    verdict's second line is the student's line and that exception, in one line. It is still an
    exception: Run All stops at it, and ``python -m bertbook check`` records the failure."""

    check: str | None = None         # the check_* that raised it (set by exercise_check)

    def _render_traceback_(self) -> list[str]:
        return feedback_lines(self)


class _StudentCodeError(Exception):
    """Internal: the student's function raised; carries the original exception."""


_results: dict[str, dict] = {}


def results() -> dict[str, dict]:
    """Outcome of every check run in this process, by check name:
    ``{"status": "passed" | "failed" | "not attempted", "message": str}``. A later run of the
    same check replaces an earlier one (a solution cell after its stub, say)."""
    return {name: dict(r) for name, r in _results.items()}


def reset_results() -> None:
    _results.clear()


def forget(name: str) -> None:
    """Drop the recorded outcome of one check (``python -m bertbook check`` does this before each
    exercise cell, so a lesson's demonstration of a wrong answer is not taken for the student's)."""
    _results.pop(name, None)


def passed(what: str) -> None:
    print(f"✓ {what}: correct!")


def is_stub(answer) -> bool:
    """``...`` (an unanswered prediction or an unfilled value) counts as not attempted."""
    return answer is Ellipsis


def exercise_check(fn):
    """Wrap a ``check_*(answer, ...)`` function with the three outcomes described in the module
    docstring. The check itself only has to raise ``ExerciseError`` with a helpful message.

    The *answers* are the check's parameters without a default (``check_masked_max_pool(fn)`` has one,
    ``check_mask_shares(a, b)`` two, a check that reads nothing from the student none); the
    parameters with a default are the check's own options. All answers still ``...`` means
    not attempted; some of them still ``...`` is a failure that names the missing ones."""
    name = fn.__name__
    signature = inspect.signature(fn)
    answer_names = [p.name for p in signature.parameters.values()
                    if p.default is inspect.Parameter.empty
                    and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            bound = signature.bind_partial(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{name}{signature}: {e}") from None
        missing = [a for a in answer_names if a not in bound.arguments]
        if missing and len(missing) < len(answer_names):
            raise TypeError(f"{name}() needs {', '.join(answer_names)}; {', '.join(missing)} not given.")
        answers = {a: bound.arguments.get(a, Ellipsis) for a in answer_names}
        stubs = [a for a, value in answers.items() if is_stub(value)]
        if answers and len(stubs) == len(answers):
            return _not_attempted(name)
        if stubs:
            return _fail(name, f"{', '.join(stubs)} {'is' if len(stubs) == 1 else 'are'} still `...`: "
                               f"answer {'it' if len(stubs) == 1 else 'them'} too.")
        bound = signature.bind(*args, **kwargs) if not missing else bound
        try:
            value = fn(*bound.args, **bound.kwargs)
        except NotImplementedError:
            return _not_attempted(name)
        except ExerciseError as e:
            if _raised_by_stub(e):         # a check that wraps the student's exceptions itself
                return _not_attempted(name)
            _results[name] = {"status": "failed", "message": str(e)}
            if e.check is None:
                e.check = name
            raise
        except Exception as e:   # raised inside the student's code, or by what it returned
            if _raised_by_stub(e):
                return _not_attempted(name)
            return _fail(name, f"your answer raised {type(e).__name__}: {e}. See what the exercise asks "
                               f"for (shapes and types) and try again.", cause=e)
        _results[name] = {"status": "passed", "message": ""}
        return value

    wrapper.answers = tuple(answer_names)
    return wrapper


_RED, _BOLD, _DIM, _RESET = "\x1b[31m", "\x1b[1m", "\x1b[2m", "\x1b[0m"
_MAX_LINE = 400


def _library_dirs() -> tuple[str, ...]:
    import os
    import sysconfig
    dirs = {os.path.dirname(os.path.abspath(__file__)).rsplit(os.sep, 1)[0]}      # the bertbook package
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            dirs.add(os.path.abspath(path))
    return tuple(d.rstrip(os.sep) + os.sep for d in dirs)


def student_line(error: BaseException) -> tuple[int, str] | None:
    """``(line number, source line)`` of the deepest frame of ``error``'s traceback that is the
    student's own code (a notebook cell, a file of theirs: not bertbook, not an installed library),
    or None when there is none."""
    import linecache
    import os
    library = _library_dirs()
    found = None
    tb = error.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        filename = code.co_filename
        path = os.path.abspath(filename) if not filename.startswith("<") else filename
        if not path.startswith(library) and not filename.startswith("<frozen"):
            line = linecache.getline(filename, tb.tb_lineno).strip()
            if line:
                found = (tb.tb_lineno, line)
        tb = tb.tb_next
    return found


def feedback_lines(error: ExerciseError) -> list[str]:
    """The verdict a notebook shows for a failed check, as ``_render_traceback_`` lines: the mark and
    the check first, then (when the student's code raised) that line and its exception in one line,
    then what is wrong and the hint. No frame of bertbook's code."""
    message = str(error).strip()
    what = error.check or "the check"
    lines = [f"{_RED}{_BOLD}✗ {what}: not right yet{_RESET}"]
    cause = error.__cause__
    if cause is not None and not isinstance(cause, ExerciseError):
        raised = f"{type(cause).__name__}: {str(cause).strip().splitlines()[0] if str(cause).strip() else ''}".rstrip(": ")
        where = student_line(cause)
        if len(raised) > _MAX_LINE:
            raised = raised[:_MAX_LINE] + " ..."
        if where:
            lines.append(f"  your code raised, at line {where[0]}:  {where[1]}  ->  {raised}")
        else:
            lines.append(f"  your answer raised {raised}")
        full = f"{type(cause).__name__}: {cause}"
        if full in message:                       # the check's message repeats the exception: keep its hint
            before, after = message.split(full, 1)
            message = after.strip().lstrip(".").strip() or ""
    hint = message or "see what the exercise asks for (shapes and types) and try again."
    hint_lines = hint.splitlines()
    lines.append(f"  hint: {hint_lines[0]}")
    lines += [f"        {line}" for line in hint_lines[1:]]
    lines.append(f"{_DIM}  (a failed check stops Run All here: change your answer above and run the cell again){_RESET}")
    return lines


def _raised_by_stub(error: BaseException) -> bool:
    """True when ``NotImplementedError`` is somewhere in the chain of causes (a stub ran)."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, NotImplementedError):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def _fail(name: str, message: str, cause: BaseException | None = None):
    _results[name] = {"status": "failed", "message": message}
    error = ExerciseError(message)
    error.check = name
    raise error from cause


def _not_attempted(name: str) -> None:
    _results[name] = {"status": "not attempted", "message": NOT_ATTEMPTED}
    print(f"… {name}: {NOT_ATTEMPTED}")
