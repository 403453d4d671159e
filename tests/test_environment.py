"""Packaging: environment.yml == pyproject.toml, constraints cover the ranges, kernel spec."""

import json
import sys
import tomllib

import yaml
from course_files import ROOT
from packaging.requirements import Requirement

from kcourse.kernel import (
    JAX_KERNEL_NAME,
    KERNEL_ENV,
    KERNEL_NAME,
    install_kernel,
    kernel_spec,
)


def _pyproject_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return project["dependencies"] + project["optional-dependencies"]["test"]


def test_environment_yml_lists_the_same_requirements_as_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    conda_python = [d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python")]
    assert conda_python == ["python=3.11"]
    assert sorted(r for r in pip_section if r != "-e .") == sorted(_pyproject_requirements())
    assert "-e ." in pip_section


def test_constraints_pin_versions_inside_the_declared_ranges():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = version
    for text in _pyproject_requirements():
        requirement = Requirement(text)
        name = requirement.name.lower().replace("_", "-")
        assert name in pins, f"constraints.txt does not pin {name}"
        assert requirement.specifier.contains(pins[name]), f"{name}=={pins[name]} not in {text}"


def test_kernel_spec_runs_this_python_quietly_and_deterministically(tmp_path):
    spec = kernel_spec()
    assert spec["argv"][0] == sys.executable
    assert "{connection_file}" in spec["argv"]
    assert spec["env"]["TF_CPP_MIN_LOG_LEVEL"] == "3"
    assert spec["env"]["PYTHONHASHSEED"] == "0"
    assert "--IPKernelApp.capture_fd_output=False" in spec["argv"]
    target = install_kernel(tmp_path)
    assert target == tmp_path / "share" / "jupyter" / "kernels" / KERNEL_NAME
    assert json.loads((target / "kernel.json").read_text()) == spec


def test_installed_course_kernel_is_current():
    from jupyter_client.kernelspec import KernelSpecManager

    installed = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    assert installed.env == KERNEL_ENV
    assert installed.argv == kernel_spec()["argv"]
    jax = KernelSpecManager().get_kernel_spec(JAX_KERNEL_NAME)
    assert jax.env == {**KERNEL_ENV, "KERAS_BACKEND": "jax"}
    assert jax.display_name == "Keras from the inside (JAX)"
    assert jax.argv == installed.argv


def test_make_test_names_the_missing_system_packages_and_the_command(tmp_path):
    """scripts/system-packages.sh on a machine without bwrap, chromium and apt-get: it
    stops with the exact command instead of running anything."""
    import shutil
    import subprocess

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "id"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    done = subprocess.run([str(bin_dir / "bash"), str(ROOT / "scripts" / "system-packages.sh")],
                          env={"PATH": str(bin_dir)}, capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    assert "needs these system packages" in done.stderr
    assert "apt-get install -y --no-install-recommends" in done.stderr
    assert "bubblewrap" in done.stderr and "chromium" in done.stderr
