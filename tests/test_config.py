import random

import numpy as np
import pytest
import torch

from dlbook_lib import config


def test_fast_mode_words(monkeypatch):
    for word in ["1", "true", "YES", "on"]:
        monkeypatch.setenv("DLBOOK_FAST", word)
        assert config.is_fast_mode() and config.mode_name() == "fast"
        assert config.pick(fast=1, full=10) == 1
    for word in ["0", "false", "", "off"]:
        monkeypatch.setenv("DLBOOK_FAST", word)
        assert not config.is_fast_mode() and config.mode_name() == "full"
        assert config.pick(fast=1, full=10) == 10
    monkeypatch.delenv("DLBOOK_FAST")
    assert not config.is_fast_mode()


def test_fast_mode_typo_is_an_error(monkeypatch):
    monkeypatch.setenv("DLBOOK_FAST", "fsat")
    with pytest.raises(ValueError, match="DLBOOK_FAST='fsat' is not understood"):
        config.is_fast_mode()


def _draw():
    return random.random(), np.random.rand(3).tolist(), torch.rand(3).tolist()


def test_seed_everything_reproduces_numbers():
    config.seed_everything(123)
    first = _draw()
    config.seed_everything(123)
    assert _draw() == first
    config.seed_everything(124)
    assert _draw() != first


@pytest.mark.parametrize("bad, error", [(-1, ValueError), (2**32, ValueError), (1.5, TypeError),
                                        ("3", TypeError), (True, TypeError)])
def test_seed_everything_rejects_bad_seeds(bad, error):
    with pytest.raises(error, match="seed"):
        config.seed_everything(bad)


def test_get_device_prefers_available(monkeypatch):
    monkeypatch.delenv("DLBOOK_DEVICE", raising=False)
    device = config.get_device()
    expected = "cuda" if torch.cuda.is_available() else (
        "mps" if torch.backends.mps.is_available() else "cpu")
    assert device.type == expected
    assert config.get_device("cpu") == torch.device("cpu")
    assert config.describe_device("cpu").startswith("cpu")


def test_describe_device_counts_cpu_threads():
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        assert config.describe_device("cpu").endswith(" cores, 1 thread)")
        torch.set_num_threads(2)
        assert config.describe_device("cpu").endswith(" cores, 2 threads)")
    finally:
        torch.set_num_threads(before)


def test_get_device_errors(monkeypatch):
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        config.get_device("tpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="no CUDA GPU"):
        config.get_device("cuda")
    monkeypatch.setenv("DLBOOK_DEVICE", "cuda")
    with pytest.raises(RuntimeError, match="no CUDA GPU"):
        config.get_device()


def test_checkpoint_path_depends_on_mode_and_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("DLBOOK_CHECKPOINTS", str(tmp_path))
    monkeypatch.setenv("DLBOOK_FAST", "1")
    assert config.checkpoint_path("lenet") == tmp_path / "lenet-fast.pt"
    monkeypatch.setenv("DLBOOK_FAST", "0")
    assert config.checkpoint_path("lenet") == tmp_path / "lenet-full.pt"
    monkeypatch.delenv("DLBOOK_CHECKPOINTS")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert config.checkpoint_dir() == tmp_path / "cache" / "dlbook" / "checkpoints"


@pytest.mark.parametrize("bad", ["", "a/b", "../x", "name with space"])
def test_checkpoint_path_rejects_bad_names(bad):
    with pytest.raises(ValueError, match="checkpoint name"):
        config.checkpoint_path(bad)


# --------------------------------------------------------------------------- cpu_threads


def test_cpu_threads_sets_and_restores_the_thread_count():
    before = torch.get_num_threads()
    with config.cpu_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with config.cpu_threads(1, "cpu"):
        assert torch.get_num_threads() == 1
    with pytest.raises(RuntimeError, match="inside"):
        with config.cpu_threads(1, torch.device("cpu")):
            raise RuntimeError("inside")
    assert torch.get_num_threads() == before  # restored after an error too


def test_cpu_threads_leaves_other_devices_alone():
    before = torch.get_num_threads()
    with config.cpu_threads(1, "cuda"):  # a device name; no GPU is needed to name one
        assert torch.get_num_threads() == before


@pytest.mark.parametrize("bad, error", [(0, ValueError), (1.0, TypeError), (True, TypeError)])
def test_cpu_threads_rejects_bad_counts(bad, error):
    with pytest.raises(error, match="n must be"):
        with config.cpu_threads(bad):
            pass


# --------------------------------------------------------------------------- setup_lesson


def test_setup_lesson_styles_seeds_and_prints_one_line(monkeypatch, capsys):
    import matplotlib

    from dlbook_lib.plotting import BOOK_COLORS

    monkeypatch.setenv("DLBOOK_FAST", "1")
    monkeypatch.delenv("DLBOOK_DEVICE", raising=False)
    with matplotlib.rc_context():
        matplotlib.rcParams["axes.spines.top"] = True
        device = config.setup_lesson(7, device="cpu")
        assert matplotlib.rcParams["axes.spines.top"] is False  # the book style
        assert matplotlib.rcParams["axes.prop_cycle"].by_key()["color"] == BOOK_COLORS
        first = _draw()
    config.seed_everything(7)
    assert first == _draw()  # seeded like seed_everything(7)
    assert device == torch.device("cpu")
    assert capsys.readouterr().out == f"mode: fast, device: {config.describe_device('cpu')}\n"


def test_setup_lesson_picks_the_best_device_by_default(monkeypatch, capsys):
    import matplotlib

    monkeypatch.setenv("DLBOOK_FAST", "0")
    monkeypatch.delenv("DLBOOK_DEVICE", raising=False)
    with matplotlib.rc_context():
        device = config.setup_lesson()
    assert device == config.get_device()
    assert capsys.readouterr().out.startswith(f"mode: full, device: {device.type}")


def test_setup_lesson_errors_change_nothing(monkeypatch):
    import matplotlib

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with matplotlib.rc_context():
        matplotlib.rcParams["axes.spines.top"] = True
        with pytest.raises(RuntimeError, match="no CUDA GPU"):
            config.setup_lesson(device="cuda")
        assert matplotlib.rcParams["axes.spines.top"] is True
    monkeypatch.setenv("DLBOOK_FAST", "fsat")
    with pytest.raises(ValueError, match="not understood"):
        config.setup_lesson()
    monkeypatch.setenv("DLBOOK_FAST", "0")
    with matplotlib.rc_context():
        matplotlib.rcParams["axes.spines.top"] = True
        with pytest.raises(TypeError, match="seed must be an int"):
            config.setup_lesson(seed=1.5)
        assert matplotlib.rcParams["axes.spines.top"] is True
