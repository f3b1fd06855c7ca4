"""Tests of dlbook_lib.datasets: IDX parsing, Fashion-MNIST search/checksums/loading, and
scikit-learn sets."""
from __future__ import annotations

import gzip
import hashlib
import io
import os
import struct
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from dlbook_lib import datasets as data

# ---------------------------------------------------------------------------- helpers


def idx_bytes(array: np.ndarray, code: int) -> bytes:
    """Encode ``array`` as an IDX file by hand (independently of the parser under test)."""
    big_endian = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(big_endian[code]).tobytes()


def write_fake_fashion_mnist(folder: Path, *, n_train: int = 20, n_test: int = 10) -> dict:
    """Write four small, valid IDX files under the official names (gzipped) into ``folder``.

    Returns the SHA-256 table of their decompressed content, to monkeypatch into the module.
    """
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    contents = {
        "train-images-idx3-ubyte": idx_bytes(rng.integers(0, 256, (n_train, 28, 28)), 0x08),
        "train-labels-idx1-ubyte": idx_bytes(np.arange(n_train) % 10, 0x08),
        "t10k-images-idx3-ubyte": idx_bytes(rng.integers(0, 256, (n_test, 28, 28)), 0x08),
        "t10k-labels-idx1-ubyte": idx_bytes(np.arange(n_test) % 10, 0x08),
    }
    for name, raw in contents.items():
        (folder / f"{name}.gz").write_bytes(gzip.compress(raw))
    return {name: hashlib.sha256(raw).hexdigest() for name, raw in contents.items()}


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No real data anywhere: empty cache, no DLBOOK_DATA, system folder in tmp_path."""
    monkeypatch.delenv("DLBOOK_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(data, "SYSTEM_DATA_DIR", tmp_path / "system")
    return tmp_path


def _real_dir_or_skip() -> Path:
    """The real Fashion-MNIST folder; skip when absent, except under CI=true, where fail."""
    folder = data.find_fashion_mnist_dir()
    if folder is None:
        message = (
            "Fashion-MNIST not found (sudo apt-get install dataset-fashion-mnist, "
            "or set DLBOOK_DATA)"
        )
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(f"CI=true and {message}")
        pytest.skip(message)
    return folder


@pytest.fixture(scope="module")
def real_fashion_mnist():
    folder = _real_dir_or_skip()
    return folder, data.load_fashion_mnist("train"), data.load_fashion_mnist("test")


# ---------------------------------------------------------------------------- IDX files


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_ubyte_raw_and_gzipped(tmp_path, gz):
    expected = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    raw = idx_bytes(expected, 0x08)
    path = tmp_path / ("a.idx.gz" if gz else "a.idx")
    path.write_bytes(gzip.compress(raw) if gz else raw)
    got = data.read_idx(path)
    assert got.dtype == np.uint8 and got.shape == (2, 3, 4)
    np.testing.assert_array_equal(got, expected)
    got[0, 0, 0] = 7  # a writable array, not a view of the file's bytes


@pytest.mark.parametrize(
    "code, dtype, values",
    [
        (0x09, np.int8, [[-128, 0], [5, 127]]),
        (0x0B, np.int16, [[-30000, 1], [2, 30000]]),
        (0x0C, np.int32, [[-(2**31), 258], [65536, 2**31 - 1]]),
        (0x0D, np.float32, [[-1.5, 0.25], [3.0e8, 1e-3]]),
        (0x0E, np.float64, [[np.pi, -np.e], [1e300, -1e-300]]),
    ],
)
def test_read_idx_multi_byte_types_are_big_endian(tmp_path, code, dtype, values):
    expected = np.array([values, values], dtype=dtype)  # shape (2, 2, 2)
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(idx_bytes(expected, code)))
    got = data.read_idx(str(path))
    assert got.dtype == np.dtype(dtype) and got.dtype.isnative and got.shape == (2, 2, 2)
    np.testing.assert_array_equal(got, expected)


def test_read_idx_bad_magic(tmp_path):
    path = tmp_path / "bad.idx"
    path.write_bytes(b"\x01\x00\x08\x01" + struct.pack(">I", 1) + b"\x00")
    with pytest.raises(ValueError, match=r"bad\.idx.*bad IDX magic number 01000801"):
        data.read_idx(path)


def test_read_idx_unknown_dtype_code(tmp_path):
    path = tmp_path / "odd.idx"
    path.write_bytes(b"\x00\x00\x0a\x01" + struct.pack(">I", 1) + b"\x00")
    with pytest.raises(ValueError, match=r"odd\.idx.*unknown IDX dtype code 0x0A"):
        data.read_idx(path)


def test_read_idx_truncated_and_trailing(tmp_path):
    raw = idx_bytes(np.arange(12, dtype=np.int32).reshape(3, 4), 0x0C)
    short, long = tmp_path / "short.idx", tmp_path / "long.idx.gz"
    short.write_bytes(raw[:-1])
    long.write_bytes(gzip.compress(raw + b"\x00"))
    with pytest.raises(ValueError, match=r"short\.idx.*\(3, 4\).*48 bytes.*47 bytes.*truncated"):
        data.read_idx(short)
    with pytest.raises(ValueError, match=r"long\.idx\.gz.*49 bytes.*trailing bytes"):
        data.read_idx(long)


def test_read_idx_truncated_header_and_bad_gzip(tmp_path):
    header_only = tmp_path / "header.idx"
    header_only.write_bytes(b"\x00\x00\x08\x03" + struct.pack(">I", 5))  # 3 dims, 1 given
    with pytest.raises(ValueError, match=r"header\.idx.*truncated IDX header"):
        data.read_idx(header_only)
    not_gzip = tmp_path / "plain.gz"
    not_gzip.write_bytes(idx_bytes(np.zeros(3), 0x08))
    with pytest.raises(ValueError, match=r"plain\.gz.*not a valid gzip file"):
        data.read_idx(not_gzip)


def test_read_idx_missing_file(tmp_path):
    for name in ["nope.idx", "nope.idx.gz"]:
        with pytest.raises(FileNotFoundError, match="nope"):
            data.read_idx(tmp_path / name)


# ---------------------------------------------------------------------------- search order


def test_search_order(isolated, monkeypatch):
    tmp = isolated
    assert data.find_fashion_mnist_dir() is None

    system = tmp / "system"
    write_fake_fashion_mnist(system)
    assert data.find_fashion_mnist_dir() == system

    cache = tmp / "cache" / "dlbook" / "fashion-mnist"
    write_fake_fashion_mnist(cache)
    assert data.find_fashion_mnist_dir() == cache

    env_root = tmp / "mine"
    monkeypatch.setenv("DLBOOK_DATA", str(env_root))
    write_fake_fashion_mnist(env_root / "fashion-mnist")
    assert data.find_fashion_mnist_dir() == env_root / "fashion-mnist"
    write_fake_fashion_mnist(env_root)
    assert data.find_fashion_mnist_dir() == env_root


def test_search_uses_home_cache_without_xdg(isolated, monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(isolated / "home"))
    cache = isolated / "home" / ".cache" / "dlbook" / "fashion-mnist"
    write_fake_fashion_mnist(cache)
    assert data.find_fashion_mnist_dir() == cache


def test_folder_needs_all_four_files_gz_or_raw(isolated, monkeypatch):
    folder = isolated / "mine"
    monkeypatch.setenv("DLBOOK_DATA", str(folder))
    write_fake_fashion_mnist(folder)
    # Uncompressed names count as well as .gz ones.
    gz = folder / "t10k-labels-idx1-ubyte.gz"
    (folder / "t10k-labels-idx1-ubyte").write_bytes(gzip.decompress(gz.read_bytes()))
    gz.unlink()
    assert data.find_fashion_mnist_dir() == folder
    (folder / "t10k-labels-idx1-ubyte").unlink()
    assert data.find_fashion_mnist_dir() is None


# ---------------------------------------------------------------------------- loading fake files


def test_load_fake_set_with_matching_checksums(isolated, monkeypatch):
    folder = isolated / "mine"
    monkeypatch.setenv("DLBOOK_DATA", str(folder))
    monkeypatch.setattr(data, "FASHION_MNIST_SHA256", write_fake_fashion_mnist(folder))
    images, labels = data.load_fashion_mnist("train", download=False)
    assert images.shape == (20, 1, 28, 28) and images.dtype == np.float32
    assert labels.shape == (20,) and labels.dtype == np.int64
    raw = data.read_idx(folder / "train-images-idx3-ubyte.gz")
    np.testing.assert_allclose(images[:, 0], raw / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(labels, np.arange(20) % 10)

    flat, _ = data.load_fashion_mnist("test", flatten=True, download=False)
    assert flat.shape == (10, 784)

    import torch

    t_images, t_labels = data.load_fashion_mnist("train", as_tensor=True, subset=10, seed=3)
    assert isinstance(t_images, torch.Tensor) and t_images.dtype == torch.float32
    assert t_images.shape == (10, 1, 28, 28) and t_images.device.type == "cpu"
    assert t_labels.dtype == torch.int64 and sorted(t_labels.tolist()) == list(range(10))


def test_checksum_mismatch_is_a_clear_error(isolated, monkeypatch):
    folder = isolated / "mine"
    monkeypatch.setenv("DLBOOK_DATA", str(folder))
    fake = write_fake_fashion_mnist(folder)  # valid IDX files, but not the official content
    expected = data.FASHION_MNIST_SHA256["train-images-idx3-ubyte"]
    with pytest.raises(data.ChecksumError) as info:
        data.load_fashion_mnist("train", download=False)
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert str(folder / "train-images-idx3-ubyte.gz") in message
    assert expected in message and fake["train-images-idx3-ubyte"] in message
    assert "apt-get install --reinstall dataset-fashion-mnist" in message
    # The cached hash does not hide the mismatch on a second load.
    with pytest.raises(data.ChecksumError):
        data.load_fashion_mnist("train", download=False)
    with pytest.raises(data.ChecksumError, match="train-images"):
        data.verify_fashion_mnist(folder)


def test_missing_data_error_lists_places_and_fixes(isolated, monkeypatch):
    def no_download(dest=None):
        raise AssertionError("download=False must not download")

    monkeypatch.setattr(data, "download_fashion_mnist", no_download)
    with pytest.raises(FileNotFoundError) as info:
        data.load_fashion_mnist(download=False)
    message = str(info.value)
    assert "$DLBOOK_DATA (not set)" in message
    assert str(isolated / "cache" / "dlbook" / "fashion-mnist") in message
    assert str(isolated / "system") in message
    assert "download=False" in message
    assert "sudo apt-get install dataset-fashion-mnist" in message
    assert "DLBOOK_DATA=" in message and "download_fashion_mnist()" in message


def test_failed_download_becomes_file_not_found(isolated, monkeypatch):
    def offline(url, timeout=None):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(data.urllib.request, "urlopen", offline)
    fixes = r"(?s)no network.*apt-get install dataset-fashion-mnist"
    with pytest.raises(RuntimeError, match=fixes):
        data.download_fashion_mnist(isolated / "dl")
    with pytest.raises(FileNotFoundError, match=r"(?s)Downloading failed.*no network") as info:
        data.load_fashion_mnist()
    assert "sudo apt-get install dataset-fashion-mnist" in str(info.value)
    assert not list((isolated / "dl").iterdir())  # no partial files left behind


def test_download_writes_verified_files_into_the_cache(isolated, monkeypatch):
    served = isolated / "served"
    monkeypatch.setattr(data, "FASHION_MNIST_SHA256", write_fake_fashion_mnist(served))
    requested = []

    def fake_urlopen(url, timeout=None):
        requested.append(url)
        return io.BytesIO((served / url.rsplit("/", 1)[1]).read_bytes())

    monkeypatch.setattr(data.urllib.request, "urlopen", fake_urlopen)
    images, labels = data.load_fashion_mnist("test")  # nothing found: downloads
    cache = isolated / "cache" / "dlbook" / "fashion-mnist"
    assert images.shape == (10, 1, 28, 28) and labels.shape == (10,)
    assert sorted(p.name for p in cache.iterdir()) == sorted(
        f"{n}.gz" for n in data.FASHION_MNIST_SHA256
    )
    assert requested[0] == data.FASHION_MNIST_URL + "train-images-idx3-ubyte.gz"
    assert len(requested) == 4
    assert data.download_fashion_mnist() == cache  # good files already there: no requests
    assert len(requested) == 4


def test_download_rejects_a_corrupt_file(isolated, monkeypatch):
    monkeypatch.setattr(
        data.urllib.request,
        "urlopen",
        lambda url, timeout=None: io.BytesIO(gzip.compress(idx_bytes(np.zeros(3), 0x08))),
    )
    with pytest.raises(data.ChecksumError, match="checksum mismatch"):
        data.download_fashion_mnist(isolated / "dl")
    assert not list((isolated / "dl").iterdir())


def test_load_argument_errors():
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        data.load_fashion_mnist("valid")
    with pytest.raises(ValueError, match="subset must be >= 1"):
        data.load_fashion_mnist(subset=0)
    with pytest.raises(TypeError, match="subset must be an int"):
        data.load_fashion_mnist(subset=0.5)


# ---------------------------------------------------------------------------- stratified subsets


def test_stratified_subset_balanced_classes():
    labels = np.repeat(np.arange(10), 600)
    np.random.default_rng(1).shuffle(labels)
    idx = data.stratified_subset_indices(labels, 25, seed=4)
    assert idx.dtype == np.int64 and idx.shape == (25,)
    assert len(np.unique(idx)) == 25 and np.all(np.diff(idx) > 0)
    counts = np.bincount(labels[idx], minlength=10)
    assert sorted(counts) == [2] * 5 + [3] * 5
    np.testing.assert_array_equal(idx, data.stratified_subset_indices(labels, 25, seed=4))
    assert not np.array_equal(idx, data.stratified_subset_indices(labels, 25, seed=5))
    exact = data.stratified_subset_indices(labels, 100, seed=0)
    np.testing.assert_array_equal(np.bincount(labels[exact]), [10] * 10)


def test_stratified_subset_small_class_gives_its_share_to_others():
    labels = np.array([0] * 2 + [1] * 10 + [2] * 10)
    counts = np.bincount(labels[data.stratified_subset_indices(labels, 20)])
    np.testing.assert_array_equal(counts, [2, 9, 9])
    everything = data.stratified_subset_indices(labels, len(labels))
    np.testing.assert_array_equal(everything, np.arange(len(labels)))


def test_stratified_subset_errors():
    with pytest.raises(ValueError, match="larger than the number of labels"):
        data.stratified_subset_indices(np.zeros(5), 6)
    with pytest.raises(ValueError, match="1-D"):
        data.stratified_subset_indices(np.zeros((5, 2)), 2)
    with pytest.raises(ValueError, match="n must be >= 1"):
        data.stratified_subset_indices(np.zeros(5), 0)
    with pytest.raises(ValueError, match="seed must be >= 0"):
        data.stratified_subset_indices(np.zeros(5), 2, seed=-1)


# ---------------------------------------------------------------------------- real Fashion-MNIST


def test_real_fashion_mnist(real_fashion_mnist):
    folder, (x_train, y_train), (x_test, y_test) = real_fashion_mnist
    assert x_train.shape == (60000, 1, 28, 28) and y_train.shape == (60000,)
    assert x_test.shape == (10000, 1, 28, 28) and y_test.shape == (10000,)
    for x, y in [(x_train, y_train), (x_test, y_test)]:
        assert x.dtype == np.float32 and y.dtype == np.int64
        assert x.min() == 0.0 and x.max() == 1.0
    np.testing.assert_array_equal(np.bincount(y_train), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(y_test), [1000] * 10)
    assert len(data.FASHION_MNIST_CLASSES) == 10
    assert data.FASHION_MNIST_CLASSES[0] == "T-shirt/top"
    assert data.FASHION_MNIST_CLASSES[9] == "Ankle boot"
    data.verify_fashion_mnist(folder)  # raises on a checksum mismatch


def test_real_fashion_mnist_subset(real_fashion_mnist):
    _, (x_train, y_train), _ = real_fashion_mnist
    x, y = data.load_fashion_mnist("train", subset=500, seed=1, flatten=True)
    assert x.shape == (500, 784)
    np.testing.assert_array_equal(np.bincount(y), [50] * 10)
    idx = data.stratified_subset_indices(y_train, 500, seed=1)
    np.testing.assert_array_equal(x, x_train[idx].reshape(500, 784))
    np.testing.assert_array_equal(y, y_train[idx])


# ---------------------------------------------------------------------------- scikit-learn sets


@pytest.mark.parametrize(
    "name, shape",
    [
        ("digits", (1797, 64)),
        ("diabetes", (442, 10)),
        ("breast_cancer", (569, 30)),
        ("iris", (150, 4)),
        ("wine", (178, 13)),
    ],
)
def test_load_sklearn_dataset(name, shape):
    X, y = data.load_sklearn_dataset(name)
    assert X.shape == shape and X.dtype == np.float64 and y.shape == (shape[0],)


def test_load_sklearn_dataset_unknown_name():
    with pytest.raises(ValueError, match="unknown dataset 'mnist'.*digits, diabetes"):
        data.load_sklearn_dataset("mnist")


def test_train_test_split_arrays():
    X = np.arange(200, dtype=np.float64).reshape(100, 2)
    y = np.array([0] * 80 + [1] * 20)
    X_tr, X_te, y_tr, y_te = data.train_test_split_arrays(X, y, 0.25, seed=1, stratify=True)
    assert X_tr.shape == (75, 2) and X_te.shape == (25, 2) and y_te.shape == (25,)
    assert np.bincount(y_te).tolist() == [20, 5]
    # Rows stay paired: row i of X is (2i, 2i + 1) and belongs with y[i].
    np.testing.assert_array_equal(y[(X_tr[:, 0] // 2).astype(int)], y_tr)
    np.testing.assert_array_equal(y[(X_te[:, 0] // 2).astype(int)], y_te)
    together = np.sort(np.concatenate([X_tr[:, 0], X_te[:, 0]]))
    np.testing.assert_array_equal(together, X[:, 0])
    again = data.train_test_split_arrays(X, y, 0.25, seed=1, stratify=True)
    np.testing.assert_array_equal(again[1], X_te)


def test_train_test_split_arrays_errors():
    X, y = np.zeros((10, 2)), np.zeros(10)
    with pytest.raises(ValueError, match="same length"):
        data.train_test_split_arrays(X, y[:9])
    with pytest.raises(ValueError, match=r"test_fraction must be in \(0, 1\)"):
        data.train_test_split_arrays(X, y, 1.0)
    with pytest.raises(ValueError, match="leaves no training examples"):
        data.train_test_split_arrays(X, y, 0.95)


# ---------------------------------------------------------------------------- standardise


def test_standardise_uses_training_statistics_only():
    rng = np.random.default_rng(0)
    X_fit = rng.normal(3.0, 2.0, size=(500, 4))
    X_fit[:, 2] = 7.0                                   # a constant column
    X_test = rng.normal(3.0, 2.0, size=(50, 4))
    fit_std, test_std = data.standardise(X_fit, X_test)
    assert np.allclose(fit_std[:, [0, 1, 3]].mean(axis=0), 0.0, atol=1e-12)
    assert np.allclose(fit_std[:, [0, 1, 3]].std(axis=0), 1.0)
    assert np.all(fit_std[:, 2] == 0.0)                 # centred, not divided by zero
    mean, std = X_fit.mean(axis=0), X_fit.std(axis=0)
    assert np.allclose(test_std[:, 0], (X_test[:, 0] - mean[0]) / std[0])
    assert np.allclose(test_std[:, 2], X_test[:, 2] - 7.0)
    only, = data.standardise(np.arange(6).reshape(3, 2))   # integers become float64
    assert only.dtype == np.float64


def test_standardise_errors():
    with pytest.raises(ValueError, match=r"X_fit must be 2-D"):
        data.standardise(np.zeros(3))
    with pytest.raises(ValueError, match=r"X_others\[0\] has 3 columns but X_fit has 2"):
        data.standardise(np.zeros((4, 2)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="X_fit is empty"):
        data.standardise(np.zeros((0, 2)))
    with pytest.raises(TypeError, match="real numeric array"):
        data.standardise(np.array([["a"]]))
