"""kcourse.reference: generated from the solution cells, fresh, same behaviour as Keras."""

import importlib
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from course_files import ROOT

import kcourse.reference
from kcourse import authoring, checks
from kcourse.__main__ import main as kcourse_main

REFERENCE_MODULES = [
    importlib.import_module(f"kcourse.reference.{m.name}")
    for m in pkgutil.iter_modules(kcourse.reference.__path__)
]
REFERENCE_DIR = ROOT / "src" / "kcourse" / "reference"
REGENERATE = "run `python -m kcourse build --references-only` (or `make build`) and commit"


@pytest.fixture(scope="module")
def generated():
    """module name -> text, regenerated in memory from solutions/ (nothing is written)."""
    return authoring.references()


def test_committed_references_are_fresh(generated):
    assert generated, "no solution notebook produced a reference module"
    for name, text in generated.items():
        path = REFERENCE_DIR / f"{name}.py"
        assert path.is_file(), f"{path.relative_to(ROOT)} is missing: {REGENERATE}"
        assert path.read_bytes() == text.encode(), (
            f"{path.relative_to(ROOT)} differs from the solution cells of "
            f"{text.splitlines()[0].split()[3]}: {REGENERATE}"
        )


def test_every_reference_module_comes_from_a_solution_notebook(generated):
    on_disk = {m.name for m in pkgutil.iter_modules(kcourse.reference.__path__)}
    assert on_disk == set(generated), (
        f"reference modules without a notebook: {sorted(on_disk - set(generated))}; "
        f"notebooks without a module: {sorted(set(generated) - on_disk)}"
    )
    for module in REFERENCE_MODULES:
        script = ROOT / module.SOURCE
        assert script.is_file(), f"{module.__name__}.SOURCE names no file: {module.SOURCE}"
        assert authoring.reference_name(script.parent.name) == module.__name__.rsplit(".")[-1]


def test_the_references_only_check_reports_each_module_and_exits_1_when_stale(
        capsys, generated):
    """`python -m kcourse build --references-only --check`: writes nothing, says what is stale."""
    before = {p.name: p.read_bytes() for p in REFERENCE_DIR.glob("*.py")}
    code = kcourse_main(["build", "--references-only", "--check"])
    lines = capsys.readouterr().out.splitlines()
    assert {p.name: p.read_bytes() for p in REFERENCE_DIR.glob("*.py")} == before
    reported = sorted(line.split()[1].rstrip(":") for line in lines)
    assert reported == sorted(str(REFERENCE_DIR / f"{name}.py") for name in generated)
    stale = [line for line in lines if line.startswith("stale")]
    assert code == (1 if stale else 0)


def test_module_names_follow_the_assignment_names():
    assert authoring.reference_name("01_dense") == "dense"
    assert authoring.reference_name("00_keras_tour") == "keras_tour"
    for bad in ("dense", "03_Batch-Norm", "04_"):
        with pytest.raises(authoring.AuthoringError, match="NN_topic"):
            authoring.reference_name(bad)


# A small solution notebook, as authors write it: imports spread over cells, some of
# them unused by the solutions, markers inside and around the solution code. (A cell's
# nbgrader header is one line: the backslash-newlines below are Python's, not the text's.)
SCRIPT = """\
# %% [markdown]
# # 07 · A synthetic notebook
#
# ## Exercise 1 · scale (2 points)

# %%
from pathlib import Path

import numpy as np
from keras import ops

from kcourse import checks, data

# %%
# %matplotlib inline
import keras
import os.path as osp

# %% nbgrader={"grade": false, "grade_id": "scale_solution", "locked": false, \
"schema_version": 3, "solution": true, "task": false}
def scale(x, factor):
    \"\"\"(n,) -> (n,): x times factor, as NumPy.\"\"\"
    ### BEGIN SOLUTION
    return np.asarray(ops.convert_to_numpy(x)) * factor
    ### END SOLUTION

# %% nbgrader={"grade": false, "grade_id": "layer_solution", "locked": false, \
"schema_version": 3, "solution": true, "task": false}
class Twice(keras.layers.Layer):
    def call(self, inputs):
        ### BEGIN SOLUTION
        return inputs * 2
        ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "scale_test", "locked": true, "points": 2, \
"schema_version": 3, "solution": false, "task": false}
checks.check_close(scale(np.ones(3), 2), np.full(3, 2.0))
"""


def _synthetic(tmp_path, text=SCRIPT, name="07_synthetic"):
    script = tmp_path / name / f"{name}.py"
    script.parent.mkdir()
    script.write_text(text)
    return authoring.from_script(script), f"solutions/{name}/{name}.py"


def test_a_reference_keeps_the_solution_code_and_only_the_imports_it_uses(tmp_path):
    nb, source = _synthetic(tmp_path)
    text = authoring.reference_source(nb, source)

    assert text.startswith(
        "# GENERATED from solutions/07_synthetic/07_synthetic.py by `make build`;\n"
        "# edit that file, not this one."
    )
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    assert "        return inputs * 2\n" in text
    assert "    return np.asarray(ops.convert_to_numpy(x)) * factor\n" in text
    # keras, np and ops are used; Path, checks, data and osp are not.
    imports = [line for line in text.splitlines() if line.startswith(("import ", "from "))]
    assert imports == ["import keras", "import numpy as np", "from keras import ops"]
    namespace = {}
    exec(compile(text, source, "exec"), namespace)  # imports on its own
    np.testing.assert_array_equal(namespace["scale"](np.arange(3.0), 3), [0.0, 3.0, 6.0])
    assert namespace["SOURCE"] == source


@pytest.mark.skipif(not (Path(sys.executable).parent / "ruff").exists(), reason="no ruff")
def test_a_generated_reference_passes_ruff(tmp_path):
    nb, _ = _synthetic(tmp_path)
    # Three import sections, aliases and a long from-import: the block must be sorted and
    # grouped exactly as ruff's isort rule wants, as the committed modules must be.
    for cell in nb.cells:
        if cell.cell_type == "code" and "from pathlib" in cell.source:
            cell.source += "\nfrom collections import OrderedDict, defaultdict, namedtuple"
    nb.cells[-2].source += (
        "\n\n\ndef extras():\n    return Path, checks, data, osp, OrderedDict, "
        "defaultdict, namedtuple\n"
    )
    text = authoring.reference_source(nb, "solutions/07_synthetic/07_synthetic.py")
    assert "from kcourse import checks, data" in text
    result = subprocess.run(
        [str(Path(sys.executable).parent / "ruff"), "check", "--stdin-filename",
         str(REFERENCE_DIR / "synthetic.py"), "-"],
        input=text, capture_output=True, text=True, cwd=ROOT, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr + "\n" + text


def test_a_solution_that_reads_a_notebook_variable_is_refused(tmp_path):
    script = SCRIPT.replace("* factor", "* factor + len(digits)")
    nb, source = _synthetic(tmp_path, script)
    with pytest.raises(authoring.AuthoringError, match=r"use digits, which no solution cell"):
        authoring.reference_source(nb, source)


def test_write_references_writes_reports_and_checks(tmp_path, generated):
    target = tmp_path / "reference"
    target.mkdir()
    lines = authoring.write_references(target=target, check=True)
    assert lines and all(line.startswith("stale") for line in lines)
    assert not list(target.iterdir()), "check=True must write nothing"
    lines = authoring.write_references(target=target)
    assert all(line.startswith("wrote") for line in lines)
    assert {p.stem: p.read_bytes() for p in target.iterdir()} == {
        name: text.encode() for name, text in generated.items()
    }
    assert all(line.startswith("unchanged")
               for line in authoring.write_references(target=target, check=True))
    edited = sorted(target.iterdir())[0]
    edited.write_text(edited.read_text() + "# a hand edit\n")
    stale = [line for line in authoring.write_references(target=target, check=True)
             if line.startswith("stale")]
    assert stale == [f"stale {edited}: run `python -m kcourse build --references-only`"]
    shutil.rmtree(target)


@pytest.mark.parametrize(
    "units, activation, use_bias, shape, seed",
    [
        (3, "relu", True, (4, 5), 0),
        (1, None, True, (1, 1), 1),
        (7, "softmax", False, (2, 3, 4), 2),
        (5, "tanh", True, (6, 5), 3),
        (2, "gelu", True, (2, 2, 2, 9), 4),
    ],
)
def test_reference_dense_matches_keras(units, activation, use_bias, shape, seed, capsys):
    from kcourse.reference.dense import Dense

    kwargs = dict(units=units, activation=activation, use_bias=use_bias)
    verified = checks.compare_layers(
        Dense(**kwargs), keras.layers.Dense(**kwargs), shape, seed=seed,
        config_keys=("units", "activation", "use_bias"),
        builtin_forbidden=False,  # the checks refuse kcourse.reference in student code
    )
    assert any(item.startswith("gradients") for item in verified)


def test_reference_dense_trains_like_keras_dense():
    """Same initial weights, same data, same optimizer: same weights after a few steps."""
    from kcourse.reference.dense import Dense

    keras.utils.set_random_seed(3)
    x = np.random.default_rng(0).standard_normal((64, 6)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")

    def model(layer):
        m = keras.Sequential([keras.Input((6,)), layer])
        m.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
        return m

    ours, theirs = model(Dense(2, activation="softmax")), model(
        keras.layers.Dense(2, activation="softmax")
    )
    ours.set_weights(theirs.get_weights())
    for m in (ours, theirs):
        m.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    for mine, keras_weight in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(mine, keras_weight, rtol=1e-5, atol=1e-6)


def test_reference_models_have_the_specified_architecture(capsys):
    from kcourse.reference import keras_tour

    spec = [("Dense", (None, 32), 2080), ("Dense", (None, 10), 330)]
    for build, style in [(keras_tour.build_sequential, "sequential"),
                         (keras_tour.build_functional, "functional")]:
        model = build()
        checks.check_model_style(model, style)
        checks.check_architecture(model, spec)
    subclassed = keras_tour.DigitClassifier()
    subclassed(np.zeros((1, 64), "float32"))
    checks.check_model_style(subclassed, "subclassed")
    checks.check_architecture(subclassed, [("Dense", None, 2080), ("Dense", None, 330)])
    assert capsys.readouterr().out.count(checks.PASS_MARK) == 6  # style + architecture, 3 models


def test_reference_training_and_saving_reach_the_threshold(tmp_path, capsys):
    from kcourse import data
    from kcourse.reference import keras_tour

    digits = data.load_digits()
    keras.utils.set_random_seed(0)
    model = keras_tour.build_sequential()
    history = keras_tour.compile_and_fit(model, digits, epochs=8)
    checks.check_history(history, ["loss", "accuracy", "val_loss", "val_accuracy"], epochs=8)
    checks.check_accuracy(model, digits.test.x, digits.test.y, at_least=0.9)
    path = tmp_path / "m.keras"
    reloaded = keras_tour.save_and_reload(model, path)
    checks.check_saved_model_file(path)
    checks.check_same_predictions(model, reloaded, digits.test.x)
