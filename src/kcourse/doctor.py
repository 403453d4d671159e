"""`python -m kcourse doctor`: what this environment is, and whether it is ready.

Prints versions, the Keras backend, devices, the TF32 state, the
determinism settings and whether the course kernel is installed, then one
verdict line: "verdict: OK ..." or "verdict: PROBLEM ...". Exit status 0
when OK, 1 otherwise.
"""

from __future__ import annotations

import importlib.metadata
import json
import platform
import sys

from .kernel import KERNEL_ENV, KERNEL_NAME

PACKAGES = (
    "keras", "tensorflow", "jax", "numpy", "nbgrader", "nbval", "jupyterlab",
    "ipykernel", "matplotlib", "scikit-learn", "mlxtend",
)


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _devices(backend: str) -> list[str]:
    if backend == "tensorflow":
        import tensorflow as tf

        devices = tf.config.list_physical_devices()
        return [f"{d.device_type}:{d.name.split(':')[-1]}" for d in devices]
    if backend == "jax":
        import jax

        return [str(d) for d in jax.devices()]
    return ["(not listed for this backend)"]


def _installed_kernel() -> dict | None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel:
        return None
    return {"python": spec.argv[0], "env": spec.env}


def report() -> tuple[list[str], list[str]]:
    """(lines of the report, problems found)."""
    lines, problems = [], []
    lines.append(f"python       {platform.python_version()} ({sys.executable})")
    for package in PACKAGES:
        lines.append(f"{package:<12} {_version(package)}")

    import keras

    from .determinism import determinism_settings, disable_tf32, tf32_state

    if not keras.__version__.startswith("3."):
        problems.append(f"Keras {keras.__version__} is not Keras 3")
    backend = keras.config.backend()
    lines.append(f"backend      {backend} (KERAS_BACKEND)")
    try:
        devices = _devices(backend)
    except Exception as error:  # a broken CUDA install must not hide the rest of the report
        devices = [f"error: {error}"]
        problems.append(f"cannot list {backend} devices")
    lines.append(f"devices      {', '.join(devices)}")
    lines.append(f"TF32         {tf32_state()} by default; ")
    disable_tf32()
    lines[-1] += f"{tf32_state()} after kcourse.determinism.disable_tf32() (what checks use)"
    for name, value in determinism_settings().items():
        wanted = KERNEL_ENV[name]
        mark = "" if value == wanted else f"  (course kernel sets {wanted})"
        lines.append(f"env          {name}={value}{mark}")
    kernel = _installed_kernel()
    if kernel is None:
        problems.append(f"the {KERNEL_NAME!r} Jupyter kernel is not installed (run `make lab`)")
        lines.append(f"kernel       {KERNEL_NAME}: not installed")
    else:
        lines.append(f"kernel       {KERNEL_NAME}: {kernel['python']}")
        if kernel["env"] != KERNEL_ENV:
            problems.append(f"the installed {KERNEL_NAME!r} kernel has outdated settings "
                            "(run `python -m kcourse install-kernel`)")
    return lines, problems


def main(as_json: bool = False) -> int:
    lines, problems = report()
    if as_json:
        print(json.dumps({"report": lines, "problems": problems}, indent=2))
    else:
        print("\n".join(lines))
    if problems:
        print("verdict: PROBLEM - " + "; ".join(problems))
        return 1
    print("verdict: OK - ready for the course")
    return 0
