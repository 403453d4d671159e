"""Model checks: architecture, accuracy, predictions, history, style, saved file.

Each is a case (the check's arguments), a collect that reads the student's model,
and a registered judge that decides from the payload and the case alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from .. import evidence
from ._compare import ATOL, RTOL, compare_arrays
from ._protocol import CheckFailure, CheckUsageError, register, run
from ._student import as_numpy, run_student


def _require_model(obj, role: str = "model") -> None:
    if not isinstance(obj, keras.Model):
        raise CheckUsageError(f"{role} must be a keras.Model; got {type(obj).__name__}.")


# --------------------------------------------------------------------------------- models
# Each model check: argument validation, a student side that reads the student's model
# (its evidence), and a judge that decides from the evidence and the check's arguments.


def _layer_summary(layer) -> list:
    try:
        shape = list(layer.output.shape)
    except Exception:
        shape = None
    return [type(layer).__name__, shape, int(layer.count_params()) if layer.built else 0,
            layer.name]


def _architecture_evidence(model) -> dict:
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    return {"built": bool(model.built), "layers": [_layer_summary(layer) for layer in layers]}


@register("architecture")
def _judge_architecture(args, payload, seed=None) -> str:
    expected_layers = args["expected"]
    if not payload["built"]:
        raise CheckFailure(
            "the model is not built yet: give it an input shape (keras.Input) or call it once."
        )
    layers = payload["layers"]
    if len(layers) != len(expected_layers):
        got_types = ", ".join(layer[0] for layer in layers) or "none"
        raise CheckFailure(
            f"the model has {len(layers)} layer(s) ({got_types}); expected "
            f"{len(expected_layers)} ({', '.join(e[0] for e in expected_layers)})."
        )
    for index, ((got_kind, got_shape, got_params, name), (kind, shape, params)) in enumerate(
        zip(layers, expected_layers, strict=True), start=1
    ):
        where = f"layer {index} ({name!r})"
        if got_kind != kind:
            raise CheckFailure(f"{where} is a {got_kind}; expected a {kind}.")
        if shape is not None and got_shape is not None and tuple(got_shape) != tuple(shape):
            raise CheckFailure(
                f"{where} has output shape {tuple(got_shape)}; expected {tuple(shape)}."
            )
        if params is not None and got_params != params:
            raise CheckFailure(f"{where} has {got_params} parameters; expected {params}.")
    total = sum(int(e[2] or 0) for e in expected_layers)
    return f"architecture: {len(layers)} layers as specified, {total} parameters"


def check_architecture(model, expected_layers: Sequence[tuple]) -> None:
    """Check a built model's layers, in order, against (type name, output shape, params).

    expected_layers: e.g. [("Dense", (None, 32), 2080), ("Dense", (None, 10), 330)].
    InputLayer is skipped. Output shapes include the batch dimension as None; None
    for a shape or a count skips that comparison.
    """
    _require_model(model)
    args = {"expected": [[k, list(s) if s is not None else None, p]
                         for k, s, p in expected_layers]}
    run("architecture", args, lambda _: _architecture_evidence(model))


def _predict(model, x, what="model.predict(x)"):
    return as_numpy(run_student(what, model.predict, x, verbose=0), what)


@register("accuracy")
def _judge_accuracy(args, payload, seed=None) -> str:
    y, at_least = np.asarray(args["y"]), args["at_least"]
    if payload.get("x_digest") != args["x_digest"]:
        raise CheckFailure("the predictions were made on other inputs than the check's.")
    probabilities = np.asarray(payload["predictions"])
    if probabilities.ndim != 2 or probabilities.shape[0] != len(y):
        raise CheckFailure(
            f"the model's predictions have shape {probabilities.shape}; expected "
            f"({len(y)}, number_of_classes)."
        )
    if probabilities.shape[1] < 2:
        raise CheckFailure(
            f"the model's predictions have shape {probabilities.shape}: with one output unit "
            "argmax always says class 0. End the model with one unit per class and "
            "activation=\"softmax\"."
        )
    if not np.all(np.isfinite(probabilities)):
        raise CheckFailure(
            "the model predicts NaN or infinity: training diverged (learning rate too high?)."
        )
    accuracy = float(np.mean(np.argmax(probabilities, axis=1) == y))
    if accuracy < at_least:
        raise CheckFailure(
            f"held-out accuracy is {accuracy:.3f}, below the required {at_least:.2f}. "
            "Train for more epochs, or check the loss (integer labels need "
            "sparse_categorical_crossentropy) and the output activation (softmax)."
        )
    return f"held-out accuracy >= {at_least:.2f} on {len(y)} examples"


def check_accuracy(model, x, y, at_least: float) -> None:
    """Check classification accuracy on held-out data: argmax(model(x)) == y.

    x: inputs the model accepts; y: integer labels (n,); at_least: threshold in [0, 1].
    """
    _require_model(model)
    y = np.asarray(y)
    if y.ndim != 1:
        raise CheckUsageError(f"y must be integer labels of shape (n,); got shape {y.shape}.")
    if not 0.0 <= at_least <= 1.0:
        raise CheckUsageError(f"at_least must be in [0, 1]; got {at_least}.")
    args = {"y": y.astype("int64"), "at_least": float(at_least), "x_digest": evidence.digest(x)}

    def student_side(_):
        return {"predictions": _predict(model, x), "x_digest": evidence.digest(x)}

    run("accuracy", args, student_side)


@register("same_predictions")
def _judge_same_predictions(args, payload, seed=None) -> str:
    if payload.get("x_digest") != args["x_digest"]:
        raise CheckFailure("the predictions were made on other inputs than the check's.")
    expected, got = np.asarray(payload["first"]), np.asarray(payload["second"])
    compare_arrays(
        "the second model's predict(x)", got, expected, args["rtol"], args["atol"],
        against="the first model's predict(x)",
    )
    return f"both models give the same predictions on {len(expected)} examples"


def check_same_predictions(model, other, x, *, rtol: float = RTOL, atol: float = ATOL) -> None:
    """Check two models give the same predictions on x (e.g. after save and load)."""
    _require_model(model, "model")
    _require_model(other, "other")
    args = {"rtol": rtol, "atol": atol, "x_digest": evidence.digest(x)}

    def student_side(_):
        return {"first": _predict(model, x),
                "second": _predict(other, x, "the second model's predict(x)"),
                "x_digest": evidence.digest(x)}

    run("same_predictions", args, student_side)


@register("history")
def _judge_history(args, payload, seed=None) -> str:
    metrics, epochs = args["metrics"], args["epochs"]
    if not payload["is_history"]:
        raise CheckFailure(
            f"expected the History object that model.fit returns; got {payload['type']}."
        )
    recorded = payload["history"]
    for name in metrics:
        if name not in recorded:
            raise CheckFailure(
                f"history.history has no {name!r}; it has {sorted(recorded)}. "
                "Compile with the metric and pass validation data to fit."
            )
        if len(recorded[name]) != epochs:
            raise CheckFailure(
                f"history.history[{name!r}] has {len(recorded[name])} values; expected one per "
                f"epoch ({epochs})."
            )
    return f"history has {', '.join(metrics)} for {epochs} epochs"


def check_history(history, metrics: Sequence[str], epochs: int) -> None:
    """Check a keras.callbacks.History recorded `metrics` for `epochs` epochs.

    metrics: names such as ["loss", "val_accuracy"], or a single name.
    """
    if isinstance(metrics, str):
        metrics = [metrics]  # not its characters
    args = {"metrics": list(metrics), "epochs": int(epochs)}

    def student_side(_):
        is_history = isinstance(history, keras.callbacks.History)
        record = {k: [float(v) for v in values] for k, values in history.history.items()} \
            if is_history else {}
        return {"is_history": is_history, "type": type(history).__name__, "history": record}

    run("history", args, student_side)


#: How each way of writing a model shows in its type.
MODEL_STYLES = ("sequential", "functional", "subclassed")


def model_style(model) -> str:
    """'sequential', 'functional' or 'subclassed' (a keras.Model subclass with its own call)."""
    if isinstance(model, keras.Sequential):
        return "sequential"
    if type(model).__name__ == "Functional" and type(model).__module__.startswith("keras."):
        return "functional"
    return "subclassed"


_HOW = {
    "sequential": "keras.Sequential([...])",
    "functional": "keras.Model(inputs, outputs) from keras.Input and layer calls",
    "subclassed": "a subclass of keras.Model with layers made in __init__ and used in call",
}


@register("model_style")
def _judge_model_style(args, payload, seed=None) -> str:
    style, got = args["style"], payload["style"]
    if got != style:
        raise CheckFailure(
            f"the model is {got}; this exercise asks for a {style} model: {_HOW[style]}."
        )
    if style == "subclassed" and not payload["defines_call"]:
        raise CheckFailure(f"{payload['class_name']} does not define call(self, inputs).")
    return f"{style} model"


def check_model_style(model, style: str) -> None:
    """Check a model was written the asked way: sequential, functional or subclassed."""
    _require_model(model)
    if style not in MODEL_STYLES:
        raise CheckUsageError(f"style must be one of {MODEL_STYLES}; got {style!r}.")
    args = {"style": style}

    def student_side(_):
        return {"style": model_style(model), "defines_call": "call" in vars(type(model)),
                "class_name": type(model).__name__}

    run("model_style", args, student_side)


@register("saved_model_file")
def _judge_saved_model_file(args, payload, seed=None) -> str:
    name = payload["name"]
    if payload["suffix"] != ".keras":
        raise CheckFailure(f"{name} should end in .keras, the Keras 3 saving format.")
    if not payload["is_file"]:
        raise CheckFailure(f"no file at {payload['path']}: was model.save(path) called?")
    if not payload["is_zip"]:
        raise CheckFailure(f"{name} is not a .keras archive (a zip file).")
    missing = {"config.json", "model.weights.h5"} - set(payload["names"])
    if missing:
        raise CheckFailure(f"{name} lacks {sorted(missing)}; save it with model.save(path).")
    return f"{name} is a .keras archive (config.json, model.weights.h5)"


def check_saved_model_file(path) -> None:
    """Check `path` is a Keras 3 `.keras` archive (zip with config.json and model.weights.h5)."""
    import zipfile
    from pathlib import Path

    path = Path(path)

    def student_side(_):
        is_file = path.is_file()
        is_zip = is_file and zipfile.is_zipfile(path)
        names = zipfile.ZipFile(path).namelist() if is_zip else []
        return {"name": path.name, "path": str(path), "suffix": path.suffix,
                "is_file": is_file, "is_zip": is_zip, "names": names}

    run("saved_model_file", {}, student_side)


