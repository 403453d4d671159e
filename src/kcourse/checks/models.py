"""Model checks: architecture and compile settings, accuracy, predictions, history, style, file.

Each is a case (the check's arguments, JSON-safe), a collect that reads the
student's model in the student's kernel (class names, configuration subsets,
compile settings, predictions), and a registered judge that decides from the
payload and the case alone.

    check_architecture(model, expected_layers, *, own=(), compiled=None)
        expected_layers: one (class name, output shape, parameters[, config subset])
        per layer, e.g. ("Dense", (None, 32), 2080, {"units": 32, "activation": "relu"});
        own: class names that must be the student's own classes, not Keras' built-ins;
        compiled: the compile settings the specification fixes, e.g.
        {"optimizer": "adam", "learning_rate": 1e-2,
         "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]}
    check_accuracy(model, x, y, at_least, *, epochs_fixed=False)
    check_same_predictions(model, other, x, *, independent=True)
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence

import keras
import numpy as np

from .. import evidence
from ._compare import ATOL, RTOL, compare_arrays
from ._protocol import CheckFailure, CheckUsageError, register, run
from ._student import as_numpy, run_student


def _require_model(obj, role: str = "model") -> None:
    if not isinstance(obj, keras.Model):
        raise CheckUsageError(f"{role} must be a keras.Model; got {type(obj).__name__}.")


# ------------------------------------------------------------------------ settings as JSON


def _jsonable(value):
    """A JSON-safe stand-in for a configuration value (functions by name, objects by class)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float | np.floating):
        return float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if callable(value) and hasattr(value, "__name__") and not hasattr(value, "get_config"):
        return value.__name__
    if hasattr(value, "get_config"):
        try:
            config = _jsonable(value.get_config())
        except Exception:
            config = None
        return {"class_name": type(value).__name__, "config": config}
    return str(value)


def _name_key(name) -> str:
    """'Adam', 'adam' -> 'adam'; 'SparseCategoricalCrossentropy' == 'sparse_categorical_...'."""
    return "".join(ch for ch in str(name).lower() if ch.isalnum())


def _same_setting(key: str, got, expected) -> bool:
    """Whether a collected configuration value is the one the specification states."""
    if key == "activation":
        got = "linear" if got is None else got
        expected = "linear" if expected is None else expected
    if got == expected:
        return True
    if isinstance(expected, str):
        name = got.get("class_name") if isinstance(got, dict) else got
        return isinstance(name, str) and _name_key(name) == _name_key(expected)
    numbers = (int, float)
    if isinstance(expected, numbers) and isinstance(got, numbers) \
            and not isinstance(expected, bool) and not isinstance(got, bool):
        return math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-12)
    return False


def _show(value) -> str:
    if isinstance(value, dict) and "class_name" in value:
        return str(value["class_name"])
    if isinstance(value, float):
        return f"{value:.6g}"
    return repr(value)


def _json_case_value(value, what: str):
    value = _jsonable(value)
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        raise CheckUsageError(f"{what} must be JSON-safe (names and numbers).") from None
    return value


# ------------------------------------------------------------------------ compile settings

_COMPILE_KEYS = ("optimizer", "learning_rate", "loss", "from_logits", "metrics")


def _loss_summary(loss) -> dict | None:
    """{'name', 'from_logits'} of a compile config's loss (a name, a function, a Loss)."""
    if loss is None:
        return None
    if isinstance(loss, str):
        return {"name": loss, "from_logits": False}
    if isinstance(loss, dict):
        config = loss.get("config")
        if loss.get("class_name") == "function" and isinstance(config, str):
            return {"name": config, "from_logits": False}
        from_logits = config.get("from_logits") if isinstance(config, dict) else None
        return {"name": str(loss.get("class_name")), "from_logits": from_logits}
    return {"name": str(_jsonable(loss)), "from_logits": None}


def _metric_names(metrics) -> list[list[str]]:
    """[[name, class name], ...] of a compile config's metrics."""
    found = []
    if isinstance(metrics, dict):
        metrics = [m for values in metrics.values() for m in (
            values if isinstance(values, list) else [values])]
    for metric in metrics or []:
        if isinstance(metric, list):
            found += _metric_names(metric)
        elif isinstance(metric, str):
            found.append([metric, metric])
        elif isinstance(metric, dict):
            config = metric.get("config")
            name = config.get("name") if isinstance(config, dict) else config
            found.append([str(name or metric.get("class_name")), str(metric.get("class_name"))])
        else:
            found.append([str(metric), str(metric)])
    return found


def _compile_settings(model) -> dict:
    """Student side: the optimizer, learning rate, loss and metrics the model was compiled with."""
    if not getattr(model, "compiled", False):
        return {"compiled": False}
    optimizer = getattr(model, "optimizer", None)
    try:
        config = model.get_compile_config() or {}
    except Exception:  # an unserialisable custom loss or metric
        config = {"loss": _jsonable(getattr(model, "loss", None)), "metrics": None}
    settings = {"compiled": True, "optimizer": type(optimizer).__name__ if optimizer else None,
                "optimizer_module": type(optimizer).__module__ if optimizer else None,
                "learning_rate": None, "schedule": None, "steps": None,
                "loss": _loss_summary(config.get("loss")),
                "metrics": _metric_names(config.get("metrics"))}
    if optimizer is not None:
        schedule = getattr(optimizer, "_learning_rate", None)
        if isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
            settings["schedule"] = type(schedule).__name__
        try:
            settings["learning_rate"] = float(
                np.asarray(keras.ops.convert_to_numpy(optimizer.learning_rate)))
            settings["steps"] = int(np.asarray(keras.ops.convert_to_numpy(optimizer.iterations)))
        except Exception:
            pass
    return settings


def _compiled_case(compiled) -> dict | None:
    """The JSON-safe compile specification of a check (an optimizer instance is read)."""
    if compiled is None:
        return None
    if not isinstance(compiled, Mapping):
        raise CheckUsageError(
            "compiled must be a dict such as {'optimizer': 'adam', 'loss': "
            "'sparse_categorical_crossentropy', 'metrics': ['accuracy']}."
        )
    unknown = sorted(set(compiled) - set(_COMPILE_KEYS))
    if unknown:
        raise CheckUsageError(f"compiled has unknown keys {unknown}; use {list(_COMPILE_KEYS)}.")
    spec = dict(compiled)
    optimizer = spec.get("optimizer")
    if isinstance(optimizer, keras.optimizers.Optimizer):
        spec["optimizer"] = type(optimizer).__name__
        if "learning_rate" not in spec:
            spec["learning_rate"] = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
    if isinstance(spec.get("metrics"), str):
        spec["metrics"] = [spec["metrics"]]  # not its characters
    return _json_case_value(spec, "compiled")


def _describe_compile(settings: dict) -> str:
    if not settings or not settings.get("compiled"):
        return "not compiled"
    loss = settings.get("loss") or {}
    rate = settings.get("learning_rate")
    parts = [f"optimizer {settings.get('optimizer')}"
             + (f" (learning rate {rate:.3g})" if rate is not None else ""),
             f"loss {loss.get('name')!r}" if loss else "no loss",
             "metrics " + (", ".join(m[0] for m in settings.get("metrics") or []) or "none")]
    return "compiled with " + ", ".join(parts)


def _describe_spec(spec: dict) -> str:
    parts = []
    if "optimizer" in spec:
        parts.append(f"optimizer={spec['optimizer']!r}")
    if "learning_rate" in spec:
        parts.append(f"learning rate {spec['learning_rate']:g}")
    for key in ("loss", "from_logits", "metrics"):
        if key in spec:
            parts.append(f"{key}={spec[key]!r}")
    return ", ".join(parts)


def _default_learning_rate(optimizer_name: str) -> float | None:
    try:
        optimizer = keras.optimizers.get(_name_key(optimizer_name))
        return float(keras.ops.convert_to_numpy(optimizer.learning_rate))
    except Exception:
        return None


def _judge_compiled(spec: dict, got: dict) -> str:
    """Compare the compile settings with the specification; the verified phrase."""
    if not got or not got.get("compiled"):
        raise CheckFailure(
            f"the model is not compiled; the specification asks for {_describe_spec(spec)}: "
            "call model.compile(optimizer=..., loss=..., metrics=...)."
        )
    verified = []
    if "optimizer" in spec:
        name, expected = got.get("optimizer"), spec["optimizer"]
        if not _same_setting("optimizer", name, expected):
            hint = (" RMSprop is what compile() uses when it is given no optimizer: pass the "
                    "optimizer argument." if _name_key(name) == "rmsprop" else "")
            raise CheckFailure(
                f"the model is compiled with the {name} optimizer; the specification asks for "
                f"optimizer={expected!r}.{hint}"
            )
        verified.append(str(name))
    if "learning_rate" in spec:
        rate, expected = got.get("learning_rate"), float(spec["learning_rate"])
        if got.get("schedule"):
            raise CheckFailure(
                f"the optimizer's learning rate is a {got['schedule']} schedule; the "
                f"specification asks for the constant learning_rate={expected:g}."
            )
        if rate is None or not math.isclose(rate, expected, rel_tol=1e-5):
            default = _default_learning_rate(got.get("optimizer") or "")
            note = (f" ({got.get('optimizer')}'s default, used when the optimizer is given by "
                    "name or without learning_rate)"
                    if default is not None and rate is not None
                    and math.isclose(rate, default, rel_tol=1e-5) else "")
            shown = "unknown" if rate is None else f"{rate:.3g}"
            raise CheckFailure(
                f"the optimizer's learning rate is {shown}{note}; the specification asks for "
                f"{expected:g}: pass keras.optimizers.{got.get('optimizer')}"
                f"(learning_rate={expected:g})."
            )
        verified[-1:] = [f"{verified[-1] if verified else 'optimizer'} "
                         f"(learning rate {expected:g})"]
    loss = got.get("loss")
    if "loss" in spec:
        expected = spec["loss"]
        if loss is None:
            raise CheckFailure(
                f"the model is compiled without a loss; the specification asks for "
                f"loss={expected!r}."
            )
        if not _same_setting("loss", loss["name"], expected):
            raise CheckFailure(
                f"the model is compiled with loss {loss['name']!r}; the specification asks for "
                f"loss={expected!r}."
            )
        verified.append(f"loss {expected}")
    if "loss" in spec or "from_logits" in spec:
        expected = bool(spec.get("from_logits", False))
        if loss is not None and loss.get("from_logits") is not None \
                and bool(loss["from_logits"]) != expected:
            raise CheckFailure(
                f"the loss is configured with from_logits={bool(loss['from_logits'])}; the "
                f"specification's loss has from_logits={expected}"
                + (" (the model's outputs are probabilities, not logits)." if not expected
                   else ".")
            )
    if "metrics" in spec:
        expected = list(spec["metrics"] or [])
        names = got.get("metrics") or []
        keys = [{_name_key(n) for n in pair} for pair in names]
        keys = [k | ({"accuracy"} if "acc" in k else set()) for k in keys]
        missing = [m for m in expected if not any(_name_key(m) in k for k in keys)]
        shown = [n[0] for n in names]
        if missing or len(names) != len(expected):
            have = f"with metrics {shown}" if shown else "without metrics"
            raise CheckFailure(
                f"the model is compiled {have}; the specification asks for "
                f"metrics={expected!r}."
            )
        verified.append("metrics " + ", ".join(expected))
    return "compiled with " + ", ".join(verified)


# ---------------------------------------------------------------------------- architecture


def _layer_config(layer, keys) -> dict:
    """The configuration entries `keys` of a layer: from get_config(), else its attributes."""
    if not keys:
        return {}
    try:
        config = layer.get_config()
    except Exception:
        config = None
    found = {}
    for key in keys:
        if isinstance(config, dict) and key in config:
            found[key] = _jsonable(config[key])
        elif hasattr(layer, key):
            found[key] = _jsonable(getattr(layer, key))
    return found


def _is_keras(cls) -> bool:
    return str(getattr(cls, "__module__", "")).split(".")[0] == "keras"


def _layer_summary(layer, keys) -> dict:
    try:
        shape = list(layer.output.shape)
    except Exception:
        shape = None
    cls = type(layer)
    return {"class_name": cls.__name__, "output_shape": shape,
            "params": int(layer.count_params()) if layer.built else 0, "name": layer.name,
            "builtin": _is_keras(cls),
            "keras_bases": [c.__name__ for c in cls.__mro__[1:] if _is_keras(c)],
            "config": _layer_config(layer, keys)}


def _architecture_evidence(model, case) -> dict:
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    expected = case["expected"] or []
    summaries = []
    for index, layer in enumerate(layers):
        spec = expected[index] if index < len(expected) else None
        keys = sorted((spec[3] or {}) if spec is not None and len(spec) > 3 else {})
        summaries.append(_layer_summary(layer, keys))
    payload = {"built": bool(model.built), "layers": summaries}
    if case.get("input_shape") is not None:
        payload["input_shape"] = _model_input_shape(model)
    if case.get("compiled") is not None:
        payload["compile"] = _compile_settings(model)
    return payload


def _model_input_shape(model) -> list | None:
    """The model's input shape, batch axis as None (None when it has no single input)."""
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        return None
    if not inputs or len(inputs) != 1:
        return None
    return [None if d is None else int(d) for d in inputs[0].shape]


def _as_summary(layer) -> dict:
    """A payload layer entry (also the older [class, shape, params, name] form)."""
    if isinstance(layer, dict):
        return layer
    kind, shape, params, name = layer
    return {"class_name": kind, "output_shape": shape, "params": params, "name": name,
            "builtin": None, "keras_bases": [], "config": {}}


def _judge_layer(index: int, got: dict, spec: list, own: Sequence[str]) -> None:
    kind, shape, params = spec[:3]
    config = spec[3] if len(spec) > 3 else None
    where = f"layer {index} ({got['name']!r})"
    if got["class_name"] != kind:
        raise CheckFailure(f"{where} is a {got['class_name']}; expected a {kind}.")
    if kind in own:
        if got.get("builtin"):
            raise CheckFailure(
                f"{where} is keras.layers.{kind}, Keras' built-in layer; this exercise asks "
                f"for your own {kind} class (the one you wrote above): use {kind}(...), not "
                f"keras.layers.{kind}(...)."
            )
        if kind in (got.get("keras_bases") or []):
            raise CheckFailure(
                f"{where} is your {kind}, but it subclasses Keras' built-in {kind}: write it "
                "from keras.layers.Layer."
            )
    got_shape = got.get("output_shape")
    if shape is not None and got_shape is not None and tuple(got_shape) != tuple(shape):
        raise CheckFailure(
            f"{where} has output shape {tuple(got_shape)}; expected {tuple(shape)}."
        )
    if params is not None and got["params"] != params:
        raise CheckFailure(f"{where} has {got['params']} parameters; expected {params}.")
    settings = got.get("config") or {}
    for key, expected in (config or {}).items():
        if key not in settings:
            raise CheckFailure(
                f"{where} has no {key!r} setting (neither in get_config() nor as an "
                f"attribute); the specification says {key}={_show(expected)}."
            )
        if not _same_setting(key, settings[key], expected):
            raise CheckFailure(
                f"{where} has {key}={_show(settings[key])}; the specification says "
                f"{key}={_show(expected)}."
            )


@register("architecture")
def _judge_architecture(case, payload, seed=None) -> list[str]:
    expected_layers = case["expected"]
    own = tuple(case.get("own") or ())
    if not payload["built"]:
        raise CheckFailure(
            "the model is not built yet: give it an input shape (keras.Input) or call it once."
        )
    layers = [_as_summary(layer) for layer in payload["layers"]]
    if len(layers) != len(expected_layers):
        got_types = ", ".join(layer["class_name"] for layer in layers) or "none"
        raise CheckFailure(
            f"the model has {len(layers)} layer(s) ({got_types}); expected "
            f"{len(expected_layers)} ({', '.join(e[0] for e in expected_layers)})."
        )
    expected_input = case.get("input_shape")
    if expected_input is not None:
        got_input = payload.get("input_shape")
        if got_input is None:
            raise CheckFailure(
                "the model has no single input: start it with keras.Input(shape="
                f"{tuple(expected_input[1:])})."
            )
        if list(got_input) != list(expected_input):
            raise CheckFailure(
                f"the model's input shape is {tuple(got_input)}; the specification says "
                f"{tuple(expected_input)} (keras.Input(shape={tuple(expected_input[1:])}): the "
                "shape of one example, without the batch axis)."
            )
    for index, (got, spec) in enumerate(zip(layers, expected_layers, strict=True), start=1):
        _judge_layer(index, got, spec, own)
    total = sum(int(e[2] or 0) for e in expected_layers)
    verified = [f"architecture: {len(layers)} layers as specified, {total} parameters"]
    if expected_input is not None:
        verified.append(f"input shape {tuple(expected_input)}")
    keys = sorted({k for e in expected_layers if len(e) > 3 for k in (e[3] or {})})
    if keys:
        verified.append(f"layer settings ({', '.join(keys)})")
    if own:
        verified.append(f"your own {', '.join(own)}")
    if case.get("compiled") is not None:
        verified.append(_judge_compiled(case["compiled"], payload.get("compile") or {}))
    return verified


def _expected_layer(entry, index: int) -> list:
    if not isinstance(entry, list | tuple) or len(entry) not in (3, 4):
        raise CheckUsageError(
            f"expected_layers[{index}] must be (class name, output shape, parameters) or "
            "(class name, output shape, parameters, {setting: value}); got "
            f"{entry!r}."
        )
    kind, shape, params, *rest = entry
    if not isinstance(kind, str):
        raise CheckUsageError(f"expected_layers[{index}][0] must be a class name such as 'Dense'.")
    layer = [kind, list(shape) if shape is not None else None,
             int(params) if params is not None else None]
    if rest:
        config = rest[0]
        if config is not None and not isinstance(config, Mapping):
            raise CheckUsageError(
                f"expected_layers[{index}][3] must be a dict of settings, e.g. "
                "{'units': 32, 'activation': 'relu'}."
            )
        layer.append(_json_case_value(dict(config or {}), f"expected_layers[{index}][3]"))
    return layer


def check_architecture(model, expected_layers: Sequence[tuple], *, own: Sequence[str] = (),
                       compiled: Mapping | None = None,
                       input_shape: Sequence | None = None) -> None:
    """Check a built model's layers, in order, and optionally how it was compiled.

    expected_layers: one entry per layer (InputLayer skipped),
        (class name, output shape, parameters) or
        (class name, output shape, parameters, {setting: value}), e.g.
        [("Dense", (None, 32), 2080, {"units": 32, "activation": "relu"}),
         ("Dense", (None, 10), 330, {"units": 10, "activation": "softmax"})].
        Output shapes include the batch dimension as None; None for a shape or a count
        skips that comparison. Settings are read from the layer's get_config() (else its
        attributes); names compare case- and underscore-insensitively.
    own: class names (e.g. ("Dense",)) that must be the student's own classes, neither
        Keras' built-in of that name nor a subclass of it.
    compiled: the compile settings the specification fixes, any of
        {"optimizer": "adam", "learning_rate": 1e-2, "loss": "sparse_categorical_crossentropy",
         "from_logits": False, "metrics": ["accuracy"]}.
    input_shape: the model's input shape with the batch axis as None, e.g. (None, 14, 14).
    """
    _require_model(model)
    if isinstance(own, str):
        own = (own,)  # not its characters
    if not all(isinstance(name, str) for name in own):
        raise CheckUsageError("own must be class names, e.g. own=('Dense',).")
    if isinstance(expected_layers, Mapping) or not isinstance(expected_layers, Sequence):
        raise CheckUsageError("expected_layers must be a list with one entry per layer.")
    if input_shape is not None and (
            isinstance(input_shape, str) or not isinstance(input_shape, Sequence)
            or not input_shape or input_shape[0] is not None
            or not all(d is None or isinstance(d, int) for d in input_shape)):
        raise CheckUsageError("input_shape must be a tuple whose first (batch) axis is None, "
                              "e.g. (None, 14, 14).")
    case = {"expected": [_expected_layer(e, i) for i, e in enumerate(expected_layers)],
            "own": list(own), "compiled": _compiled_case(compiled),
            "input_shape": None if input_shape is None else list(input_shape)}
    run("architecture", case, lambda _: _architecture_evidence(model, case))


# -------------------------------------------------------------------------------- accuracy


def _predict(model, x, what="model.predict(x)"):
    return as_numpy(run_student(what, model.predict, x, verbose=0), what)


def _output_activation(model) -> str | None:
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    if not layers:
        return None
    found = _layer_config(layers[-1], ["activation"]).get("activation")
    return found if isinstance(found, str) else None


def _zero_kernels(model) -> list[str]:
    """Paths of the model's trainable weights with 2 or more axes that are all zeros."""
    found = []
    for weight in model.trainable_weights:
        if len(weight.shape) >= 2 and not np.any(keras.ops.convert_to_numpy(weight)):
            found.append(str(getattr(weight, "path", weight.name)))
    return found


def _accuracy_causes(case, payload, probabilities, y) -> list[str]:
    """The causes of a low accuracy that the evidence supports, most telling first."""
    causes = []
    settings = payload.get("compile") or {}
    predicted = np.argmax(probabilities, axis=1)
    if not settings.get("compiled"):
        causes.append("the model is not compiled, so it was never trained: compile it and fit "
                      "this very model object.")
    elif settings.get("steps") == 0:
        causes.append("its optimizer made 0 steps: this model was never trained. Fit the model "
                      "you pass to the check, not a copy or a new one.")
    zeros = payload.get("zero_kernels") or []
    if zeros:
        causes.append(
            f"the weights {', '.join(zeros)} are all zeros: weights that start at zero give "
            "every unit the same value and gradient, so the network cannot learn. Kernels "
            "start from a random initializer (glorot_uniform)."
        )
    if len(predicted) > 1 and np.all(predicted == predicted[0]):
        causes.append(f"it predicts class {int(predicted[0])} for every example.")
    loss = settings.get("loss") or {}
    loss_key = _name_key(loss.get("name", ""))
    if settings.get("compiled") and not loss:
        causes.append("it is compiled without a loss.")
    elif loss_key and "crossentropy" not in loss_key:
        causes.append(f"it is compiled with loss {loss['name']!r}: integer labels 0 to k-1 "
                      "need 'sparse_categorical_crossentropy'.")
    in_range = np.all(probabilities >= -1e-6) and np.all(probabilities <= 1 + 1e-6)
    sums = probabilities.sum(axis=1)
    if not (in_range and np.allclose(sums, 1.0, atol=1e-3)):
        activation = payload.get("output_activation")
        measured = (f"its outputs are not probabilities (values from "
                    f"{probabilities.min():.3g} to {probabilities.max():.3g}, rows summing to "
                    f"{sums.min():.3g} to {sums.max():.3g})")
        if activation == "softmax":
            causes.append(f"{measured} although the last layer is configured with "
                          "activation='softmax': does its call() apply self.activation?")
        elif activation is not None:
            causes.append(f"{measured}: the last layer has activation={activation!r}; the loss "
                          "expects probabilities, so end the model with activation='softmax'.")
        else:
            causes.append(f"{measured}: end the model with activation='softmax'.")
    return causes


@register("accuracy")
def _judge_accuracy(case, payload, seed=None) -> str:
    y, at_least = np.asarray(case["y"]), case["at_least"]
    if payload.get("x_digest") != case["x_digest"]:
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
    if accuracy >= at_least:
        return f"held-out accuracy >= {at_least:.2f} on {len(y)} examples"
    settings = payload.get("compile") or {}
    steps = settings.get("steps")
    measured = (f"held-out accuracy is {accuracy:.3f} on {len(y)} examples, below the required "
                f"{at_least:.2f}. The model is {_describe_compile(settings)}"
                + (f" and its optimizer made {steps} steps." if steps is not None else "."))
    causes = _accuracy_causes(case, payload, probabilities, y)
    if causes:
        advice = "Likely causes:\n" + "\n".join(f"  - {c}" for c in causes)
    elif case.get("epochs_fixed"):
        advice = ("The notebook fixes the number of epochs, so the cause is in the model or "
                  "its compile settings: compare the layers, activations, optimizer, learning "
                  "rate and loss with the specification.")
    else:
        advice = ("Train for more epochs, or compare the layers, activations, optimizer, "
                  "learning rate and loss with the specification.")
    raise CheckFailure(f"{measured}\n{advice}")


def check_accuracy(model, x, y, at_least: float, *, epochs_fixed: bool = False) -> None:
    """Check classification accuracy on held-out data: argmax(model.predict(x)) == y.

    x: inputs the model accepts; y: integer labels (n,); at_least: threshold in [0, 1].
    epochs_fixed: the notebook fixes the number of epochs, so a failure never advises
        training longer. A failure says what was measured and the causes the evidence
        supports (not compiled or never trained, all-zero kernels, constant predictions,
        outputs that are not probabilities, a loss unfit for integer labels).
    """
    _require_model(model)
    y = np.asarray(y)
    if y.ndim != 1:
        raise CheckUsageError(f"y must be integer labels of shape (n,); got shape {y.shape}.")
    if not 0.0 <= at_least <= 1.0:
        raise CheckUsageError(f"at_least must be in [0, 1]; got {at_least}.")
    case = {"y": y.astype("int64"), "at_least": float(at_least),
            "x_digest": evidence.digest(x), "epochs_fixed": bool(epochs_fixed)}

    def student_side(_):
        return {"predictions": _predict(model, x), "x_digest": evidence.digest(x),
                "compile": _compile_settings(model),
                "output_activation": _output_activation(model),
                "zero_kernels": _zero_kernels(model)}

    run("accuracy", case, student_side)


# ------------------------------------------------------------------------ same predictions


@register("same_predictions")
def _judge_same_predictions(case, payload, seed=None) -> str:
    if payload.get("x_digest") != case["x_digest"]:
        raise CheckFailure("the predictions were made on other inputs than the check's.")
    if case.get("independent", True):
        if payload.get("same_object", True):
            raise CheckFailure(
                "the second model is the very same Python object as the first: it was not "
                "loaded from the file. Return what keras.saving.load_model(path) gives back, "
                "not the model you saved."
            )
        shared = int(payload.get("shared_variables", -1))
        if shared != 0:
            total = payload.get("variables", "?")
            raise CheckFailure(
                f"the second model shares {shared if shared > 0 else 'some'} of its {total} "
                "variables with the first: it was not loaded from the file but built from the "
                "first model's layers. Return what keras.saving.load_model(path) gives back."
            )
    expected, got = np.asarray(payload["first"]), np.asarray(payload["second"])
    compare_arrays(
        "the second model's predict(x)", got, expected, case["rtol"], case["atol"],
        against="the first model's predict(x)",
    )
    own = " (two independent models)" if case.get("independent", True) else ""
    return f"both models give the same predictions on {len(expected)} examples{own}"


def check_same_predictions(model, other, x, *, rtol: float = RTOL, atol: float = ATOL,
                           independent: bool = True) -> None:
    """Check two models give the same predictions on x (e.g. a model and its reloaded copy).

    independent: `other` must be a different object with its own variables (e.g. loaded
        from a file), not `model` itself or a model built from its layers.
    """
    _require_model(model, "model")
    _require_model(other, "other")
    case = {"rtol": float(rtol), "atol": float(atol), "x_digest": evidence.digest(x),
            "independent": bool(independent)}

    def student_side(_):
        mine = {id(v) for v in model.variables}
        theirs = [id(v) for v in other.variables]
        return {"first": _predict(model, x),
                "second": _predict(other, x, "the second model's predict(x)"),
                "x_digest": evidence.digest(x), "same_object": other is model,
                "shared_variables": sum(i in mine for i in theirs), "variables": len(theirs)}

    run("same_predictions", case, student_side)


# --------------------------------------------------------------------------------- history


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
    verified = f"history has {', '.join(metrics)} for {epochs} epochs"
    if args.get("train_size") is not None:
        per_epoch = math.ceil(args["train_size"] / args["batch_size"])
        expected_steps = per_epoch * epochs
        if payload.get("steps") != expected_steps:
            raise CheckFailure(
                f"the optimizer made {payload.get('steps')} steps; fit on the "
                f"{args['train_size']} training examples with batch_size={args['batch_size']} "
                f"for {epochs} epochs makes {expected_steps} ({per_epoch} per epoch). Did fit "
                "get other data than the training set (the test set, validation_split), or "
                "another batch size, or run twice?")
        verified += f", {expected_steps} optimizer steps"
    if args.get("validation_digest") is not None:
        last = (recorded.get("val_loss") or [None])[-1]
        evaluated = payload.get("evaluated_val_loss")
        if last is None or evaluated is None or not math.isclose(last, evaluated, rel_tol=1e-3,
                                                                 abs_tol=1e-5):
            raise CheckFailure(
                f"the last val_loss in the history is {last}, but the trained model's loss on "
                f"the validation set is {evaluated}: fit was validated on other data. Pass "
                "validation_data=(x_val, y_val) with the validation split.")
        verified += ", validated on the validation set"
    return verified


def check_history(history, metrics: Sequence[str], epochs: int, *, train_size=None,
                  batch_size=None, validation_data=None) -> None:
    """Check a keras.callbacks.History recorded `metrics` for `epochs` epochs.

    metrics: names such as ["loss", "val_accuracy"], or a single name.
    train_size, batch_size: the training set's size and the batch size the spec fixes;
        then the optimizer's step count must be epochs * ceil(train_size / batch_size)
        (fit on other data, or validation_split, changes it).
    validation_data: (x_val, y_val) the spec fixes; then the last val_loss must equal
        the trained model's loss on it (checks fit was validated on that data).
    """
    if isinstance(metrics, str):
        metrics = [metrics]  # not its characters
    if (train_size is None) != (batch_size is None):
        raise CheckUsageError("give train_size and batch_size together.")
    args = {"metrics": list(metrics), "epochs": int(epochs),
            "train_size": None if train_size is None else int(train_size),
            "batch_size": None if batch_size is None else int(batch_size),
            "validation_digest": None if validation_data is None
            else evidence.digest(validation_data[0])}

    def student_side(_):
        is_history = isinstance(history, keras.callbacks.History)
        record = {k: [float(v) for v in values] for k, values in history.history.items()} \
            if is_history else {}
        payload = {"is_history": is_history, "type": type(history).__name__, "history": record}
        model = getattr(history, "model", None) if is_history else None
        if model is not None and train_size is not None:
            optimizer = getattr(model, "optimizer", None)
            payload["steps"] = int(keras.ops.convert_to_numpy(optimizer.iterations)) \
                if optimizer is not None else None
        if model is not None and validation_data is not None:
            result = run_student("model.evaluate(x_val, y_val)", model.evaluate,
                                 *validation_data, verbose=0, return_dict=True)
            payload["evaluated_val_loss"] = float(result["loss"])
        return payload

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
    if args.get("name") is not None and payload.get("name") != args["name"]:
        raise CheckFailure(
            f"the model was made with name={args['name']!r} but is named "
            f"{payload.get('name')!r}: its __init__ drops the keyword arguments Keras gives "
            "it. Pass them on: super().__init__(**kwargs).")
    return f"{style} model" + (f" named {args['name']!r}" if args.get("name") else "")


def check_model_style(model, style: str, *, name: str | None = None) -> None:
    """Check a model was written the asked way: sequential, functional or subclassed.

    name: the name the test gave the model's constructor (checks that **kwargs reach Keras).
    """
    _require_model(model)
    if style not in MODEL_STYLES:
        raise CheckUsageError(f"style must be one of {MODEL_STYLES}; got {style!r}.")
    args = {"style": style, "name": name}

    def student_side(_):
        return {"style": model_style(model), "defines_call": "call" in vars(type(model)),
                "class_name": type(model).__name__, "name": getattr(model, "name", None)}

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


