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

NOT_ATTEMPTED = "not attempted yet"


class ExerciseError(AssertionError):
    """The student's answer is not right yet; the message says how."""


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


def passed(what: str) -> None:
    print(f"✓ {what}: correct!")


def is_stub(answer) -> bool:
    """``...`` (an unanswered prediction or an unfilled value) counts as not attempted."""
    return answer is Ellipsis


def exercise_check(fn):
    """Wrap a ``check_*(answer, ...)`` function with the three outcomes described in the module
    docstring. The check itself only has to raise ``ExerciseError`` with a helpful message."""
    name = fn.__name__

    @functools.wraps(fn)
    def wrapper(answer=Ellipsis, *args, **kwargs):
        if is_stub(answer):
            return _not_attempted(name)
        try:
            value = fn(answer, *args, **kwargs)
        except NotImplementedError:
            return _not_attempted(name)
        except ExerciseError as e:
            _results[name] = {"status": "failed", "message": str(e)}
            raise
        except Exception as e:   # raised inside the student's code, or by what it returned
            message = (f"your answer raised {type(e).__name__}: {e}. "
                       f"See what the exercise asks for (shapes and types) and try again.")
            _results[name] = {"status": "failed", "message": message}
            raise ExerciseError(message) from e
        _results[name] = {"status": "passed", "message": ""}
        return value

    return wrapper


def _not_attempted(name: str) -> None:
    _results[name] = {"status": "not attempted", "message": NOT_ATTEMPTED}
    print(f"… {name}: {NOT_ATTEMPTED}")
