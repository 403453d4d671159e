"""kcourse.reference: same text as the solution notebooks, same behaviour as Keras."""

import importlib
import pkgutil

import keras
import numpy as np
import pytest
from course_files import ROOT, read, solution_notebooks

import kcourse.reference
from kcourse import checks
from kcourse.authoring import nbgrader_cells, without_markers

REFERENCE_MODULES = [
    importlib.import_module(f"kcourse.reference.{m.name}")
    for m in pkgutil.iter_modules(kcourse.reference.__path__)
]


def _normalise(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


@pytest.mark.parametrize("module", REFERENCE_MODULES, ids=lambda m: m.__name__)
def test_reference_has_the_notebook_solutions_verbatim(module):
    notebook = read(ROOT / module.SOURCE_NOTEBOOK)
    source = _normalise((ROOT / "src" / "kcourse" / "reference" /
                         f"{module.__name__.rsplit('.', 1)[1]}.py").read_text())
    cells = nbgrader_cells(notebook, "solution")
    assert cells, f"{module.SOURCE_NOTEBOOK} has no solution cells"
    for cell in cells:
        code = _normalise(without_markers(cell.source))
        assert code in source, (
            f"solution cell {cell.metadata.nbgrader.grade_id} of {module.SOURCE_NOTEBOOK} "
            f"differs from {module.__name__}; copy the cell (without markers) into the module"
        )


def test_every_solution_notebook_has_a_reference_module():
    covered = {module.SOURCE_NOTEBOOK for module in REFERENCE_MODULES}
    notebooks = {str(p.relative_to(ROOT)) for p in solution_notebooks()}
    assert notebooks == covered


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
