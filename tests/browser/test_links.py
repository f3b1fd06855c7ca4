"""The book's cross-references in a real browser: on a built lesson page, a citation leads to
its entry in the bibliography, a glossary term to its entry in the glossary (and that entry
back to the lesson), and a link to another lesson to that lesson's page."""
from __future__ import annotations

import re
from urllib.parse import urldefrag, urljoin

import pytest

from .test_book_pages import open_page

pytestmark = pytest.mark.browser

LENET = "chapters/part4_cnn/4_04_lenet.html"


@pytest.fixture()
def lenet_page(browser, book_url):
    context, page, log = open_page(browser, f"{book_url}/{LENET}")
    yield page, log
    context.close()


def _follow(page, link) -> tuple[str, str]:
    """Go where `link` points; return (the page's URL without fragment, the fragment)."""
    href = link.get_attribute("href")
    assert href, "link without href"
    url, fragment = urldefrag(urljoin(page.url, href))
    response = page.goto(url, wait_until="load")
    assert response is not None and response.ok, f"{url}: HTTP {response and response.status}"
    return url, fragment


def test_citation_leads_to_its_bibliography_entry(lenet_page):
    page, log = lenet_page
    citation = page.locator("span.bibtex-citation a").first
    surname = citation.locator("xpath=..").inner_text().strip("(").split()[0]  # "(LeCun et al."
    url, fragment = _follow(page, citation)
    assert url.endswith("/appendix/bibliography.html")
    entry = page.locator(f'[id="{fragment}"]')
    assert entry.count() == 1, f"no element #{fragment} on the bibliography page"
    assert entry.get_attribute("role") == "doc-biblioentry"
    assert surname in entry.inner_text(), f"#{fragment} is not the entry of {surname}"
    assert not log.errors, f"page errors: {log.errors}"


def test_glossary_term_leads_to_its_entry_and_back(lenet_page):
    page, _ = lenet_page
    term = page.locator('a[href*="glossary.html#term-"]').first
    word = term.inner_text().strip()
    url, fragment = _follow(page, term)
    assert url.endswith("/appendix/glossary.html")
    entry = page.locator(f'dl.glossary > dt[id="{fragment}"]')
    assert entry.count() == 1, f"no glossary entry #{fragment}"
    assert entry.inner_text().strip().lower().startswith(word.lower())
    # The entry's definition links back to the lesson that introduces the term.
    definition = entry.locator("xpath=following-sibling::dd[1]")
    back = definition.locator("a.reference.internal", has_text=re.compile(r"lesson 4\.4"))
    assert back.count() == 1, "the glossary entry does not link back to lesson 4.4"
    url, _ = _follow(page, back)
    assert url.endswith("/" + LENET)


def test_lesson_link_leads_to_the_other_lesson(lenet_page):
    page, _ = lenet_page
    link = page.locator("a.reference.internal:has(span.doc)",
                        has_text=re.compile(r"^lesson \d+\.\d+$", re.IGNORECASE)).first
    number = link.inner_text().split()[-1]  # "1.10"
    part, lesson = number.split(".")
    url, _ = _follow(page, link)
    assert re.search(rf"/{part}_{int(lesson):02d}_[a-z0-9_]+\.html$", url), url
    assert page.locator("h1").first.inner_text().startswith(number + " ")


def test_lesson_lists_its_references(lenet_page):
    page, _ = lenet_page
    section = page.locator("section#references")
    assert section.count() == 1
    items = section.locator("li")
    assert items.count() >= 5, "the References section lists fewer works than the lesson cites"
    assert "Gradient-based learning applied to document recognition" in section.inner_text()
