"""The README's two commands are the project's contract with a new user: the first gives a student
their own copy of the course, CI runs the second (the tests) exactly as written."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def _bash_blocks():
    return re.findall(r"```bash\n(.*?)```", README.read_text(), re.S)


def test_the_first_command_installs_and_starts_the_students_copy():
    setup = _bash_blocks()[0].strip()
    assert setup.startswith("pip install torch==2.13.0 && pip install -e \".[test]\"")
    assert setup.endswith("python -m bertbook start"), setup
    # and `start` is a real command of the package's command line, with the options the README names
    from bertbook.__main__ import build_parser
    args = build_parser().parse_args(["start"])
    assert args.func.__name__ == "start" and args.folder == "bertbook-course"
    text = README.read_text()
    for option in ("--with-solutions", "--no-browser"):
        assert option in text and option in build_parser()._subparsers._group_actions[0].choices["start"].format_help()


def test_ci_runs_exactly_the_readme_test_command():
    blocks = _bash_blocks()
    test = blocks[1].strip()
    assert test.endswith("python -m pytest") and "pip install torch==2.13.0" in test
    ci_lines = [l for l in (ROOT / ".ci" / "run").read_text().splitlines() if l and not l.startswith("#")]
    assert test in ci_lines


def test_a_student_finds_how_to_start_before_the_contributors_part():
    text = README.read_text()
    start = text.index("python -m bertbook start")
    assert start < text.index("docs/teaching.md") < text.index("python -m pytest") < text.index("### The package")
    assert text.count("\n") > 0 and text[:start].count("\n") < 40      # on the first screen


def test_every_lesson_in_the_readme_exists():
    named = set(re.findall(r"`(\d\d_\w+\.ipynb)`", README.read_text()))
    on_disk = {p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert named == on_disk and len(on_disk) >= 9


def _browser_tested_lessons() -> set[int]:
    lessons = set()
    for path in (ROOT / "tests" / "browser").glob("test_browser_lesson*.py"):
        m = re.match(r"test_browser_lessons?((?:\d\d_?)+)", path.stem)
        lessons |= {int(n) for n in re.findall(r"\d\d", m.group(1))}
    return lessons


def _listed(text: str, pattern: str) -> set[int]:
    m = re.search(pattern, text, re.S)
    assert m, pattern
    return {int(n) for n in re.findall(r"\d+", m.group(1))}


def test_the_docs_name_the_lessons_the_browser_tests_open():
    tested = _browser_tested_lessons()
    assert {1, 2, 3, 7, 9} <= tested
    readme = " ".join(README.read_text().split())
    teaching = " ".join((ROOT / "docs" / "teaching.md").read_text().split())
    assert _listed(readme, r"opens lessons ([\d, and]+) in headless Chromium") == tested
    assert _listed(teaching, r"the widget lessons ([\d, and]+) are clicked through") == tested
