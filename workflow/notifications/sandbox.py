"""The sandbox where the desk's wording of an email is checked and rendered.

Wording sees plain values only (the notification's params, ``outlet``, the recipient's display name, the link as
a string already made): no globals, a short list of filters, and ``a.b`` reads a mapping's key and nothing else.
Only text, names, filters, tests, comparisons and ``{% if %}`` are allowed in it: no calls, loops, assignments,
macros or includes. So no wording can make a token or reach a function.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from functools import lru_cache

from jinja2 import Environment, StrictUndefined, Template, TemplateError, TemplateSyntaxError, Undefined, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

# Filters that cannot make a long text out of a short one (no center, format, indent, join, replace, wordwrap).
SAFE_FILTERS = ("abs", "capitalize", "count", "d", "default", "e", "escape", "first", "float", "int", "last",
                "length", "lower", "round", "string", "striptags", "title", "trim", "truncate", "upper",
                "wordcount")
# What wording may contain: text, names, attributes and items, filters, tests, comparisons, and/or/not,
# ``~``, conditional expressions and ``{% if %}``. No calls, loops, assignments, macros, includes or arithmetic.
_ALLOWED_NODES = (nodes.Template, nodes.Output, nodes.TemplateData, nodes.If, nodes.Name, nodes.Const,
                  nodes.Getattr, nodes.Getitem, nodes.Slice, nodes.Filter, nodes.Test, nodes.Keyword,
                  nodes.CondExpr, nodes.And, nodes.Or, nodes.Not, nodes.Neg, nodes.Compare, nodes.Operand,
                  nodes.Concat, nodes.Tuple, nodes.List)
_CONSTRUCTS = {nodes.For: "{% for %}", nodes.Call: "calling a function or method", nodes.Assign: "{% set %}",
               nodes.AssignBlock: "{% set %}", nodes.Macro: "{% macro %}", nodes.CallBlock: "{% call %}",
               nodes.Include: "{% include %}", nodes.Import: "{% import %}", nodes.FromImport: "{% from %}",
               nodes.Extends: "{% extends %}", nodes.Block: "{% block %}", nodes.FilterBlock: "{% filter %}",
               nodes.With: "{% with %}", nodes.Mod: "%", nodes.Pow: "**", nodes.Mul: "*"}

class _Sandbox(ImmutableSandboxedEnvironment):
    """A sandbox with no globals and a short list of filters, where ``a.b`` and ``a["b"]`` read a mapping's keys
    (and a list's or a text's items) and nothing else: the wording sees plain data and has no use for any
    method or attribute of it. Anything else is an error, where the standard sandbox renders an unsafe
    attribute as an empty string and so hides the mistake from whoever wrote it."""

    def getattr(self, obj, attribute):
        if isinstance(obj, Mapping):
            return self.getitem(obj, attribute)
        if isinstance(obj, Undefined):
            return obj  # it tells what was missing in the first place
        if obj is None:
            return self.undefined(obj=obj, name=attribute)
        return self.unsafe_undefined(obj, attribute)

    def getitem(self, obj, argument):
        if isinstance(obj, (Mapping, list, tuple, str)):
            try:
                return obj[argument]
            except (TypeError, LookupError):
                pass
        if isinstance(obj, Undefined):
            return obj
        if obj is None or isinstance(obj, (Mapping, list, tuple, str)):
            return self.undefined(obj=obj, name=argument)
        return self.unsafe_undefined(obj, argument)

    def unsafe_undefined(self, obj, attribute):
        raise SecurityError(f"“{attribute}” of a {type(obj).__name__} cannot be used in an email.")


def _sandbox(autoescape: bool, strict: bool = False) -> Environment:
    # keep_trailing_newline: a block's source renders as it did inside its file, up to {% endblock %}.
    env = _Sandbox(autoescape=autoescape, keep_trailing_newline=True,
                   undefined=StrictUndefined if strict else Undefined)
    env.globals.clear()
    env.filters = {name: env.filters[name] for name in SAFE_FILTERS}
    return env


# The text part is the HTML-escaped output unescaped (as ever); subjects are plain. The strict ones check new
# wording against the samples: there ``recipient.nmae`` is a mistake to show, while in a real email a param
# that an older notification lacks is better left empty.
_SANDBOXES = {(autoescape, strict): _sandbox(autoescape, strict) for autoescape in (True, False)
              for strict in (True, False)}
_HTML = _SANDBOXES[True, False]


@lru_cache(maxsize=1024)
def compile_wording(source: str, autoescape: bool, strict: bool = False) -> Template:
    """Compiled once per source (``from_string`` does not cache, and compiling costs more than rendering)."""
    return _SANDBOXES[autoescape, strict].from_string(source)


def problems(source: str, allowed: Mapping[str, object] | None, forbidden: frozenset[str] = frozenset()) -> list:
    """What is wrong with a piece of wording, as "Line n: ..." messages, one per line at most (empty if
    nothing). Names must be in ``allowed`` (when given) and never in ``forbidden``."""
    try:
        ast = _HTML.parse(source)
    except TemplateSyntaxError as error:
        return [f"Line {error.lineno}: {error.message}"]
    problems: dict[int, str] = {}

    def refuse(node: nodes.Node) -> None:
        what = next((label for kind, label in _CONSTRUCTS.items() if isinstance(node, kind)), "this")
        problems.setdefault(node.lineno, f"Line {node.lineno}: {what} cannot be used in an email's wording; "
                                         "use names like {{ headline }}, filters and {% if %}.")

    refused = [node for node in ast.find_all(nodes.Node) if not isinstance(node, _ALLOWED_NODES)]
    for node in refused:  # {% for %} before the names it declares; a call after the name it calls
        if not isinstance(node, nodes.Call):
            refuse(node)
    for node in ast.find_all(nodes.Name):
        if node.name in forbidden or (allowed is not None and node.name not in allowed):
            problems.setdefault(node.lineno, f"Line {node.lineno}: there is no “{node.name}” in this email "
                                             "(the names you can use are listed on the page).")
    for node in refused:
        refuse(node)
    if not problems:
        try:  # unknown filters and tests are found here
            compile_wording(source, True)
        except TemplateSyntaxError as error:
            problems[error.lineno] = f"Line {error.lineno}: {error.message}"
    return [problems[line] for line in sorted(problems)]


def line_of(error: BaseException) -> int | None:
    """The line of the wording where a rendering error happened (Jinja puts template lines in the traceback)."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == "<template>"]
    return frames[-1].lineno if frames else None


def render(source: str, context: Mapping, autoescape: bool, strict: bool = False) -> str:
    return compile_wording(source, autoescape, strict).render(context)


def message(error: Exception) -> str:
    if isinstance(error, SecurityError):
        return str(error)
    if isinstance(error, TemplateError):
        return f"{error.message or type(error).__name__}."
    return f"This cannot be shown ({type(error).__name__}: {error})."
