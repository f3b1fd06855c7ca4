import subprocess
import sys

from dlbook_lib.__main__ import environment_report


def test_report_names_versions_device_mode_and_data(monkeypatch, tmp_path):
    monkeypatch.setenv("DLBOOK_FAST", "1")
    report = environment_report()
    for key in ["python:", "numpy:", "torch:", "device:", "mode: fast", "fashion-mnist:"]:
        assert key in report


def test_python_dash_m_prints_the_report():
    out = subprocess.run([sys.executable, "-m", "dlbook_lib"], capture_output=True, text=True,
                         check=True).stdout
    assert "device:" in out and "mode:" in out
