"""Pointers between lessons in the lessons' text (markdown cells of the notebooks, and the .md
pages of the book).

A pointer to a lesson that is written (listed in _toc.yml) must be a link the build checks,
{doc}`lesson 1.10 </chapters/part1_foundations/1_10_backpropagation>`, whose text names the
lesson it points to. A pointer to a lesson not yet written stays plain text ("lesson 4.2"); the
tests list those and check that each names a lesson of the curriculum, so that a typo fails and
each pointer is found when its lesson lands (the first test then fails until it is a link).

`python tests/test_cross_references.py` prints the pointers to unwritten lessons.
"""
from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CURRICULUM_MD = ROOT.parent / "shared" / "CURRICULUM.md"

# The curriculum's lessons: how many each part has (../shared/CURRICULUM.md, checked against
# it below when that file is there; a fresh clone has only this copy).
CURRICULUM_PARTS = {1: 11, 2: 3, 3: 5, 4: 8, 5: 8, 6: 10}
CURRICULUM = {f"{part}.{n}" for part, count in CURRICULUM_PARTS.items()
              for n in range(1, count + 1)}

NUMBER = r"\d+\.\d+"
LINK = "\x00LINK\x00"  # stands for a {doc}/{ref} link inside a list "lessons 1.10, 4.2 and 4.3"
ITEM = rf"(?:{NUMBER}|{LINK})"
SEPARATOR = r"(?:\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or|to)\s+)"
POINTER = re.compile(rf"\blessons?\s+({ITEM}(?:{SEPARATOR}{ITEM})*)", re.IGNORECASE)
# A MyST role: {name}`text` or {name}`text <target>`.
ROLE = re.compile(r"\{(?P<name>[a-z:]+)\}`(?P<body>[^`]*)`")
CODE = re.compile(r"``?[^`]+``?")


def _toc_files(node) -> list[str]:
    if isinstance(node, dict):
        return ([node["file"]] if "file" in node else []) + [
            f for value in node.values() for f in _toc_files(value)]
    if isinstance(node, list):
        return [f for item in node for f in _toc_files(item)]
    return []


TOC = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
TOC_FILES = [TOC["root"], *_toc_files(TOC.get("parts", []))]


def lesson_number(docname: str) -> str | None:
    """'chapters/part1_foundations/1_10_backpropagation' -> '1.10'; None for other pages."""
    match = re.fullmatch(r"chapters/part\d+_[a-z0-9_]+/(\d+)_(\d+)_[a-z0-9_]+", docname)
    return f"{int(match[1])}.{int(match[2])}" if match else None


WRITTEN = {n: doc for doc in TOC_FILES if (n := lesson_number(doc))}


@dataclass(frozen=True)
class Pointer:
    page: str     # the page's file, relative to the repository
    cell: int     # markdown cell index (0 for a .md page)
    number: str   # the lesson pointed to, "4.2"
    text: str     # the pointer as written, "lessons 4.2 and 4.3"

    def __str__(self) -> str:
        return f"{self.page} (cell {self.cell}): {self.number!r} in {self.text!r}"


def markdown_sources() -> list[tuple[str, int, str]]:
    """(page, cell index, markdown) for every markdown cell and .md page the book builds."""
    sources = []
    for entry in TOC_FILES:
        notebook, page = ROOT / f"{entry}.ipynb", ROOT / f"{entry}.md"
        if notebook.is_file():
            cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
            sources += [(notebook.relative_to(ROOT).as_posix(), i, "".join(cell["source"]))
                        for i, cell in enumerate(cells) if cell["cell_type"] == "markdown"]
        elif page.is_file():
            sources.append((page.relative_to(ROOT).as_posix(), 0, page.read_text("utf-8")))
    return sources


def _numbers(items: str) -> list[str]:
    """The lesson numbers of a pointer's list; 'a to b' within a part includes those between."""
    numbers: list[str] = []
    tokens = re.findall(rf"{NUMBER}|{LINK}|\bto\b", items)
    for i, token in enumerate(tokens):
        if token == "to" and 0 < i < len(tokens) - 1 and LINK not in (tokens[i - 1], tokens[i + 1]):
            (pa, a), (pb, b) = (map(int, t.split(".")) for t in (tokens[i - 1], tokens[i + 1]))
            if pa == pb:
                numbers += [f"{pa}.{n}" for n in range(a + 1, b)]
        elif token not in ("to", LINK):
            numbers.append(token)
    return numbers


def _links(text: str) -> list[tuple[str, str]]:
    """(link text, target) of every {doc} link in `text`."""
    links = []
    for role in ROLE.finditer(text):
        if role["name"] == "doc":
            match = re.fullmatch(r"(?s)(.*?)\s*<([^>]+)>", role["body"])
            label, target = (match[1], match[2]) if match else (role["body"], role["body"])
            links.append((" ".join(label.split()), target.strip()))
    return links


def plain_pointers() -> list[Pointer]:
    """Every pointer 'lesson N.M' written as plain text (not inside a role or code)."""
    pointers = []
    for page, cell, text in markdown_sources():
        text = ROLE.sub(lambda m: LINK if m["name"] in ("doc", "ref") else " ", text)
        text = CODE.sub(" ", text)
        for match in POINTER.finditer(text):
            written = " ".join(match[0].replace(LINK, "<link>").split())
            pointers += [Pointer(page, cell, n, written) for n in _numbers(match[1])]
    return pointers


def _resolve_doc(page: str, target: str) -> str:
    """A {doc} target as a docname relative to the book's root."""
    if target.startswith("/"):
        return target.lstrip("/")
    return (Path(page).parent / target).as_posix()


def test_pointers_to_written_lessons_are_links():
    stale = [p for p in plain_pointers() if p.number in WRITTEN]
    assert not stale, (
        "these pointers name a lesson that is written; make each a link, e.g. "
        "{doc}`lesson 1.10 </chapters/part1_foundations/1_10_backpropagation>`:\n"
        + "\n".join(f"  {p} -> /{WRITTEN[p.number]}" for p in stale))


def test_pointers_to_unwritten_lessons_name_curriculum_lessons():
    unknown = [p for p in plain_pointers() if p.number not in CURRICULUM]
    assert not unknown, ("these pointers name no lesson of the curriculum "
                         "(../shared/CURRICULUM.md):\n" + "\n".join(f"  {p}" for p in unknown))


def test_list_of_pointers_to_unwritten_lessons():
    """Records (prints, see `pytest -rP`) where the book points to lessons not yet written."""
    pointers = [p for p in plain_pointers() if p.number not in WRITTEN]
    print(report(pointers))
    assert all(p.number in CURRICULUM for p in pointers)


def test_lesson_links_name_the_lesson_they_lead_to():
    wrong = []
    for page, cell, text in markdown_sources():
        for label, target in _links(text):
            docname = _resolve_doc(page, target)
            number = lesson_number(docname)
            named = re.findall(NUMBER, label)
            if number is None:
                if named and re.search(r"\blesson", label, re.IGNORECASE):
                    wrong.append(f"{page} (cell {cell}): {label!r} leads to {docname}, "
                                 "which is not a lesson")
                continue
            if named != [number]:
                wrong.append(f"{page} (cell {cell}): {label!r} leads to lesson {number} "
                             f"({docname})")
    assert not wrong, "links whose text does not name their lesson:\n" + "\n".join(wrong)


def test_pointer_patterns():
    """The scanner finds pointers in their usual forms and skips links."""
    def found(text):
        text = ROLE.sub(lambda m: LINK if m["name"] in ("doc", "ref") else " ", text)
        return [n for m in POINTER.finditer(text) for n in _numbers(m[1])]

    assert found("as lesson 4.3 shows") == ["4.3"]
    assert found("Lesson 5.2 ended") == ["5.2"]
    assert found("lessons 1.10, 4.2 and 4.3") == ["1.10", "4.2", "4.3"]
    assert found("Lessons 1.6\nto 1.8 built") == ["1.6", "1.7", "1.8"]
    assert found("(lesson 4.6's ResNet)") == ["4.6"]
    assert found("lessons {doc}`1.10 <x>`, 4.2 and 4.3") == ["4.2", "4.3"]
    assert found("{doc}`lesson 1.10 </chapters/part1_foundations/1_10_backpropagation>`") == []
    assert found("exercise 1.3 and Part 2") == []


@pytest.mark.skipif(not CURRICULUM_MD.is_file(), reason="../shared/CURRICULUM.md not here")
def test_curriculum_copy_matches_curriculum_md():
    rows = re.findall(r"^\|\s*(\d+\.\d+)\s*\|", CURRICULUM_MD.read_text("utf-8"), re.MULTILINE)
    assert set(rows) == CURRICULUM, "update CURRICULUM_PARTS to ../shared/CURRICULUM.md"


def test_written_lessons_are_curriculum_lessons():
    assert WRITTEN and set(WRITTEN) <= CURRICULUM


def report(pointers: list[Pointer]) -> str:
    by_number: dict[str, list[Pointer]] = {}
    for p in pointers:
        by_number.setdefault(p.number, []).append(p)
    lines = [f"{len(pointers)} pointers to {len(by_number)} unwritten lessons:"]
    for number in sorted(by_number, key=lambda n: tuple(map(int, n.split(".")))):
        pages = sorted({f"{Path(p.page).stem} (cell {p.cell})" for p in by_number[number]})
        lines.append(f"  lesson {number}: " + ", ".join(pages))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(print(report([p for p in plain_pointers() if p.number not in WRITTEN])))
