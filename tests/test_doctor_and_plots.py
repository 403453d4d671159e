"""`python -m kcourse doctor` and kcourse.plots."""

import subprocess
import sys

import keras
import numpy as np
import pytest

from kcourse import doctor, plots


def test_doctor_reports_versions_and_an_ok_verdict():
    result = subprocess.run([sys.executable, "-m", "kcourse", "doctor"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1].startswith("verdict: OK")
    assert any(line.startswith("keras") and keras.__version__ in line for line in lines)
    assert any(line.startswith("TF32") and "off after" in line for line in lines)
    assert any(line.startswith("devices") and "CPU" in line for line in lines)


def test_doctor_names_a_missing_kernel(monkeypatch, capsys):
    monkeypatch.setattr(doctor, "_installed_kernel", lambda: None)
    assert doctor.main() == 1
    verdict = capsys.readouterr().out.splitlines()[-1]
    assert verdict.startswith("verdict: PROBLEM") and "kernel is not installed" in verdict


def test_plot_history_draws_training_and_validation_curves():
    history = {"loss": [1.0, 0.5, 0.2], "val_loss": [1.1, 0.7, 0.4], "accuracy": [0.5, 0.7, 0.9]}
    fig = plots.plot_history(history, metrics=("loss", "accuracy"))
    loss_ax, accuracy_ax = fig.axes
    assert len(loss_ax.lines) == 2 and len(accuracy_ax.lines) == 1
    np.testing.assert_array_equal(loss_ax.lines[1].get_ydata(), history["val_loss"])
    with pytest.raises(KeyError, match="val_accuracy"):
        plots.plot_history(history, metrics=("val_accuracy",))


def test_plot_images_and_kernel_columns():
    fig = plots.plot_images(np.zeros((12, 64)), labels=list(range(12)), columns=5)
    assert len(fig.axes) == 15 and fig.axes[11].get_title() == "11"
    with pytest.raises(ValueError, match="squares"):
        plots.plot_images(np.zeros((2, 10)))
    fig = plots.plot_dense_kernel(np.ones((64, 4)))
    assert len(fig.axes) == 4
