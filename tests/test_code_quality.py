"""Code quality that ruff (`make lint`) does not check: the notebooks' line length (the book's
code boxes show about 88 characters; ruff has one line-length, 100, for every path) and a
docstring on every public function, class and method of dlbook_lib."""
from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import sys
import types
import unicodedata
from pathlib import Path

import nbformat
import pytest

import dlbook_lib

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(p for p in (ROOT / "chapters").rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)
# What a code box in the HTML book shows without a horizontal scroll bar.
NOTEBOOK_LINE_LENGTH = 88


def display_width(line: str) -> int:
    """Columns the line takes in a monospace font: wide (CJK) characters count twice."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in line)


def long_lines(path: Path, limit: int = NOTEBOOK_LINE_LENGTH) -> list[str]:
    """'cell C, line L: W > limit' for each code line wider than `limit` (cells 1-based,
    markdown cells counted, as ruff numbers them)."""
    nb = nbformat.read(path, as_version=4)
    found = []
    for number, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        for line_number, line in enumerate(cell.source.splitlines(), start=1):
            width = display_width(line)
            if width > limit:
                found.append(f"cell {number}, line {line_number}: {width} > {limit}")
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_code_lines_fit_the_code_box(path):
    found = long_lines(path)
    assert not found, (f"{path.relative_to(ROOT)}: {len(found)} code lines wider than "
                       f"{NOTEBOOK_LINE_LENGTH} characters:\n" + "\n".join(found))


def test_long_lines_counts_columns(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("x" * 200),
                nbformat.v4.new_code_cell("a = 1\n" + "b" * 89 + "\n" + "c" * 88),
                nbformat.v4.new_code_cell("# " + "가" * 44)]   # 2 + 88 columns
    nbformat.write(nb, tmp_path / "n.ipynb")
    assert long_lines(tmp_path / "n.ipynb") == ["cell 2, line 2: 89 > 88",
                                                "cell 3, line 1: 90 > 88"]


# --- docstrings --------------------------------------------------------------------------

def package_modules() -> list[str]:
    """dlbook_lib and every module in it (private ones too: their names show in tracebacks
    and the public modules re-export them)."""
    return [dlbook_lib.__name__] + sorted(
        f"{dlbook_lib.__name__}.{info.name}" for info in pkgutil.iter_modules(dlbook_lib.__path__))


def _own_doc(cls: type) -> str:
    """The class's own docstring: not a base class's, not the signature dataclasses write."""
    doc = cls.__dict__.get("__doc__") or ""
    if dataclasses.is_dataclass(cls) and doc.startswith(f"{cls.__name__}("):
        return ""
    return inspect.cleandoc(doc)


def public_docs(module) -> dict[str, str]:
    """module.name -> docstring ("" if none) for each public function, class and public
    method (or property) of a public class defined in `module`. A method that overrides a
    documented method of a base class counts as documented (inspect.getdoc finds the
    base's); a class needs a docstring of its own."""
    docs = {}
    for name, obj in sorted(vars(module).items()):
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(obj):
            docs[f"{module.__name__}.{name}"] = inspect.getdoc(obj) or ""
        elif inspect.isclass(obj):
            docs[f"{module.__name__}.{name}"] = _own_doc(obj)
            for attribute, member in sorted(vars(obj).items()):
                if attribute.startswith("_"):
                    continue
                if isinstance(member, (staticmethod, classmethod)):
                    member = member.__func__
                if inspect.isfunction(member):
                    doc = inspect.getdoc(getattr(obj, attribute))
                elif isinstance(member, property):
                    doc = inspect.getdoc(member)
                else:
                    continue
                docs[f"{module.__name__}.{name}.{attribute}"] = doc or ""
    return docs


def undocumented(module) -> list[str]:
    """The names of public_docs(module) without a docstring."""
    return [name for name, doc in public_docs(module).items() if not doc]


def test_every_public_name_of_dlbook_lib_has_a_docstring():
    docs = {}
    for module_name in package_modules():
        docs.update(public_docs(importlib.import_module(module_name)))
    # The scan reaches the package's functions, classes and methods (it cannot pass empty).
    assert {"dlbook_lib.config.seed_everything", "dlbook_lib.training.fit"} <= set(docs)
    assert any(name.count(".") == 3 for name in docs), "no method of a class was checked"
    missing = [name for name, doc in docs.items() if not doc]
    assert not missing, (f"{len(missing)} public functions, classes and methods of dlbook_lib "
                         "without a docstring:\n" + "\n".join(missing))


def test_undocumented_finds_what_lacks_a_docstring(monkeypatch):
    module = types.ModuleType("fake_module")
    monkeypatch.setitem(sys.modules, "fake_module", module)   # dataclasses look it up
    source = '''
import dataclasses
from os.path import join            # imported, not defined here: not checked

def documented():
    """Yes."""

def bare(): pass

def _private(): pass

class Base:
    """A base."""
    def run(self):
        """Runs."""

class Child(Base):                   # no docstring of its own, a base's does not count
    def run(self): pass              # overrides a documented method: fine
    def extra(self): pass
    def _hidden(self): pass
    @property
    def size(self): return 1
    @staticmethod
    def make(): pass

@dataclasses.dataclass
class Record:
    x: int
'''
    exec(compile(source, "fake_module", "exec"), module.__dict__)
    assert undocumented(module) == [
        "fake_module.Child", "fake_module.Child.extra", "fake_module.Child.make",
        "fake_module.Child.size", "fake_module.Record", "fake_module.bare"]
