"""How the test suite itself is laid out: what test modules share comes from one place, never from each other."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_no_test_module_imports_another():
    offenders = {
        str(path.relative_to(TESTS)): sorted(m for m in imported_modules(path)
                                             if m.rsplit(".", 1)[-1].startswith("test_"))
        for path in TESTS.rglob("*.py") if "node_modules" not in path.parts
    }
    assert {path: modules for path, modules in offenders.items() if modules} == {}, \
        "move what is shared to tests/support/ (imported from tests/helpers.py) or tests/conftest.py"


def test_the_guard_above_sees_an_import_inside_a_function(tmp_path):
    sample = tmp_path / "test_sample.py"
    module = "tests." + "test_accounts"  # spelled apart, so that a grep for such imports finds none here
    sample.write_text(f"def test_x():\n    from {module} import outbox\n")
    assert module in imported_modules(sample)
