"""The course kit: what an instructor needs around the lessons.

- :mod:`bertbook.course.edition` writes the **student edition** of the lessons: the cells tagged
  ``solution`` removed, the saved outputs from a lesson's first ``exercise`` on cleared (so no answer
  stands on the page), everything else kept (``python -m bertbook student-edition OUT_DIR``, or
  ``python -m bertbook start`` for a learner's own copy). A notebook in the target folder that a
  student changed is never overwritten: the new version goes beside it as ``NAME.new.ipynb``.
- :mod:`bertbook.course.checking` runs submitted notebooks headless and reports every exercise as
  passed, failed (with the check's message) or not attempted (``python -m bertbook check NB...``).

The tags are the contract between the lessons and these tools: an ``exercise`` cell is a stub
(``raise NotImplementedError`` or ``...``) that ends by calling its ``check_*``; a later ``solution``
cell (collapsed) holds a worked answer. ``/work/shared/hooks``-style linting of the tags lives in
the tests (tests/test_course_kit.py).
"""
from .edition import EXERCISE_TAG, SOLUTION_TAG, lesson_paths, student_edition, student_notebook

__all__ = ["EXERCISE_TAG", "SOLUTION_TAG", "lesson_paths", "student_edition", "student_notebook"]
