"""Tests for dlbook_lib.text: the stdlib corpus, the character vocabulary, sampling."""
from __future__ import annotations

import sysconfig
from pathlib import Path

import numpy as np
import pytest

from dlbook_lib import text
from dlbook_lib.text import (
    STDLIB_CORPUS_MODULES,
    CharVocab,
    make_char_sequences,
    python_stdlib_corpus,
    stdlib_corpus_files,
)


# --------------------------------------------------------------------------------------------
# The stdlib corpus
# --------------------------------------------------------------------------------------------
def test_default_modules_are_sorted_and_present():
    assert list(STDLIB_CORPUS_MODULES) == sorted(STDLIB_CORPUS_MODULES)
    files = stdlib_corpus_files()
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    assert all(f.is_file() and stdlib in f.parents for f in files)
    assert len(files) == len(set(files))


def test_corpus_is_the_files_joined_in_order():
    modules = ("textwrap", "json")  # order as given: a file, then a package
    files = stdlib_corpus_files(modules)
    assert files[0].name == "textwrap.py"
    assert files[1].name == "__init__.py" and files[1].parent.name == "json"
    rel = [f.relative_to(files[1].parent).as_posix() for f in files[1:]]
    assert rel == sorted(rel)
    text = python_stdlib_corpus(modules=modules)
    assert text == "\n".join(f.read_text(encoding="utf-8") for f in files)
    assert "def dedent(" in text and "class JSONDecoder" in text


def test_default_corpus_size_and_determinism():
    text = python_stdlib_corpus()
    assert 1_000_000 < len(text) < 3_000_000
    assert text == python_stdlib_corpus()


@pytest.mark.parametrize("max_chars", [1, 10, 12345, 23000, 500_000])
def test_max_chars_is_a_prefix_of_the_whole_corpus(max_chars):
    modules = ("textwrap", "json", "heapq")
    whole = python_stdlib_corpus(modules=modules)
    assert python_stdlib_corpus(max_chars, modules=modules) == whole[:max_chars]


def test_max_chars_exactly_at_a_file_boundary():
    modules = ("textwrap", "json")
    first_file = stdlib_corpus_files(modules)[0].read_text(encoding="utf-8")
    whole = python_stdlib_corpus(modules=modules)
    for cut in (len(first_file), len(first_file) + 1, len(first_file) + 2):
        assert python_stdlib_corpus(cut, modules=modules) == whole[:cut]


def test_corpus_errors():
    with pytest.raises(FileNotFoundError, match="module 'no_such_module' is not in the standard"):
        python_stdlib_corpus(modules=("json", "no_such_module"))
    with pytest.raises(ValueError, match="modules is empty"):
        python_stdlib_corpus(modules=())
    with pytest.raises(TypeError, match="list or tuple of module names"):
        python_stdlib_corpus(modules="json")
    with pytest.raises(ValueError, match=r"modules repeats \['json'\]"):
        python_stdlib_corpus(modules=("json", "csv", "json"))
    with pytest.raises(ValueError, match="max_chars must be >= 1"):
        python_stdlib_corpus(0)
    with pytest.raises(TypeError, match="max_chars must be an int"):
        python_stdlib_corpus(1e6)


def test_missing_stdlib_folder_is_reported(monkeypatch, tmp_path):
    monkeypatch.setattr(
        text.sysconfig, "get_paths", lambda: {"stdlib": str(tmp_path / "nowhere")}
    )
    with pytest.raises(FileNotFoundError, match="does not exist"):
        python_stdlib_corpus()


# --------------------------------------------------------------------------------------------
# Vocabulary and windows
# --------------------------------------------------------------------------------------------
def test_char_vocab_round_trip():
    text = "def f(x):\n    return x ± 1  # ß\n"
    vocab = CharVocab(text)
    assert vocab.chars == sorted(set(text)) and len(vocab) == vocab.size == len(set(text))
    ids = vocab.encode(text)
    assert ids.dtype == np.int64 and ids.shape == (len(text),)
    assert vocab.decode(ids) == text
    assert vocab.decode(list(ids)) == text
    assert [vocab.chars[i] for i in ids] == list(text)
    assert vocab.encode("").shape == (0,) and vocab.decode([]) == ""
    assert repr(vocab) == f"CharVocab(size={vocab.size})"


def test_char_vocab_decodes_tensors():
    torch = pytest.importorskip("torch")
    vocab = CharVocab("abc")
    assert vocab.decode(torch.tensor([2, 0, 1])) == "cab"


def test_char_vocab_errors():
    vocab = CharVocab("abc")
    with pytest.raises(ValueError, match=r"2 character\(s\) are not in the vocabulary: 'd''z'"):
        vocab.encode("abzd")
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 3\)"):
        vocab.decode([0, 3])
    with pytest.raises(TypeError, match="ids must be integers"):
        vocab.decode(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="ids must be 1-D"):
        vocab.decode(np.zeros((2, 2), dtype=int))
    with pytest.raises(ValueError, match="text is empty"):
        CharVocab("")
    with pytest.raises(TypeError, match="text must be a str"):
        CharVocab(b"abc")
    with pytest.raises(TypeError, match="text must be a str"):
        vocab.encode(["a"])


@pytest.mark.parametrize("L,length,stride", [(11, 10, None), (25, 4, None), (25, 4, 1), (30, 5, 3)])
def test_make_char_sequences(L, length, stride):
    ids = np.arange(L) * 7  # distinct values, so shifts are visible
    X, Y = make_char_sequences(ids, length, stride=stride)
    step = length if stride is None else stride
    M = (L - 1 - length) // step + 1
    assert X.shape == Y.shape == (M, length) and X.dtype == Y.dtype == np.int64
    for m in range(M):
        start = m * step
        np.testing.assert_array_equal(X[m], ids[start : start + length])
        np.testing.assert_array_equal(Y[m], ids[start + 1 : start + length + 1])
    # No window reads past the end.
    assert (M - 1) * step + length + 1 <= L


def test_make_char_sequences_errors():
    with pytest.raises(ValueError, match="too few for one window of length 10"):
        make_char_sequences(np.arange(10), 10)
    with pytest.raises(TypeError, match="ids must be integers"):
        make_char_sequences(np.zeros(20), 5)
    with pytest.raises(ValueError, match="ids must be 1-D"):
        make_char_sequences(np.zeros((4, 5), dtype=int), 2)
    with pytest.raises(ValueError, match="stride must be >= 1"):
        make_char_sequences(np.arange(20), 5, stride=0)
