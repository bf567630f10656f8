"""Two rules of ``.importlinter`` that an import graph alone cannot check, as import-linter contract types.

- ``request_free``: outside the web layer, no module takes ``request``, ``session`` or the signed-in
  person from Flask or Flask-Login: services get the actor and the inputs as arguments (STYLE.md).
- ``explained_inner_imports``: an import of the project's own modules inside a function has a comment, on its
  line or the line above, that says why it is not at the top (a circle it avoids, a cost it defers).

Both read the modules' source with ``ast``; nothing is imported or run.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck
from importlinter.domain.helpers import module_expressions_to_modules

REQUEST_NAMES = {
    "flask": {"request", "session"},
    "flask_login": {"current_user", "login_user", "logout_user"},
}


def _sources(graph, root: str) -> dict[str, Path]:
    """Each module of ``root`` in the graph, with the file it is read from."""
    base = Path(importlib.util.find_spec(root).submodule_search_locations[0])
    found = {}
    for name in graph.modules:
        if name != root and not name.startswith(root + "."):
            continue
        relative = Path(*name.split(".")[1:])
        package = base / relative / "__init__.py"
        found[name] = package if package.exists() else base / relative.with_suffix(".py")
    return found


def _print_violations(check: ContractCheck) -> None:
    for line in check.metadata["violations"]:
        output.print_error(f"- {line}", bold=False)
        output.new_line()


class RequestFreeContract(Contract):
    type_name = "request_free"

    root = fields.StringField()
    web_modules = fields.SetField(subfield=fields.ModuleExpressionField())

    def check(self, graph, verbose: bool) -> ContractCheck:
        web = {module.name for module in module_expressions_to_modules(graph, self.web_modules)}
        violations = []
        for name, path in sorted(_sources(graph, self.root).items()):
            if name in web:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.ImportFrom) and node.module in REQUEST_NAMES:
                    taken = {alias.name for alias in node.names} & REQUEST_NAMES[node.module]
                    if taken:
                        violations.append(f"{name}:{node.lineno} takes {', '.join(sorted(taken))} from "
                                          f"{node.module}: pass what it needs as an argument")
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        _print_violations(check)


class ExplainedInnerImportsContract(Contract):
    type_name = "explained_inner_imports"

    root = fields.StringField()
    exempt_modules = fields.SetField(subfield=fields.ModuleExpressionField(), required=False)

    def check(self, graph, verbose: bool) -> ContractCheck:
        exempt = {module.name for module in module_expressions_to_modules(graph, self.exempt_modules or set())}
        violations = []
        for name, path in sorted(_sources(graph, self.root).items()):
            if name in exempt:
                continue
            lines = path.read_text().splitlines()
            for node in _inner_imports(ast.parse("\n".join(lines), str(path)), self.root):
                here, above = lines[node.lineno - 1], lines[node.lineno - 2] if node.lineno > 1 else ""
                if "#" not in here and not above.strip().startswith("#"):
                    violations.append(f"{name}:{node.lineno} imports {_imported(node)} inside a function "
                                      f"without a comment that says why")
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        _print_violations(check)


def _inner_imports(tree: ast.Module, root: str):
    seen = set()
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if id(node) in seen:
                continue
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").split(".")[0] == root) \
                    or isinstance(node, ast.Import) and any(a.name.split(".")[0] == root for a in node.names):
                seen.add(id(node))
                yield node


def _imported(node: ast.Import | ast.ImportFrom) -> str:
    if isinstance(node, ast.ImportFrom):
        return node.module or "."
    return ", ".join(alias.name for alias in node.names)
