"""The grader's static scan of solution cells (kcourse.grading.static), and its feedback.

A corpus of disguised shortcuts must each be refused and named; a corpus of
valid alternatives (the reference solution, loops, einsum, literal getattr,
helper classes) must each be accepted. Then: which test cells a finding
zeroes (the names each test cell needs, closed over earlier cells), how an
earlier cell's error is named, and that no ANSI escape reaches a message.
"""

from __future__ import annotations

import json

import keras
import nbformat
import pytest
from course_files import COURSE, SOLUTIONS

from kcourse.checks.shortcuts import forbidden_for
from kcourse.grading import harness, reports, static, verdicts

DENSE = forbidden_for(keras.layers.Dense)
CONV = forbidden_for(keras.layers.Conv2D)

# name -> (source of a solution cell, forbidden list, line of the first finding, named as)
DISGUISED = {
    "module_alias": ("import keras.layers as L\n\nclass Dense(L.Layer):\n    pass\n\n"
                     "Base = L.Dense\n", DENSE, 6, "keras.layers.Dense"),
    "from_import_alias": ("from keras.layers import Dense as D\n", DENSE, 1,
                          "keras.layers.Dense"),
    "from_keras_import_layers": (
        "from keras import layers\n\nclass Dense(layers.Layer):\n"
        "    def build(self, input_shape):\n        self.inner = layers.Dense(3)\n",
        DENSE, 5, "keras.layers.Dense"),
    "assigned_alias": ("lib = keras.layers\nother = lib\nBase = other.Dense\n", DENSE, 3,
                       "keras.layers.Dense"),
    "attribute_alias": ("class Dense(keras.layers.Layer):\n    def build(self, shape):\n"
                        "        self.lib = keras.layers\n    def call(self, x):\n"
                        "        return self.lib.Dense(3)(x)\n", DENSE, 5, "keras.layers.Dense"),
    "getattr_concatenated": ('Base = getattr(keras.layers, "De" + "nse")\n', DENSE, 1,
                             "keras.layers.Dense"),
    "getattr_reversed": ('Base = getattr(keras.layers, "esneD"[::-1])\n', DENSE, 1,
                         "keras.layers.Dense"),
    "getattr_fstring": ('part = "De"\nBase = getattr(keras.layers, f"{part}nse")\n', DENSE, 2,
                        "keras.layers.Dense"),
    "getattr_unknown_name": ("def pick(name):\n    return getattr(keras.layers, name)\n", DENSE,
                             2, "getattr with a computed attribute name"),
    "dunder_import": ('Base = __import__("keras").layers.Dense\n', DENSE, 1,
                      "keras.layers.Dense"),
    "importlib": ('import importlib\nBase = importlib.import_module("keras.layers").Dense\n',
                  DENSE, 1, "importlib"),
    "exec_string": ('exec("from keras.layers import " + "Dense as Base")\n', DENSE, 1, "exec"),
    "eval_string": ('Base = eval("keras.layers." + "Dense")\n', DENSE, 1, "eval"),
    "compile_string": ('code = compile("x = 1", "<s>", "exec")\n', DENSE, 1, "compile"),
    "globals_literal": ('Base = globals()["keras"].layers.Dense\n', DENSE, 1,
                        "keras.layers.Dense"),
    "globals_computed": ('Base = globals()["ker" + chr(97) + "s"].layers\n', DENSE, 1,
                         "globals() used other than with a literal key"),
    "vars_values": ('Base = [c for c in vars(keras.layers).values() if c.__name__ == "Dense"]\n',
                    DENSE, 1, "vars() used other than with a literal key"),
    "dict_literal": ('Base = keras.layers.__dict__["Dense"]\n', DENSE, 1, "keras.layers.Dense"),
    "subclasses": ("Base = keras.layers.Layer.__subclasses__()\n", DENSE, 1, "__subclasses__"),
    "builtins_module": ("import builtins\nrun = builtins.exec\n", DENSE, 1, "builtins"),
    "dunder_builtins": ('run = __builtins__["exec"]\n', DENSE, 1, "__builtins__"),
    "sys_modules": ('import sys\nBase = sys.modules["keras.layers"].Dense\n', DENSE, 2,
                    "sys.modules"),
    "setattr_computed": ("setattr(keras.layers, 'My' + 'Dense', None)\n", DENSE, 1,
                         "setattr with a computed attribute name"),
    "keras_src": ("Base = keras.src.layers.Dense\n", DENSE, 1, "keras.src.layers.Dense"),
    "keras_src_import": ("from keras.src import ops as K\n", DENSE, 1, "keras.src.ops"),
    "reference_solution": ("from kcourse.reference.dense import Dense\n", DENSE, 1,
                           "kcourse.reference"),
    "tf_keras_spelling": ("import tensorflow as tf\nBase = tf.keras.layers.Dense\n", DENSE, 2,
                          "keras.layers.Dense"),
    "star_import": ("from keras.layers import *\n", DENSE, 1, "keras.layers.Dense"),
    "dense_op": ("y = keras.ops.nn.dense\n", DENSE, 1, "keras.ops.nn.dense"),
    "tf_conv_under_alias": (
        "import tensorflow as T\n\ndef convolve(x, k):\n"
        "    return T.nn.conv2d(x, k, strides=1, padding='VALID')\n",
        CONV, 4, "tensorflow.nn.conv2d"),
    "jax_conv": ("from jax import lax\n\ndef convolve(x, k):\n"
                 "    return lax.conv_general_dilated(x, k, (1, 1), 'VALID')\n",
                 CONV, 4, "jax.lax.conv_general_dilated"),
    "after_blank_lines": ("\n  \n\nBase = keras.layers.Dense\n", DENSE, 4, "keras.layers.Dense"),
    "line_magic": ("%time Base = keras.layers.Dense\n", DENSE, 1, "keras.layers.Dense"),
    "cell_magic": ("%%time\nx = 1\nBase = keras.layers.Dense\n", DENSE, 3,
                   "keras.layers.Dense"),
    "shell_command": ("!pip download something\n", DENSE, 1, "shell command"),
}

HELPERS = '''
def _affine(x, w, b=None):
    """(batch, ..., d) @ (d, u) + (u,) -> (batch, ..., u), with keras.ops."""
    y = keras.ops.matmul(x, w)
    return y if b is None else y + b


class _Weights:
    """A small helper class; literal getattr, loops and comprehensions."""

    def __init__(self, layer):
        self.values = {name: getattr(layer, name) for name in ("kernel", "bias")
                       if hasattr(layer, name)}


class Dense(keras.layers.Layer):
    def __init__(self, units, activation=None, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.units, self.use_bias = int(units), bool(use_bias)
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        shapes = {"kernel": (input_shape[-1], self.units), "bias": (self.units,)}
        for name in ["kernel", "bias"][: 2 if self.use_bias else 1]:
            init = "glorot_uniform" if name == "kernel" else "zeros"
            setattr(self, name, self.add_weight(shape=shapes[name], initializer=init, name=name))

    def call(self, inputs):
        bias = getattr(self, "bias") if self.use_bias else None
        return self.activation(_affine(inputs, self.kernel, bias))

    def get_config(self):
        config = super().get_config()
        config.update({k: getattr(self, k) for k in ("units", "use_bias")})
        config["activation"] = keras.activations.serialize(self.activation)
        print(f"config of {self.name}: {sorted(config)}")
        return config
'''

VALID = {
    "einsum": "y = keras.ops.einsum('...i,ij->...j', x, w)\n",
    "loops": ("def matmul(a, b):\n    rows = []\n    for i in range(len(a)):\n"
              "        rows.append([sum(a[i][k] * b[k][j] for k in range(len(b)))\n"
              "                     for j in range(len(b[0]))])\n    return rows\n"),
    "helpers_and_literal_getattr": HELPERS,
    "other_keras_names": ("from keras import ops\nfrom keras import layers\n"
                          "class Mine(layers.Layer):\n    pass\n"
                          "act = keras.activations.get('relu')\ny = ops.matmul(a, b)\n"
                          "init = keras.initializers.get('zeros')\n"),
    "jax_and_numpy": ("import jax.numpy as jnp\nimport numpy as np\n"
                      "y = jnp.tensordot(x, w, axes=1) + np.zeros(3)\n"),
    "vars_of_self_and_literal_keys": ("class A:\n    def keys(self):\n"
                                      "        return sorted(vars(self)), self.__dict__.get('x')\n"
                                      "value = globals()['np']\n"),
    "time_magic_with_ordinary_code": "%time y = keras.ops.matmul(a, b)\n",
    "does_not_parse": "def broken(:\n",  # the cell fails at run time instead
}


def _cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _solution_notebook():
    return nbformat.read(SOLUTIONS / "01_dense" / "01_dense.ipynb", as_version=4)


@pytest.mark.parametrize("name", list(DISGUISED))
def test_each_disguised_shortcut_is_refused_and_named(name):
    source, forbidden, line, named = DISGUISED[name]
    findings = static.scan(source, forbidden)
    assert findings, f"{name}: not refused"
    first = findings[0]
    assert first.line == line, findings
    assert named in f"{first.name} {first.describe()}", findings


@pytest.mark.parametrize("name", list(VALID))
def test_each_valid_alternative_is_accepted(name):
    assert static.scan(VALID[name], DENSE) == []


@pytest.mark.parametrize("grade_id", ["dense_solution", "classifier_solution"])
def test_the_reference_solution_cells_are_accepted(grade_id):
    source = _cell(_solution_notebook(), grade_id).source
    assert "keras.ops.matmul" in source or "Sequential" in source
    assert static.scan(source, DENSE) == []


def test_a_finding_names_the_line_and_says_what_to_do():
    finding = static.scan("import keras.layers as L\n\nx = 1\nBase = L.Dense\n", DENSE)[0]
    text = finding.describe()
    assert "line 4" in text and "`Base = L.Dense`" in text and "keras.layers.Dense" in text
    assert "keras.ops" in text
    dynamic = static.scan("k = input()\nBase = getattr(keras.layers, k)\n", DENSE)[0]
    assert dynamic.kind == "dynamic" and "line 2" in dynamic.describe()
    assert "computed attribute name" in dynamic.describe()


# ------------------------------------------------------------------- which tests a finding zeroes


def _graded(solution_code: dict[str, str]):
    nb = _solution_notebook()
    for grade_id, code in solution_code.items():
        _cell(nb, grade_id).source = code
    return static.Notebook(static.code_cells(nb))


def _manifest_forbidden():
    """What the instructor's run of 01_dense records: the layer checks forbid DENSE."""
    return {"dense_relu": DENSE, "dense_variants": DENSE}


def test_a_shortcut_in_the_dense_cell_zeroes_the_dense_tests_only():
    original = _cell(_solution_notebook(), "dense_solution").source
    shortcut = original.replace("keras.ops.matmul(inputs, self.kernel)",
                                "keras.layers.Dense(self.units, use_bias=False)(inputs)")
    assert shortcut != original
    refused = static.refusals(_graded({"dense_solution": shortcut}), _manifest_forbidden())
    assert set(refused) == {"dense_relu", "dense_variants"}
    message = refused["dense_relu"]
    assert "your cell 'dense_solution'" in message and "keras.layers.Dense" in message
    line = original.splitlines().index(
        next(s for s in original.splitlines() if "keras.ops.matmul" in s)) + 1
    assert f"line {line}" in message


def test_a_shortcut_in_the_classifier_cell_does_not_zero_the_dense_tests():
    classifier = ("def build_digit_classifier():\n    model = keras.Sequential([\n"
                  "        keras.Input(shape=(64,)), keras.layers.Dense(32, activation='relu'),\n"
                  "        keras.layers.Dense(10, activation='softmax')])\n"
                  "    model.compile('adam', 'sparse_categorical_crossentropy', ['accuracy'])\n"
                  "    return model\n")
    notebook = _graded({"classifier_solution": classifier})
    assert static.refusals(notebook, _manifest_forbidden()) == {}
    # ... but it does zero a check, in any later cell, whose case forbids it
    forbidden = _manifest_forbidden() | {"classifier_accuracy": DENSE}
    refused = static.refusals(notebook, forbidden)
    assert set(refused) == {"classifier_accuracy"}
    assert "your cell 'classifier_solution'" in refused["classifier_accuracy"]


def test_the_honest_solution_is_refused_nowhere():
    assert static.refusals(_graded({}), _manifest_forbidden()) == {}


def test_forbidden_names_come_from_the_manifest():
    manifest = [
        {"cell": "a", "index": 0, "kind": "layer", "args": {"forbidden": ["keras.layers.Dense"]}},
        {"cell": "a", "index": 1, "kind": "layer", "args": {"forbidden": ["keras.src", 3]}},
        {"cell": "b", "index": 0, "kind": "accuracy", "args": {"at_least": 0.9}},
        "garbage",
    ]
    assert static.forbidden_by_cell(manifest) == {"a": ["keras.layers.Dense", "keras.src"]}


def _tiny_notebook(*cells):
    """cells: (kind, grade_id, source) with kind 'code', 'solution' or 'test'."""
    nb = nbformat.v4.new_notebook()
    for kind, grade_id, source in cells:
        cell = nbformat.v4.new_code_cell(source)
        if kind != "code":
            cell.metadata["nbgrader"] = {"grade_id": grade_id, "solution": kind == "solution",
                                         "grade": kind == "test", "points": 1}
        nb.cells.append(cell)
    return static.Notebook(static.code_cells(nb))


def test_aliases_and_dependencies_cross_cells():
    notebook = _tiny_notebook(
        ("code", None, "import keras"),
        ("solution", "helpers", "import keras.layers as L\n"),
        ("solution", "layer", "class Mine(L.Layer):\n    def call(self, x):\n"
                              "        return L.Dense(2)(x)\n"),
        ("test", "layer_test", "checks.check_layer(Mine(), keras.layers.Dense(2), (2, 3))"),
        ("solution", "unrelated", "from keras.layers import Dense as D\n"),
        ("test", "late_test", "checks.check_layer(Mine(), keras.layers.Dense(2), (2, 3))"),
    )
    refused = static.refusals(notebook, {"layer_test": DENSE, "late_test": DENSE})
    assert set(refused) == {"layer_test", "late_test"}
    assert "your cell 'layer'" in refused["layer_test"] and "line 3" in refused["layer_test"]
    assert notebook.dependencies(3) == [0, 1, 2]


def test_a_cell_with_dynamic_access_is_needed_by_every_later_test():
    notebook = _tiny_notebook(
        ("solution", "hidden", "exec('Mine = 1')\n"),
        ("test", "t", "checks.check_layer(Mine(), keras.layers.Dense(2), (2, 3))"),
    )
    refused = static.refusals(notebook, {"t": DENSE})
    assert "exec" in refused["t"] and "your cell 'hidden'" in refused["t"]


# ----------------------------------------------------------------- an earlier cell's error


IPYTHON_TRACEBACK = [  # what the kernel sends for a NameError (colours included)
    "\x1b[31m---------------------------------------------------------------------------\x1b[39m",
    "\x1b[31mNameError\x1b[39m                                 Traceback (most recent call last)",
    "\x1b[36mCell\x1b[39m\x1b[36m \x1b[39m\x1b[32mIn[7]\x1b[39m\x1b[32m, line 2\x1b[39m\n"
    "\x1b[32m----> \x1b[39m\x1b[32m2\x1b[39m model = build_digit_classifier()\n",
    "\x1b[36mCell\x1b[39m\x1b[36m \x1b[39m\x1b[32mIn[6]\x1b[39m\x1b[32m, line 3\x1b[39m, in "
    "\x1b[36mbuild_digit_classifier\x1b[39m\x1b[34m()\x1b[39m\n",
    "\x1b[31mNameError\x1b[39m: name 'Dense' is not defined",
]


def test_the_harness_keeps_the_cell_frames_without_colours():
    frames = harness.cell_frames(IPYTHON_TRACEBACK)
    assert frames == ["Cell In[7], line 2", "Cell In[6], line 3, in build_digit_classifier"]
    assert static.frames_of(frames) == ((7, 2, ""), (6, 3, "build_digit_classifier"))


def test_a_check_stopped_by_an_earlier_cell_names_that_cell():
    nb = _solution_notebook()
    classifier = _cell(nb, "classifier_solution")
    classifier.source = ("\n\ndef build_digit_classifier():\n    model = keras.Sequential()\n"
                         "    model.add(Dense(32))\n    return model\n")  # IPython drops 2 lines
    notebook = static.Notebook(static.code_cells(nb))
    index = {c.grade_id: i for i, c in enumerate(notebook.cells) if c.grade_id}
    fit = index["classifier_solution"] + 1  # the cell that calls build_digit_classifier()
    assert "build_digit_classifier()" in notebook.cells[fit].source
    errors = {
        fit: static.CellError("NameError", "name 'Dense' is not defined",
                              ((20, 2, ""), (19, 3, "build_digit_classifier"))),
        index["classifier_accuracy"]: static.CellError("NameError",
                                                       "name 'model' is not defined"),
    }
    counts = {19: index["classifier_solution"], 20: fit}
    own, earlier = static.explain_errors(notebook, errors, counts)
    message = earlier["classifier_accuracy"]
    assert "raised NameError: name 'Dense' is not defined earlier" in message
    assert "your cell 'classifier_solution' (line 5, in build_digit_classifier: " \
           "`model.add(Dense(32))`)" in message
    assert "fix that first" in message and "name 'model' is not defined" in message
    assert "dense_relu" not in earlier  # nothing it needs failed
    manifest = [{"cell": "classifier_accuracy", "index": 0, "kind": "architecture", "args": {}}]
    result = verdicts.score(manifest, [], {"classifier_accuracy": 2.0}, "n", own, {}, earlier)
    assert result["classifier_accuracy"].score == 0.0
    assert result["classifier_accuracy"].message == f"check 1: this check did not run: {message}"


def test_the_release_explains_its_own_errors():
    """The untouched release: the Dense test names the student's line that raised."""
    nb = nbformat.read(COURSE / "01_dense" / "01_dense.ipynb", as_version=4)
    notebook = static.Notebook(static.code_cells(nb))
    index = {c.grade_id: i for i, c in enumerate(notebook.cells) if c.grade_id}
    init_line = next(n for n, s in enumerate(notebook.cells[index["dense_solution"]].source
                                             .splitlines(), 1) if "NotImplementedError" in s)
    errors = {index["dense_relu"]: static.CellError(
        "NotImplementedError", "", ((9, 2, ""), (8, init_line, "__init__")))}
    own, earlier = static.explain_errors(notebook, errors, {8: index["dense_solution"], 9:
                                                            index["dense_relu"]})
    assert own["dense_relu"].startswith("NotImplementedError, in your cell 'dense_solution' "
                                        f"(line {init_line}, in __init__")
    assert earlier == {}


# ------------------------------------------------------------------------- plain messages


def test_no_ansi_escape_reaches_messages_grades_or_feedback(tmp_path):
    coloured = "\x1b[31mValueError\x1b[39m: \x1b[1mbad\x1b[0m shape\x07"
    assert static.plain(coloured) == "ValueError: bad shape"
    manifest = [{"cell": "c", "index": 0, "kind": "layer", "args": {}}]
    records = [{"cell": "c", "index": 0, "kind": "layer", "payload": {"failure": coloured}}]
    result = verdicts.score(manifest, records, {"c": 1.0}, "n")["c"]
    assert result.message == "check 1: ValueError: bad shape"
    refused = verdicts.score(manifest, records, {"c": 1.0}, "n", refused={"c": coloured})["c"]
    assert refused.score == 0.0 and refused.message == "ValueError: bad shape"
    student = {"score": 0.0, "status": "graded", "message": coloured,
               "tests": {"c": {"score": 0.0, "max_score": 1.0, "message": coloured}}}
    reports.write_grades(tmp_path, "a", 1.0, {"s": student}, ["c"])
    page = reports.write_feedback(tmp_path, "a", "s", student, {"c_solution": coloured})
    for path in (tmp_path / "grades.json", tmp_path / "grades.csv", page):
        text = path.read_text()
        assert "\x1b" not in text and "\x07" not in text and "bad shape" in text
    assert json.loads((tmp_path / "grades.json").read_text())["students"]["s"]["message"] == \
        "ValueError: bad shape"


def test_a_refusal_wins_over_passing_evidence():
    """A refused cell scores zero without its evidence being judged."""
    manifest = [{"cell": "c", "index": 0, "kind": "layer", "args": {}}]
    result = verdicts.score(manifest, [], {"c": 1.0, "d": 1.0}, "n",
                            refused={"c": "refused without running the check: ..."})
    assert result["c"].score == 0.0 and result["c"].message.startswith("refused")
    assert "the instructor's run recorded no check" in result["d"].message
