"""Show a library function's source in a lesson: the math, without docstring and checks.

A lesson that explains a function of :mod:`dlbook_lib` (the LSTM step, say) prints its code
instead of copying it, so page and library cannot drift apart. The argument checks at the
top of a function matter to a user but not to the explanation, so :func:`show_source` leaves
them out: a statement is a check when it calls one of the validators of
:mod:`dlbook_lib._checks` or a function of the module whose name starts with ``_check``
(directly, or as the value assigned). The decision reads the code's syntax tree, not its
text, and the validators' names come from ``_checks.__all__``: a rename there cannot
silently change what a page shows.
"""
from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any, Callable

from dlbook_lib import _checks

__all__ = ["core_source", "show_source"]


def _called_name(node: ast.AST) -> str | None:
    """The name of the function a statement calls (``f(...)``, ``a = f(...)``), if any."""
    value = node.value if isinstance(node, (ast.Assign, ast.Expr, ast.AnnAssign)) else None
    if isinstance(value, ast.Call):
        func = value.func
        if isinstance(func, ast.Name):
            return func.id
        if isinstance(func, ast.Attribute):
            return func.attr
    return None


def _is_check(node: ast.AST) -> bool:
    name = _called_name(node)
    return name is not None and (name in _checks.__all__ or name.startswith("_check"))


def core_source(function: Callable[..., Any]) -> str:
    """The source of ``function`` without its docstring and its argument-check statements.

    Raises:
        TypeError: if ``function`` is not a Python function (a builtin has no source).
    """
    if not inspect.isfunction(function):
        raise TypeError(f"function must be a Python function, got {type(function).__name__}")
    source = textwrap.dedent(inspect.getsource(function))
    definition = ast.parse(source).body[0]
    drop: set[int] = set()
    body = definition.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        drop.update(range(body[0].lineno, body[0].end_lineno + 1))  # the docstring
    for node in ast.walk(definition):
        if node is not definition and isinstance(node, ast.stmt) and _is_check(node):
            drop.update(range(node.lineno, node.end_lineno + 1))
    lines = source.splitlines()
    return "\n".join(line for number, line in enumerate(lines, start=1) if number not in drop)


def show_source(function: Callable[..., Any]) -> None:
    """Print :func:`core_source` of ``function`` (for a lesson's code cell)."""
    print(core_source(function))
