"""Sphinx extension: the book's citation style, author-year in round brackets.

sphinxcontrib-bibtex's `author_year` style writes "Rumelhart et al. [1986]"; this registers
`author_year_round`, the same style with round brackets: {cite:t} gives "Rumelhart et al.
(1986)" and {cite:p} gives "(Rumelhart et al., 1986)". `_config.yml` selects it with
`bibtex_reference_style`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sphinxcontrib.bibtex.plugin
from sphinx.application import Sphinx
from sphinxcontrib.bibtex.style.referencing import BracketStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle

STYLE_NAME = "author_year_round"


def _round() -> BracketStyle:
    return BracketStyle(left="(", right=")")


@dataclass
class RoundAuthorYearStyle(AuthorYearReferenceStyle):
    """Author-year references in round brackets, for textual and parenthetical citations."""

    bracket_parenthetical: BracketStyle = field(default_factory=_round)
    bracket_textual: BracketStyle = field(default_factory=_round)
    bracket_author: BracketStyle = field(default_factory=_round)
    bracket_label: BracketStyle = field(default_factory=_round)
    bracket_year: BracketStyle = field(default_factory=_round)


def setup(app: Sphinx) -> dict:
    sphinxcontrib.bibtex.plugin.register_plugin(
        "sphinxcontrib.bibtex.style.referencing", STYLE_NAME, RoundAuthorYearStyle,
        force=True)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
