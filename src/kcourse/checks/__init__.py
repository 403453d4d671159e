"""Check a student's component against the built-in Keras component.

The student-facing API (what notebooks call):

    check_layer(student_layer, keras_layer, input_shape, *, contract=False, options=None)
        any layer against Keras; the family (stateless, stateful, stochastic,
        recurrent) is picked from the Keras layer
    check_architecture(model, expected_layers, *, own=(), compiled=None)
        each layer's class, shape, parameters and settings; own classes; compile settings
    check_accuracy(model, x, y, at_least, *, epochs_fixed=False)
        trained accuracy on held-out data, and the likely causes when it is low
    check_same_predictions(model_a, model_b, x, *, independent=True)
        e.g. a model and its reloaded copy (another object, loaded from the file)
    check_history(history, metrics, epochs, *, train_size=None, batch_size=None,
                  validation_data=None)
        what `fit` recorded, its optimizer steps and its validation data
    check_model_style(model, style, *, name=None)
        sequential, functional or subclassed (and keyword arguments reaching Keras)
    check_saved_model_file(path)
        a Keras 3 .keras archive
    check_function(student_fn, keras_fn, inputs, *, kwargs=None, gradients=True,
                   dtypes=("float32",), extreme=False, seed=0, label=None,
                   forbidden=None, rtol=None, atol=None)
        a function against a Keras function (keras.activations.X, keras.ops.X): values,
        shape, dtype, gradients, per dtype, and on inputs near +-1000 (checks/functions.py)
    check_derivative(student_derivative, keras_fn, input_shape, *, kwargs=None, ...)
        a hand-written derivative against autodiff of an elementwise Keras function
    progress(notebook_file)
        the last cell of every notebook: each exercise's test cells, passed / failed /
        not run in this kernel, and the points that pass (kcourse/progress.py)

A check either prints one line starting with ✔ saying what it verified, or
raises `CheckFailure` (an AssertionError, so nbgrader marks the cell failed)
with a message a student can act on. Wrong arguments raise `CheckUsageError`.

Every check follows one protocol, case -> collect -> judge (checks/_protocol.py;
README.md beside this file says how to add a kind of check). The grader calls
`judge_case(kind, case, payload, seed)`, the same judge the notebook runs.
"""

from ..progress import progress, watch_cells
from ._compare import ATOL, GRAD_ATOL, GRAD_RTOL, RTOL
from ._protocol import JUDGES, PASS_MARK, CheckFailure, CheckUsageError, judge_case, register
from ._student import explain_unfinished_exercises
from .functions import check_derivative, check_function, compare_functions
from .layers import (
    FAMILIES,
    builtin_layer_from_config,
    check_layer,
    compare_layers,
    family_of,
    register_family,
)
from .models import (
    MODEL_STYLES,
    check_accuracy,
    check_architecture,
    check_history,
    check_model_style,
    check_same_predictions,
    check_saved_model_file,
    model_style,
)
from .shortcuts import refuse_shortcuts, uses_reference_module

# Each family module registers itself on import.
from . import recurrent, stateful, stateless, stochastic  # noqa: E402,F401  isort: skip

watch_cells()  # records each cell run's success for progress()
explain_unfinished_exercises()  # an unfilled exercise's error: one friendly line

__all__ = [
    "progress",
    "ATOL", "RTOL", "GRAD_ATOL", "GRAD_RTOL", "PASS_MARK", "JUDGES", "FAMILIES",
    "CheckFailure", "CheckUsageError", "judge_case", "register", "register_family",
    "check_layer", "compare_layers", "family_of", "builtin_layer_from_config",
    "check_architecture", "check_accuracy", "check_same_predictions", "check_history",
    "check_model_style", "check_saved_model_file", "model_style", "MODEL_STYLES",
    "refuse_shortcuts", "uses_reference_module",
    "check_function", "check_derivative", "compare_functions",
]
