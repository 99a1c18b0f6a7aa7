"""The package's layering (pyproject.toml [tool.importlinter]) holds, and its contracts have teeth:
the core never imports the lesson layer, no import cycles, the checkpoint registry below the
weight format below the models; and no module imports another module's private name."""
import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` on the package under ``root`` (not whichever bertbook is installed)."""
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True))"
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True,
                          timeout=300)


def test_import_contracts_are_kept():
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "3 kept, 0 broken" in done.stdout


def test_the_contracts_catch_a_violation(tmp_path):
    """A copy of the package with a core module importing a widget and weights importing the model:
    both contracts must break, or they would not notice the real thing either."""
    shutil.copytree(ROOT / "bertbook", tmp_path / "bertbook", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with open(tmp_path / "bertbook" / "head_patterns.py", "a") as f:
        f.write("\nfrom .widgets import attention as _viewer  # noqa\n")
    with open(tmp_path / "bertbook" / "weights.py", "a") as f:
        f.write("\nfrom . import model as _model  # noqa\n")
    done = lint_imports(tmp_path)
    assert done.returncode != 0
    assert "bertbook.head_patterns -> bertbook.widgets.attention" in done.stdout
    assert "No import cycles between bertbook's modules BROKEN" in done.stdout
    assert "0 kept, 3 broken" in " ".join(done.stdout.split())    # lint-imports wraps long lines


def private_imports(package: Path) -> set[tuple[str, str]]:
    """(file, name) for every ``from <a bertbook module> import _name``."""
    found = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and (node.level > 0 or (node.module or "").startswith("bertbook")):
                found |= {(path.relative_to(package.parent).as_posix(), alias.name) for alias in node.names
                          if alias.name.startswith("_") and not alias.name.startswith("__")}
    return found


def test_no_private_name_is_imported_across_modules():
    assert private_imports(ROOT / "bertbook") == set()


def test_the_private_import_check_sees_one(tmp_path):
    (tmp_path / "bertbook").mkdir()
    (tmp_path / "bertbook" / "a.py").write_text("from .weights import _match_prefix\nfrom .b import c as _c\n")
    assert private_imports(tmp_path / "bertbook") == {("bertbook/a.py", "_match_prefix")}
