"""Data sets on disk, offline first: Fashion-MNIST and scikit-learn's bundled sets.

1. **Fashion-MNIST**, the real files of the official release. Offline they come from Debian's
   package ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist``); online the loader
   downloads them into the user cache. Every file is checked against its SHA-256, and a missing
   or corrupt file is reported in plain words: fake data is never substituted.
2. **scikit-learn's bundled sets** (digits, diabetes, breast cancer, iris, wine), which ship
   inside scikit-learn and need no download, and the splits the lessons make of them.

Generated data (toy 2-D sets, sequence tasks) is in :mod:`dlbook_lib.synthetic`, text in
:mod:`dlbook_lib.text`.
"""
from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import shutil
import urllib.error
import urllib.request
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from dlbook_lib._checks import check_int, check_seed

if TYPE_CHECKING:
    import torch

__all__ = [
    "FASHION_MNIST_CLASSES",
    "SKLEARN_DATASETS",
    "ChecksumError",
    "read_idx",
    "find_fashion_mnist_dir",
    "verify_fashion_mnist",
    "download_fashion_mnist",
    "load_fashion_mnist",
    "stratified_subset_indices",
    "load_sklearn_dataset",
    "train_test_split_arrays",
    "standardise",
]

# --------------------------------------------------------------------------------------------
# 1. Fashion-MNIST
# --------------------------------------------------------------------------------------------

FASHION_MNIST_CLASSES: tuple[str, ...] = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

# SHA-256 of the *decompressed* files. Debian re-gzips the official files, so the .gz bytes
# differ from upstream's while the content is identical; hashing the content accepts both.
# Computed from Debian's dataset-fashion-mnist (upstream git 55506a9).
FASHION_MNIST_SHA256: dict[str, str] = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
_SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
FASHION_MNIST_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
SYSTEM_DATA_DIR = Path("/usr/share/datasets/fashion-mnist")
DATA_ENV_VAR = "DLBOOK_DATA"

_FIXES = (
    "Get the files one of these ways:\n"
    "  - offline, on Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist\n"
    f"  - put the four files ({', '.join(n + '.gz' for n in FASHION_MNIST_SHA256)}) in a "
    f"folder and set {DATA_ENV_VAR}=/path/to/that/folder\n"
    "  - go online and call load_fashion_mnist(download=True) or download_fashion_mnist()"
)

# IDX type code -> big-endian NumPy dtype (http://yann.lecun.com/exdb/mnist/, bottom of page).
_IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

# (resolved path, size, mtime_ns) -> SHA-256 of the decompressed content. Hashing the 47 MB
# training images costs time, so each file is hashed once per process; the comparison with
# the expected hash is still made on every load.
_SHA256_CACHE: dict[tuple[str, int, int], str] = {}


class ChecksumError(ValueError):
    """A Fashion-MNIST file whose content does not match the official release."""


def _read_bytes(path: Path) -> bytes:
    """The content of ``path``, decompressed when its name ends in ``.gz``."""
    stored = path.read_bytes()  # outside the try: a missing file stays a FileNotFoundError
    if path.suffix != ".gz":
        return stored
    try:
        return gzip.decompress(stored)
    except (OSError, EOFError, zlib.error) as err:  # BadGzipFile is an OSError
        raise ValueError(f"{path}: not a valid gzip file ({err})") from err


def _parse_idx(raw: bytes, source: str) -> np.ndarray:
    """Parse the bytes of an IDX file; ``source`` names the file in error messages."""
    if len(raw) < 4:
        raise ValueError(f"{source}: too short to be an IDX file ({len(raw)} bytes)")
    if raw[0] != 0 or raw[1] != 0:
        raise ValueError(
            f"{source}: bad IDX magic number {raw[:4].hex()} (the first two bytes must be zero)"
        )
    code, ndim = raw[2], raw[3]
    if code not in _IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in _IDX_DTYPES)
        raise ValueError(f"{source}: unknown IDX dtype code 0x{code:02X} (known: {known})")
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise ValueError(
            f"{source}: truncated IDX header: {ndim} dimensions need {header_size} bytes, "
            f"the file has {len(raw)}"
        )
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_DTYPES[code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    found = len(raw) - header_size
    if found != expected:
        problem = "truncated" if found < expected else "trailing bytes after the data"
        raise ValueError(
            f"{source}: the header declares shape {dims} of {dtype.name} ({expected} bytes) "
            f"but {found} bytes of data follow ({problem})"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header_size).reshape(dims)
    return data.astype(dtype.newbyteorder("="))  # native byte order, a writable copy


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (the format of MNIST and Fashion-MNIST), gzipped or raw.

    An IDX file is a 4-byte magic number (two zero bytes, a dtype code, the number of
    dimensions), one big-endian uint32 per dimension, then the data in C order. Dtype codes:
    0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64.

    Args:
        path: the file; a name ending in ``.gz`` is decompressed first.

    Returns:
        The array, with the shape of the header (e.g. ``(N, 28, 28)`` uint8 for images,
        ``(N,)`` for labels), in native byte order.

    Raises:
        FileNotFoundError: if the file does not exist.
        ValueError: naming the file, for a bad magic number, an unknown dtype code, a truncated
            header, a data size that does not match the header (truncated or trailing bytes),
            or a corrupt gzip stream.
    """
    path = Path(path)
    return _parse_idx(_read_bytes(path), str(path))


def _file_in(folder: Path, name: str) -> Path | None:
    """The file ``name`` (uncompressed) or ``name.gz`` inside ``folder``, if either exists."""
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _holds_fashion_mnist(folder: Path) -> bool:
    return all(_file_in(folder, name) is not None for name in FASHION_MNIST_SHA256)


def _user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/dlbook/fashion-mnist``, or ``~/.cache/dlbook/fashion-mnist``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dlbook" / "fashion-mnist"


def _candidate_dirs() -> list[Path]:
    """The folders :func:`find_fashion_mnist_dir` searches, in order."""
    folders = []
    env_dir = os.environ.get(DATA_ENV_VAR)
    if env_dir:
        folders += [Path(env_dir), Path(env_dir) / "fashion-mnist"]
    folders += [_user_cache_dir(), SYSTEM_DATA_DIR]
    return folders


def find_fashion_mnist_dir() -> Path | None:
    """Find a folder that holds the four Fashion-MNIST files, without downloading anything.

    Search order: ``$DLBOOK_DATA`` (the folder itself, then its ``fashion-mnist/`` subfolder),
    the user cache (``$XDG_CACHE_HOME`` or ``~/.cache``, then ``dlbook/fashion-mnist``), then
    ``/usr/share/datasets/fashion-mnist`` (Debian's ``dataset-fashion-mnist``). A folder counts
    when it holds all four files, each either gzipped (``.gz``) or uncompressed. Checksums are
    not checked here; :func:`load_fashion_mnist` checks them.

    Returns:
        The first folder that counts, or None when none does.
    """
    for folder in _candidate_dirs():
        if _holds_fashion_mnist(folder):
            return folder
    return None


def _content_sha256(path: Path, raw: bytes) -> str:
    """SHA-256 of ``raw`` (the decompressed content of ``path``), hashed once per process."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _SHA256_CACHE:
        _SHA256_CACHE[key] = hashlib.sha256(raw).hexdigest()
    return _SHA256_CACHE[key]


def _check_sha256(path: Path, name: str, raw: bytes) -> None:
    """Raise :class:`ChecksumError` unless ``raw`` is the official content of file ``name``."""
    expected = FASHION_MNIST_SHA256[name]
    actual = _content_sha256(path, raw)
    if actual != expected:
        raise ChecksumError(
            f"{path}: checksum mismatch, the file is corrupt or not the official "
            f"Fashion-MNIST release.\n  expected SHA-256 {expected}\n  actual   SHA-256 "
            f"{actual}\n(both of the decompressed content). Delete the file and get a good "
            f"copy: sudo apt-get install --reinstall dataset-fashion-mnist, or "
            f"download_fashion_mnist() when online."
        )


def _read_verified(folder: Path, name: str) -> np.ndarray:
    """Read Fashion-MNIST file ``name`` from ``folder`` after checking its checksum."""
    path = _file_in(folder, name)
    if path is None:
        raise FileNotFoundError(f"{folder}: no {name} or {name}.gz.\n{_FIXES}")
    raw = _read_bytes(path)
    _check_sha256(path, name, raw)
    return _parse_idx(raw, str(path))


def verify_fashion_mnist(folder: str | os.PathLike) -> None:
    """Check the SHA-256 of all four Fashion-MNIST files in ``folder``.

    Raises:
        FileNotFoundError: if a file is missing (neither ``name`` nor ``name.gz`` exists).
        ChecksumError: (a ``ValueError``) naming the file and both hashes, on a mismatch.
    """
    folder = Path(folder)
    for name in FASHION_MNIST_SHA256:
        path = _file_in(folder, name)
        if path is None:
            raise FileNotFoundError(f"{folder}: no {name} or {name}.gz.\n{_FIXES}")
        _check_sha256(path, name, _read_bytes(path))


def download_fashion_mnist(dest: Path | None = None) -> Path:
    """Download the four official Fashion-MNIST files and check their checksums.

    Files already in ``dest`` with the right content are kept. Each file is written under a
    temporary name and renamed only once its checksum is right, so an interrupted download
    never leaves a half file behind.

    Args:
        dest: the folder to write ``<name>.gz`` into; default the user cache
            (``$XDG_CACHE_HOME`` or ``~/.cache``, then ``dlbook/fashion-mnist``).

    Returns:
        The folder holding the four files.

    Raises:
        RuntimeError: if the network fails, with the ways to get the files offline.
        ChecksumError: (a ``ValueError``) if a downloaded file does not match the official
            release; a plain ``ValueError`` if it is not even a gzip file.
    """
    dest = _user_cache_dir() if dest is None else Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for name in FASHION_MNIST_SHA256:
        target = dest / f"{name}.gz"
        if target.is_file():
            try:
                _check_sha256(target, name, _read_bytes(target))
                continue  # already here and good
            except ValueError:  # a bad checksum or a broken gzip stream
                print(f"{target} is corrupt: downloading it again")
        url = f"{FASHION_MNIST_URL}{name}.gz"
        part = dest / f"{name}.part.gz"  # ends in .gz, so _read_bytes decompresses it
        print(f"downloading {url}")
        try:
            with urllib.request.urlopen(url, timeout=60) as response, open(part, "wb") as out:
                shutil.copyfileobj(response, out)
        except (OSError, http.client.HTTPException) as err:  # URLError is an OSError
            part.unlink(missing_ok=True)
            raise RuntimeError(
                f"could not download {url} ({err}).\nWithout a network:\n{_FIXES}"
            ) from err
        try:
            _check_sha256(part, name, _read_bytes(part))
        except ValueError:
            part.unlink(missing_ok=True)
            raise
        os.replace(part, target)
    return dest


def stratified_subset_indices(labels: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """Pick ``n`` indices with the classes as equally represented as possible.

    Every class gets ``n // n_classes`` indices, or all of its members when it has fewer; the
    places left over go to the other classes in the same way, and the last few single places
    go to classes drawn at random. Within a class the members are drawn at random without
    replacement. Deterministic in ``seed``.

    Args:
        labels: class labels, shape ``(N,)``.
        n: how many indices to pick, ``1 <= n <= N``.
        seed: seed of the random choice.

    Returns:
        Sorted int64 indices into ``labels``, shape ``(n,)``, no repeats.

    Raises:
        ValueError: if ``labels`` is not 1-D or ``n`` is out of range.
        TypeError: if ``n`` or ``seed`` is not an int.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-D (N,), got shape {labels.shape}")
    check_int(n, "n", minimum=1)
    check_seed(seed)
    if n > len(labels):
        raise ValueError(f"n={n} is larger than the number of labels ({len(labels)})")
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    quota = np.zeros(len(classes), dtype=np.int64)
    remaining = n
    while remaining > 0:
        open_classes = np.flatnonzero(quota < counts)  # never empty, since n <= N
        share = remaining // len(open_classes)
        if share == 0:  # fewer places than classes: one each to classes drawn at random
            quota[rng.choice(open_classes, size=remaining, replace=False)] += 1
            break
        added = np.minimum(share, counts[open_classes] - quota[open_classes])
        quota[open_classes] += added
        remaining -= int(added.sum())
    picked = [
        rng.choice(np.flatnonzero(labels == cls), size=int(k), replace=False)
        for cls, k in zip(classes, quota)
    ]
    return np.sort(np.concatenate(picked)).astype(np.int64)


def _not_found_message(reason: str) -> str:
    looked = [f"  - ${DATA_ENV_VAR} (not set)"] if not os.environ.get(DATA_ENV_VAR) else []
    looked += [f"  - {folder}" for folder in _candidate_dirs()]
    return (
        "Fashion-MNIST was not found. Looked in:\n" + "\n".join(looked) + f"\n{reason}\n{_FIXES}"
    )


def load_fashion_mnist(
    split: str = "train",
    *,
    subset: int | None = None,
    seed: int = 0,
    as_tensor: bool = False,
    flatten: bool = False,
    download: bool = True,
) -> tuple[np.ndarray, np.ndarray] | tuple[torch.Tensor, torch.Tensor]:
    """Load the Fashion-MNIST training or test set, with checksums checked.

    The folder is found by :func:`find_fashion_mnist_dir`; if none holds the files and
    ``download`` is true, they are downloaded into the user cache first. Each file's checksum
    is computed once per process.

    Args:
        split: ``"train"`` (60 000 images) or ``"test"`` (10 000 images).
        subset: if given, return only this many examples, stratified by class (as equal per
            class as possible) and deterministic in ``seed``; fast mode uses it.
        seed: seed of the subset choice.
        as_tensor: return CPU ``torch.Tensor`` objects instead of NumPy arrays.
        flatten: images as ``(N, 784)`` instead of ``(N, 1, 28, 28)``.
        download: download the files when no folder holds them.

    Returns:
        ``(images, labels)``: images float32 in ``[0, 1]``, shape ``(N, 1, 28, 28)`` or
        ``(N, 784)``; labels int64 in ``0..9`` (see :data:`FASHION_MNIST_CLASSES`), ``(N,)``.

    Raises:
        ValueError: for an unknown ``split`` or a ``subset`` out of range; a
            :class:`ChecksumError` (a ``ValueError``) for a corrupt file.
        TypeError: for a non-int ``subset`` or ``seed``.
        FileNotFoundError: if no folder holds the files and downloading is off or fails; the
            message lists where it looked and how to get the files.
    """
    if split not in _SPLIT_FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if subset is not None:
        check_int(subset, "subset", minimum=1)
    check_seed(seed)

    folder = find_fashion_mnist_dir()
    if folder is None:
        if not download:
            raise FileNotFoundError(_not_found_message("Downloading was off (download=False)."))
        try:
            folder = download_fashion_mnist()
        except RuntimeError as err:
            raise FileNotFoundError(_not_found_message(f"Downloading failed: {err}")) from err

    images_name, labels_name = _SPLIT_FILES[split]
    images = _read_verified(folder, images_name)
    labels = _read_verified(folder, labels_name)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or labels.shape != (len(images),):
        raise ValueError(
            f"{folder}: unexpected shapes images {images.shape}, labels {labels.shape}; "
            f"expected (N, 28, 28) and (N,)"
        )

    if subset is not None:
        if subset > len(labels):
            raise ValueError(f"subset={subset} is larger than the {split} set ({len(labels)})")
        keep = stratified_subset_indices(labels, subset, seed=seed)
        images, labels = images[keep], labels[keep]

    shape = (len(images), 28 * 28) if flatten else (len(images), 1, 28, 28)
    images_f = (images.astype(np.float32) / np.float32(255.0)).reshape(shape)
    labels_i = labels.astype(np.int64)
    if as_tensor:
        import torch

        return torch.from_numpy(images_f), torch.from_numpy(labels_i)
    return images_f, labels_i


# --------------------------------------------------------------------------------------------
# 2. scikit-learn's bundled sets
# --------------------------------------------------------------------------------------------

SKLEARN_DATASETS: tuple[str, ...] = ("digits", "diabetes", "breast_cancer", "iris", "wine")


def load_sklearn_dataset(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Load one of the small datasets that ship inside scikit-learn (no download).

    ``digits``: 8x8 handwritten digits, X ``(1797, 64)`` (pixel values 0..16), y ``(1797,)``.
    ``diabetes``: regression, X ``(442, 10)``, y ``(442,)`` float. ``breast_cancer``: binary,
    X ``(569, 30)``. ``iris``: 3 classes, X ``(150, 4)``. ``wine``: 3 classes, X ``(178, 13)``.

    Returns:
        ``(X, y)``: X float64 ``(N, D)``; y as scikit-learn provides it (int classes, or float
        targets for diabetes), ``(N,)``.

    Raises:
        ValueError: for an unknown name, listing the valid ones.
    """
    if name not in SKLEARN_DATASETS:
        raise ValueError(f"unknown dataset {name!r}; valid names: {', '.join(SKLEARN_DATASETS)}")
    from sklearn import datasets

    X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    return np.asarray(X, dtype=np.float64), np.asarray(y)


def train_test_split_arrays(
    X: np.ndarray,
    y: np.ndarray,
    test_fraction: float = 0.3,
    *,
    seed: int = 0,
    stratify: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle and split ``(X, y)`` into a training and a test part (wraps scikit-learn's).

    Args:
        X: inputs, shape ``(N, ...)``.
        y: targets, shape ``(N,)`` or ``(N, ...)``.
        test_fraction: share of the examples that go to the test part, in ``(0, 1)``; the test
            part gets ``ceil(test_fraction * N)`` examples.
        seed: seed of the shuffle.
        stratify: keep the class proportions of ``y`` in both parts.

    Returns:
        ``X_train, X_test, y_train, y_test``.

    Raises:
        ValueError: if X and y differ in length, ``test_fraction`` is outside ``(0, 1)`` or
            leaves a part empty, or (with ``stratify``) a class has fewer than 2 members.
    """
    from sklearn.model_selection import train_test_split

    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0 or len(X) != len(y):
        raise ValueError(f"X and y must have the same length, got shapes {X.shape} and {y.shape}")
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, (int, float)):
        raise TypeError(f"test_fraction must be a float, got {type(test_fraction).__name__}")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    n_test = int(np.ceil(test_fraction * len(X)))
    if n_test >= len(X):
        raise ValueError(
            f"test_fraction={test_fraction} of {len(X)} examples leaves no training examples"
        )
    check_seed(seed)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_fraction, random_state=seed, stratify=y if stratify else None
    )
    return X_train, X_test, y_train, y_test


def standardise(X_fit: np.ndarray, *X_others: np.ndarray) -> list[np.ndarray]:
    """Standardise features with the statistics of the training part only.

    Each column becomes ``(X - mean) / std`` with ``mean`` and ``std`` (population std,
    NumPy's default) of ``X_fit``, so no information leaks from the validation or test part
    into training. A column that is constant in ``X_fit`` (a pixel that is 0 in every
    training image) is only centred: nothing is divided by zero.

    Args:
        X_fit: the training part, shape ``(N, D)``, floats or integers.
        X_others: further parts to transform the same way, each ``(M, D)``.

    Returns:
        ``[X_fit_std, *X_others_std]``, float64 arrays of the same shapes.

    Raises:
        TypeError: if a part is not a real numeric array.
        ValueError: if ``X_fit`` is not 2-D or empty, or a part has another number of columns.
    """
    parts = []
    for k, X in enumerate((X_fit, *X_others)):
        name = "X_fit" if k == 0 else f"X_others[{k - 1}]"
        X = np.asarray(X)
        if X.dtype.kind not in "fiu":
            raise TypeError(f"{name} must be a real numeric array, got dtype {X.dtype}")
        if X.ndim != 2:
            raise ValueError(f"{name} must be 2-D (N, D), got shape {X.shape}")
        if parts and X.shape[1] != parts[0].shape[1]:
            raise ValueError(
                f"{name} has {X.shape[1]} columns but X_fit has {parts[0].shape[1]}"
            )
        parts.append(X.astype(np.float64))
    if len(parts[0]) == 0:
        raise ValueError("X_fit is empty: there are no statistics to standardise with")
    mean, std = parts[0].mean(axis=0), parts[0].std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return [(X - mean) / std for X in parts]

