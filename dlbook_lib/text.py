"""Text for the sequence lessons: a character corpus every Python has, offline, and sampling.

* :func:`python_stdlib_corpus`: the source code of a fixed list of standard-library modules;
* :class:`CharVocab`: characters <-> integer ids;
* :func:`make_char_sequences`: cut a long id sequence into (input, next-character target)
  pairs for a character-level language model;
* :func:`sample_text`: continue a prompt with a trained character model, at a temperature.
"""
from __future__ import annotations

import sysconfig
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dlbook_lib._checks import check_int, check_number, check_seed, untensor

__all__ = [
    "STDLIB_CORPUS_MODULES",
    "stdlib_corpus_files",
    "python_stdlib_corpus",
    "CharVocab",
    "make_char_sequences",
    "sample_text",
]


STDLIB_CORPUS_MODULES: tuple[str, ...] = (
    "argparse", "ast", "calendar", "configparser", "csv", "dataclasses", "difflib", "email",
    "enum", "fractions", "functools", "heapq", "inspect", "json", "logging", "pprint",
    "random", "shutil", "statistics", "string", "subprocess", "tarfile", "textwrap",
    "threading", "typing",
)
"""The default modules of :func:`python_stdlib_corpus`, sorted: pure-Python modules that exist
as a single ``.py`` file or as the same package from Python 3.9 to 3.13 (about 1.9 million
characters on Python 3.11)."""


def _stdlib_dir() -> Path:
    folder = Path(sysconfig.get_paths()["stdlib"])
    if not folder.is_dir():
        raise FileNotFoundError(
            f"the standard library folder {str(folder)!r} (sysconfig's 'stdlib' path) does not "
            "exist, so there is no source code to read"
        )
    return folder


def stdlib_corpus_files(modules: Sequence[str] = STDLIB_CORPUS_MODULES) -> list[Path]:
    """The source files that :func:`python_stdlib_corpus` reads, in order.

    A module ``name`` is the file ``<stdlib>/name.py`` when it exists, else every ``.py``
    file of the package folder ``<stdlib>/name/`` (sub-folders included), sorted by their
    path inside the package. Modules keep the order given.

    Args:
        modules: module names, e.g. ``("json", "textwrap")``; no duplicates.

    Returns:
        Absolute paths of the files.

    Raises:
        TypeError: if ``modules`` is not a sequence of strings.
        ValueError: if it is empty or repeats a module.
        FileNotFoundError: if a module is neither a ``.py`` file nor a package folder of this
            Python's standard library (some Linux distributions ship parts of it separately).
    """
    if isinstance(modules, (str, bytes)) or not isinstance(modules, Sequence):
        raise TypeError(
            f"modules must be a list or tuple of module names, got {type(modules).__name__}"
        )
    if len(modules) == 0:
        raise ValueError("modules is empty: name at least one standard-library module")
    for name in modules:
        if not isinstance(name, str):
            raise TypeError(f"module names must be strings, got {name!r}")
    repeated = sorted({name for i, name in enumerate(modules) if name in modules[:i]})
    if repeated:
        raise ValueError(f"modules repeats {repeated}")
    stdlib = _stdlib_dir()
    files: list[Path] = []
    for name in modules:
        single = stdlib / f"{name}.py"
        package = stdlib / name
        if single.is_file():
            files.append(single)
        elif (package / "__init__.py").is_file():
            files += sorted(package.rglob("*.py"), key=lambda p: p.relative_to(package).as_posix())
        else:
            raise FileNotFoundError(
                f"module {name!r} is not in the standard library at {str(stdlib)!r} (looked for "
                f"{single.name} and {name}/__init__.py). Pick modules that this Python has."
            )
    return files


def python_stdlib_corpus(
    max_chars: int | None = None, *, modules: Sequence[str] = STDLIB_CORPUS_MODULES
) -> str:
    """Text for character-level models: the source code of standard-library modules.

    Every Python installation carries its standard library's ``.py`` files, so this corpus
    needs no download. The files (see :func:`stdlib_corpus_files`) are read as UTF-8, in a
    fixed order, and joined with a newline. The text is therefore the same on every machine
    with the same Python version; another Python version (3.12 instead of 3.11, sometimes a
    patch release) ships slightly different sources and gives a slightly different corpus.

    Args:
        max_chars: keep only the first ``max_chars`` characters (>= 1); None keeps all.
        modules: the modules to read; default :data:`STDLIB_CORPUS_MODULES`.

    Returns:
        The text, a ``str``.

    Raises:
        TypeError, ValueError, FileNotFoundError: as :func:`stdlib_corpus_files`, and for a
            ``max_chars`` that is not an int >= 1.
    """
    if max_chars is not None:
        max_chars = check_int(max_chars, "max_chars", minimum=1)
    parts: list[str] = []
    total = 0
    for path in stdlib_corpus_files(modules):
        text = path.read_text(encoding="utf-8")
        parts.append(text)
        total += len(text) + (1 if len(parts) > 1 else 0)  # the length of the joined text
        if max_chars is not None and total >= max_chars:
            break  # enough text: do not read the remaining files
    corpus = "\n".join(parts)
    return corpus if max_chars is None else corpus[:max_chars]


class CharVocab:
    """A character vocabulary: each distinct character of a text gets an integer id.

    Ids follow the sorted order of the characters, so the same text always gives the same
    vocabulary.

    Example::

        vocab = CharVocab(text)
        ids = vocab.encode("def f(x):")      # int64 array (9,)
        vocab.decode(ids) == "def f(x):"     # True

    Args:
        text: the text whose characters make up the vocabulary (usually the whole corpus,
            so that held-out text has no unknown characters).

    Attributes:
        chars: the characters, index = id.
        size: number of characters ``V``.

    Raises:
        TypeError: if ``text`` is not a string.
        ValueError: if ``text`` is empty.
    """

    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        if not text:
            raise ValueError("text is empty: there are no characters to build a vocabulary from")
        self.chars: list[str] = sorted(set(text))
        self.size = len(self.chars)
        self._codes = np.array([ord(c) for c in self.chars], dtype=np.int64)  # sorted

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return f"CharVocab(size={self.size})"

    def encode(self, text: str) -> np.ndarray:
        """Ids of the characters of ``text``: int64 array of shape ``(len(text),)``.

        Raises:
            TypeError: if ``text`` is not a string.
            ValueError: if ``text`` has characters that are not in the vocabulary (named in
                the message).
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        if not text:
            return np.zeros(0, dtype=np.int64)
        codes = np.frombuffer(text.encode("utf-32-le"), dtype="<u4").astype(np.int64)
        ids = np.searchsorted(self._codes, codes)
        ids_clipped = np.minimum(ids, self.size - 1)
        unknown = self._codes[ids_clipped] != codes
        if unknown.any():
            missing = sorted({chr(c) for c in codes[unknown]})
            raise ValueError(
                f"{len(missing)} character(s) are not in the vocabulary: "
                f"{''.join(repr(c) for c in missing[:10])}"
                + (" ..." if len(missing) > 10 else "")
                + ". Build the vocabulary from a text that contains them."
            )
        return ids_clipped

    def decode(self, ids: Any) -> str:
        """The text for a sequence of ids, shape ``(L,)`` (a list, NumPy array or tensor).

        Raises:
            TypeError: if the ids are not integers.
            ValueError: if they are not 1-D or an id is outside ``[0, size)``.
        """
        ids = np.asarray(untensor(ids))
        if ids.size == 0:
            return ""
        if not np.issubdtype(ids.dtype, np.integer):
            raise TypeError(f"ids must be integers, got dtype {ids.dtype}")
        if ids.ndim != 1:
            raise ValueError(f"ids must be 1-D (L,), got shape {ids.shape}")
        if ids.min() < 0 or ids.max() >= self.size:
            raise ValueError(
                f"ids must lie in [0, {self.size}), got values from {ids.min()} to {ids.max()}"
            )
        return "".join(self.chars[i] for i in ids.tolist())


def make_char_sequences(
    ids: Any, length: int, *, stride: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Cut a long id sequence into training pairs for next-character prediction.

    Window ``m`` starts at ``m * stride``; its input is ``ids[start : start + length]`` and
    its target the same window shifted by one character, ``ids[start + 1 : start + length +
    1]``, so ``targets[m, t]`` is the character that follows ``inputs[m, t]``. Characters
    after the last full window are left out.

    Args:
        ids: encoded text, shape ``(L,)``, integers (e.g. from :meth:`CharVocab.encode`).
        length: characters per window ``T``, >= 1.
        stride: distance between window starts, >= 1; default ``length`` (windows that do
            not overlap).

    Returns:
        ``(inputs, targets)``, int64 arrays of shape ``(M, length)`` with
        ``M = (L - 1 - length) // stride + 1``.

    Raises:
        TypeError: if ``ids`` is not an integer array or ``length``/``stride`` not ints.
        ValueError: if ``ids`` is not 1-D or is shorter than ``length + 1``.
    """
    length = check_int(length, "length", minimum=1)
    stride = length if stride is None else check_int(stride, "stride", minimum=1)
    ids = np.asarray(ids)
    if not np.issubdtype(ids.dtype, np.integer):
        raise TypeError(f"ids must be integers, got dtype {ids.dtype}")
    if ids.ndim != 1:
        raise ValueError(f"ids must be 1-D (L,), got shape {ids.shape}")
    if len(ids) < length + 1:
        raise ValueError(
            f"ids has {len(ids)} characters, too few for one window of length {length} plus "
            "its next-character target; use a shorter length or more text"
        )
    count = (len(ids) - 1 - length) // stride + 1
    starts = np.arange(count) * stride
    window = starts[:, None] + np.arange(length)[None, :]
    ids = ids.astype(np.int64)
    return ids[window], ids[window + 1]


def sample_text(
    model: Any,
    vocab: CharVocab,
    prompt: str,
    n_chars: int,
    *,
    temperature: float,
    seed: int = 0,
) -> str:
    """Continue ``prompt`` by ``n_chars`` characters drawn from a character model.

    The model reads ids of shape ``(N, T)`` and is called as
    ``model(ids, state, return_state=True) -> (scores (N, T, V), state)`` (``state=None``
    at the start), the interface of the book's character LSTM. Each next character is drawn
    from ``softmax(scores / temperature)``: below 1 the likely characters get likelier (safer,
    more repetitive text), above 1 the distribution flattens. The draws use a CPU generator
    seeded with ``seed``, so the same model gives the same text on every device.

    Args:
        model: a ``torch.nn.Module`` with the interface above (put in eval mode here).
        vocab: the :class:`CharVocab` the model was trained with.
        prompt: the start of the text, >= 1 character, every one in ``vocab``.
        n_chars: characters to draw, >= 1.
        temperature: > 0.
        seed: seed of the draws.

    Returns:
        ``prompt`` followed by the drawn characters.

    Raises:
        TypeError / ValueError: for a bad argument, an empty prompt or a prompt character the
            vocabulary does not know (from :meth:`CharVocab.encode`).
    """
    import torch
    import torch.nn.functional as F

    if not isinstance(vocab, CharVocab):
        raise TypeError(f"vocab must be a CharVocab, got {type(vocab).__name__}")
    if not isinstance(prompt, str) or not prompt:
        raise ValueError("prompt must be a non-empty string")
    n_chars = check_int(n_chars, "n_chars", minimum=1)
    temperature = check_number(temperature, "temperature", positive=True)
    generator = torch.Generator().manual_seed(check_seed(seed))
    device = next(model.parameters()).device
    model.eval()
    drawn = []
    with torch.no_grad():
        ids = torch.from_numpy(vocab.encode(prompt))[None].to(device)
        scores, state = model(ids, None, return_state=True)
        for _ in range(n_chars):
            probs = F.softmax(scores[0, -1].double().cpu() / temperature, dim=-1)
            next_id = torch.multinomial(probs, 1, generator=generator)
            drawn.append(int(next_id))
            scores, state = model(next_id.view(1, 1).to(device), state, return_state=True)
    return prompt + vocab.decode(drawn)
