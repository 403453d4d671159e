"""Every solution notebook runs on JAX too, with every test cell passing.

Each notebook is executed in a copy of its folder by the second course kernel,
"Keras from the inside (JAX)" (kcourse.kernel.JAX_KERNEL_NAME), two notebooks at a
time in child processes. A cell that teaches a backend-specific API says so in its
metadata (`{"kcourse": {"backend": "tensorflow"}}`) and is not run on JAX.
Runs in the JAX stage of `make test` (the TensorFlow stage ignores this file).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest
from course_files import read, solution_notebooks

from kcourse.kernel import JAX_KERNEL_NAME

NOTEBOOKS = solution_notebooks()
ids = [p.stem for p in NOTEBOOKS]
TIMEOUT_S = 600

RUNNER = r"""
import json, pathlib, sys, time
import nbformat
from nbclient import NotebookClient

source, target, kernel = sys.argv[1:4]
nb = nbformat.read(source, as_version=4)
for cell in nb.cells:
    backend = cell.get("metadata", {}).get("kcourse", {}).get("backend")
    if cell.cell_type == "code" and backend not in (None, "jax"):
        cell.source = f"# runs only on {backend}"
        cell.metadata["skipped_on_jax"] = True
started = time.perf_counter()
folder = str(pathlib.Path(source).parent)
client = NotebookClient(nb, timeout=300, kernel_name=kernel, allow_errors=True,
                        resources={"metadata": {"path": folder}})
client.execute()
nb.metadata["jax_wall_s"] = round(time.perf_counter() - started, 1)
nbformat.write(nb, target)
"""


def _execute(notebook, workdir):
    folder = workdir / notebook.parent.name
    shutil.copytree(notebook.parent, folder)
    source = folder / notebook.name
    target = folder / f"{notebook.stem}.jax.ipynb"
    done = subprocess.run([sys.executable, "-c", RUNNER, str(source), str(target),
                           JAX_KERNEL_NAME], capture_output=True, text=True, timeout=TIMEOUT_S)
    if done.returncode != 0:
        return {"crash": done.stderr[-3000:]}
    return {"nb": read(target)}


@pytest.fixture(scope="module")
def executed(tmp_path_factory, request):
    """notebook stem -> {"nb": executed notebook} or {"crash": stderr}, run two at a time."""
    workdir = tmp_path_factory.mktemp("jax")
    wanted = [nb for nb in NOTEBOOKS
              if any(nb.stem in item.nodeid for item in request.session.items)]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip([nb.stem for nb in wanted],
                           pool.map(lambda nb: _execute(nb, workdir), wanted), strict=True))
    print(f"\n{len(wanted)} solution notebooks on JAX in {time.perf_counter() - started:.0f} s: "
          + json.dumps({k: v["nb"].metadata.get("jax_wall_s") for k, v in results.items()
                        if "nb" in v}))
    return results


def _grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "?")


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_solution_notebook_runs_on_jax(executed, notebook):
    result = executed[notebook.stem]
    assert "crash" not in result, result.get("crash")
    nb = result["nb"]
    errors = [(_grade_id(c), o.ename, o.evalue[:500]) for c in nb.cells if c.cell_type == "code"
              for o in c.outputs if o.output_type == "error"]
    assert not errors, f"cells failing on JAX: {errors}"
    graded = [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade")
              and not c.metadata.get("skipped_on_jax")]
    assert graded, "no test cell ran"
    silent = [_grade_id(c) for c in graded
              if "✔" not in "".join(o.get("text", "") for o in c.outputs)]
    assert not silent, f"test cells that printed no ✔ line on JAX: {silent}"


def test_backend_specific_cells_name_a_known_backend():
    for notebook in NOTEBOOKS:
        for cell in nbformat.read(notebook, as_version=4).cells:
            backend = cell.get("metadata", {}).get("kcourse", {}).get("backend")
            assert backend in (None, "tensorflow", "jax"), (notebook.name, backend)
