"""No function or class is defined in two lessons: a helper that two notebooks need belongs
in dlbook_lib, written once, tested once.

Two rules, over the code cells of every notebook in chapters/ (IPython magics blanked out):

* by name: two notebooks define a function or class of the same name at the top level of a
  cell (also inside a module-level ``if``/``try``/``with``/``for``). Methods and functions
  nested in functions are left out of this rule: every ``nn.Module`` has a ``forward``.
* by body: two notebooks define a function, method or class (at any depth) whose signature
  and body are the same once its own name, its docstrings and its decorators are left out,
  which catches a renamed copy. Trivial bodies are exempt: fewer than
  ``MIN_STATEMENTS`` statements in all (nested ones counted, the docstring not), such as
  ``pass``, ``return self.net(x)`` or a two-line ``forward``; short one-liners of this kind
  recur by nature and would only give false alarms.

A notebook may redefine its own function (a better version later in the lesson); only
definitions in two different notebooks are reported.
"""
from __future__ import annotations

import ast
import copy
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(p for p in (ROOT / "chapters").rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)
# Bodies with fewer statements than this (nested ones counted) are exempt from the body rule.
MIN_STATEMENTS = 3
ADVICE = "move it into dlbook_lib and import it from there"

_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass(frozen=True)
class Definition:
    """One function or class definition in a notebook's code cell."""

    notebook: str     # path relative to the repository root, or as given
    cell: int         # 1-based, markdown cells counted (the numbering ruff reports)
    line: int         # 1-based line inside the cell
    kind: str         # "function" or "class"
    name: str
    top_level: bool   # at module level of the cell (the name rule looks at these only)
    body_key: str | None  # normalised signature and body; None when the body is trivial

    def where(self) -> str:
        return f"{self.notebook} (cell {self.cell}, line {self.line})"


class CellSyntaxError(Exception):
    """A code cell that does not parse as Python once its magics are blanked out."""


def blank_magics(source: str) -> str:
    """The cell's source with every IPython magic or shell line (``%...``, ``!...``, also
    indented) replaced by ``pass`` at the same indentation, so blocks stay non-empty and
    line numbers stay put."""
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            line = line[: len(line) - len(stripped)] + "pass"
        lines.append(line)
    return "\n".join(lines)


def _strip_docstrings(node: ast.AST) -> None:
    for sub in ast.walk(node):
        if isinstance(sub, (*_DEFINITIONS, ast.Module)):
            body = sub.body
            if (body and isinstance(body[0], ast.Expr)
                    and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)):
                sub.body = body[1:] or [ast.Pass()]


def _count_statements(statements: list[ast.stmt]) -> int:
    return sum(isinstance(sub, ast.stmt) for stmt in statements for sub in ast.walk(stmt))


def body_key(node: ast.AST, enclosing: tuple[str, ...] = ()) -> str | None:
    """What two copies of a definition share, whatever their names: the signature (a
    function's arguments, a class's bases and keywords) and the body, without the docstrings,
    the decorators, the return annotation, and with the definition's own name and those of
    the definitions around it (recursion, ``super(Name, self)`` in a method) replaced by
    placeholders. None for a trivial body."""
    node = copy.deepcopy(node)
    _strip_docstrings(node)
    real = [s for s in node.body if not isinstance(s, ast.Pass)]
    if _count_statements(real) < MIN_STATEMENTS:
        return None
    own_names = {name: f"__name_{depth}__"
                 for depth, name in enumerate((*enclosing, node.name))}
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and sub.id in own_names:
            sub.id = own_names[sub.id]
    if isinstance(node, ast.ClassDef):
        signature = [ast.dump(b) for b in node.bases] + [ast.dump(k) for k in node.keywords]
        kind = "class"
    else:
        signature = [ast.dump(node.args)]
        kind = "function"
    return "\n".join([kind, *signature, *(ast.dump(s) for s in node.body)])


def _top_level_nodes(statements: list[ast.stmt]):
    """Definitions at module level, also inside module-level if/try/with/for/while blocks."""
    for stmt in statements:
        if isinstance(stmt, _DEFINITIONS):
            yield stmt
        elif isinstance(stmt, (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With,
                               ast.AsyncWith, ast.Try)):
            blocks = [stmt.body, getattr(stmt, "orelse", []), getattr(stmt, "finalbody", [])]
            blocks += [handler.body for handler in getattr(stmt, "handlers", [])]
            for block in blocks:
                yield from _top_level_nodes(block)
        elif hasattr(ast, "TryStar") and isinstance(stmt, ast.TryStar):  # Python >= 3.11
            for block in [stmt.body, stmt.orelse, stmt.finalbody,
                          *(h.body for h in stmt.handlers)]:
                yield from _top_level_nodes(block)


def notebook_definitions(path: Path, name: str | None = None) -> list[Definition]:
    """Every function and class definition in the notebook's code cells, in order.

    Raises CellSyntaxError naming the notebook and cell when a code cell does not parse."""
    name = name or (str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path))
    nb = nbformat.read(path, as_version=4)
    found = []
    for number, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(blank_magics(cell.source))
        except SyntaxError as error:
            raise CellSyntaxError(
                f"{name}: cell {number} does not parse (line {error.lineno}: {error.msg})"
            ) from error
        top = {id(node) for node in _top_level_nodes(tree.body)}
        for node, enclosing in _all_definitions(tree):
            found.append(Definition(
                notebook=name, cell=number, line=node.lineno,
                kind="class" if isinstance(node, ast.ClassDef) else "function",
                name=node.name, top_level=id(node) in top,
                body_key=body_key(node, enclosing)))
    return sorted(found, key=lambda d: (d.cell, d.line))


def _all_definitions(node: ast.AST, enclosing: tuple[str, ...] = ()):
    """Every definition below `node`, with the names of the definitions around it."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, _DEFINITIONS):
            yield child, enclosing
            yield from _all_definitions(child, (*enclosing, child.name))
        else:
            yield from _all_definitions(child, enclosing)


def _groups_across_notebooks(definitions, key) -> list[list[Definition]]:
    groups: dict = {}
    for d in definitions:
        k = key(d)
        if k is not None:
            groups.setdefault(k, []).append(d)
    return [g for g in groups.values() if len({d.notebook for d in g}) > 1]


def shared_names(definitions: list[Definition]) -> list[str]:
    """One message per top-level name that more than one notebook defines."""
    groups = _groups_across_notebooks(
        [d for d in definitions if d.top_level], key=lambda d: (d.kind, d.name))
    return [f"{g[0].kind} `{g[0].name}` is defined in more than one notebook: "
            + "; ".join(d.where() for d in g) + f": {ADVICE}" for g in groups]


def shared_bodies(definitions: list[Definition]) -> list[str]:
    """One message per non-trivial body that more than one notebook defines (any names)."""
    groups = _groups_across_notebooks(definitions, key=lambda d: d.body_key)
    return [f"{g[0].kind} with the same body in more than one notebook: "
            + "; ".join(f"`{d.name}` in {d.where()}" for d in g) + f": {ADVICE}"
            for g in groups]


# --- the notebooks of the book ------------------------------------------------------------

@pytest.fixture(scope="module")
def book_definitions() -> list[Definition]:
    definitions, broken = [], []
    for path in NOTEBOOKS:
        try:
            definitions += notebook_definitions(path)
        except CellSyntaxError as error:
            broken.append(str(error))
    if broken:
        pytest.fail("notebook cells that do not parse:\n" + "\n".join(broken))
    return definitions


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found under chapters/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_code_cells_parse(path):
    try:
        notebook_definitions(path)
    except CellSyntaxError as error:
        pytest.fail(str(error))


def test_no_function_or_class_name_in_two_notebooks(book_definitions):
    problems = shared_names(book_definitions)
    assert not problems, "\n".join(problems)


def test_no_function_or_class_body_in_two_notebooks(book_definitions):
    problems = shared_bodies(book_definitions)
    assert not problems, "\n".join(problems)


# --- the checker itself, on small made-up notebooks -----------------------------------------

HELPER = '''\
def smooth(values, window=5):
    """Moving average."""
    kernel = np.ones(window) / window
    out = np.convolve(values, kernel, mode="valid")
    return out
'''
RENAMED_HELPER = '''\
def running_mean(values, window=5):
    # the same code under another name, another docstring, a decorator
    kernel = np.ones(window) / window
    out = np.convolve(values, kernel, mode="valid")
    return out
'''


def _write_notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# A lesson")]
    nb.cells += [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)
    return path


def _definitions(tmp_path, **notebooks) -> list[Definition]:
    found = []
    for name, sources in notebooks.items():
        path = _write_notebook(tmp_path / f"{name}.ipynb", *sources)
        found += notebook_definitions(path, name=f"{name}.ipynb")
    return found


def test_checker_flags_the_same_name(tmp_path):
    found = _definitions(
        tmp_path,
        a=["import numpy as np", HELPER],
        b=["%matplotlib inline\ndef smooth(v):\n    return v\n"])
    problems = shared_names(found)
    assert len(problems) == 1
    assert "`smooth`" in problems[0] and "a.ipynb (cell 3, line 1)" in problems[0]
    assert "b.ipynb (cell 2, line 2)" in problems[0] and "move it into dlbook_lib" in problems[0]
    assert shared_bodies(found) == []  # b's body is trivial and different


def test_checker_flags_a_renamed_copy(tmp_path):
    found = _definitions(
        tmp_path,
        a=[HELPER],
        b=["try:\n    import x\nexcept ImportError:\n    !pip install x\n",
           "@decorate\n" + RENAMED_HELPER])
    assert shared_names(found) == []
    problems = shared_bodies(found)
    assert len(problems) == 1
    assert "`smooth` in a.ipynb (cell 2, line 1)" in problems[0]
    assert "`running_mean` in b.ipynb (cell 3, line 2)" in problems[0]
    assert "move it into dlbook_lib" in problems[0]


def test_checker_flags_copied_methods_and_classes(tmp_path):
    model = ("class Net(nn.Module):\n"
             "    def __init__(self):\n"
             "        super(Net, self).__init__()\n"
             "        self.a = nn.Linear(2, 2)\n"
             "        self.b = nn.Linear(2, 1)\n")
    found = _definitions(tmp_path, a=[model], b=[model.replace("Net", "TinyNet")])
    kinds = sorted(p.split(" ")[0] for p in shared_bodies(found))
    assert kinds == ["class", "function"]  # the class and its __init__


def test_checker_leaves_distinct_and_trivial_definitions_alone(tmp_path):
    found = _definitions(
        tmp_path,
        a=[HELPER, "class Model(nn.Module):\n    def forward(self, x):\n"
                   "        return self.net(x)\n",
           HELPER.replace("def smooth", "def smooth_again")],   # same notebook: allowed
        b=[HELPER.replace("mode=\"valid\"", "mode=\"same\"").replace("smooth", "smooth_same"),
           "class Other(nn.Module):\n    def forward(self, x):\n        return self.net(x)\n",
           "def helper():\n    pass\n"],
        c=["def helper2():\n    pass\n", "print(1)\n"])
    assert shared_names(found) == []
    assert shared_bodies(found) == []


def test_checker_names_the_cell_that_does_not_parse(tmp_path):
    path = _write_notebook(tmp_path / "broken.ipynb", "x = 1\n", "def f(:\n    pass\n")
    with pytest.raises(CellSyntaxError, match=r"broken\.ipynb: cell 3 does not parse"):
        notebook_definitions(path, name="broken.ipynb")
