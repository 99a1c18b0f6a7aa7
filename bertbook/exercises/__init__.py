"""Self-checks for the lessons' exercises: one module per lesson. Each ``check_*`` function runs a
student's answer against known cases and raises ``ExerciseError`` with a message that says what is
wrong (and prints a cheerful line when it is right)."""


class ExerciseError(AssertionError):
    """The student's answer is not right yet; the message says how."""


def passed(what: str) -> None:
    print(f"✓ {what}: correct!")
