"""The README's two commands are the project's contract with a new user: CI must run the test one."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _bash_blocks():
    return re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)


def test_ci_runs_exactly_the_readme_test_command():
    blocks = _bash_blocks()
    setup, test = blocks[0].strip(), blocks[1].strip()
    assert "pip install torch==2.13.0" in setup and "jupyter lab notebooks/01_tokenization.ipynb" in setup
    assert test.endswith("python -m pytest") and "pip install torch==2.13.0" in test
    ci_lines = [l for l in (ROOT / ".ci" / "run").read_text().splitlines() if l and not l.startswith("#")]
    assert test in ci_lines


def test_every_lesson_in_the_readme_exists():
    named = set(re.findall(r"`(\d\d_\w+\.ipynb)`", (ROOT / "README.md").read_text()))
    on_disk = {p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert named == on_disk and len(on_disk) == 9
