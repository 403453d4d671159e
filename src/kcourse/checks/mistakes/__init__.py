"""Recognisable student mistakes, one module per built-in component.

When a student's result differs from Keras', the checker recomputes it the way
a typical mistake would (bias left out, activation missing, kernel flipped,
...) from the built-in layer's own weights; if the student's result matches
one of these, the feedback names the mistake. Each module registers, for the
built-in class names it knows:

    suspects(reference) -> [Suspect]   alternative results, each with its explanation
    weight_rules        {weight name: the rule for its shape, in the spec's words}

Generic code (checks/layers.py and the families) names no component; it asks
`recognise`, `weight_rule` and `initializer_problem`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field

import keras
import numpy as np

#: Activations a student might use by mistake instead of the configured one.
COMMON_ACTIVATIONS = (
    "linear", "relu", "sigmoid", "tanh", "softmax", "gelu", "elu", "selu",
    "softplus", "silu", "leaky_relu",
)


@dataclass(frozen=True)
class Suspect:
    """A mistake and the result a component with that mistake would produce.

    alternative(**inputs) -> ndarray: inputs are what the family passes
    (`x` for every layer family; recurrent families add `initial_state`).
    target: which result it explains ("output", or a family's other results,
    e.g. "moving_mean" for stateful layers).
    """

    explanation: str
    alternative: Callable[..., np.ndarray]
    target: str = "output"


@dataclass
class Component:
    suspects: Callable | None = None
    weight_rules: dict = field(default_factory=dict)


REGISTRY: dict[str, Component] = {}


def register(*class_names: str, suspects: Callable | None = None,
             weight_rules: dict | None = None) -> None:
    """Register what is known of the mistakes made re-implementing these built-ins."""
    for name in class_names:
        REGISTRY[name] = Component(suspects, dict(weight_rules or {}))


def activation_name(activation) -> str:
    """Keras' registered name of an activation given as a string, dict or function."""
    fn = keras.activations.get(activation)
    return keras.activations.serialize(fn) if fn is not None else "linear"


def apply_activation(name: str, z: np.ndarray) -> np.ndarray:
    fn = keras.activations.get(name)
    return np.asarray(keras.ops.convert_to_numpy(fn(keras.ops.convert_to_tensor(z))))


def numpy_weights(layer) -> dict[str, np.ndarray]:
    """The layer's weights by name, as NumPy arrays."""
    return {w.name: np.asarray(keras.ops.convert_to_numpy(w)) for w in layer.weights}


def suspects_for(reference, target: str = "output") -> list[Suspect]:
    component = REGISTRY.get(type(reference).__name__)
    if component is None or component.suspects is None:
        return []
    return [s for s in component.suspects(reference) if s.target == target]


def recognise(reference, got: np.ndarray, close, target: str = "output", **inputs) -> str | None:
    """The explanation of the first suspect whose result `close(got, alternative)` matches."""
    got = np.asarray(got)
    if target == "output" and got.size > 1 and np.all(got == 0):
        return "the output is all zeros: did call() return a placeholder, or skip the computation?"
    for suspect in suspects_for(reference, target):
        try:
            alternative = np.asarray(suspect.alternative(**inputs))
        except Exception:  # a suspect that cannot apply to this configuration
            continue
        if alternative.shape == got.shape and close(got, alternative):
            return suspect.explanation
    return None


#: Keras function (dotted name, e.g. "keras.activations.softmax") -> suspects(kwargs) -> [Suspect]
#: whose alternative(*args) takes the function's positional inputs as NumPy arrays.
FUNCTIONS: dict[str, Callable] = {}


def register_function(*dotted_names: str, suspects: Callable) -> None:
    """Register the mistakes made re-implementing these Keras functions (checks/functions.py)."""
    for name in dotted_names:
        FUNCTIONS[name] = suspects


def recognise_function(name: str, kwargs: dict, got: np.ndarray, close, *args) -> str | None:
    """Like `recognise`, for a function check: the first suspect of `name` matching `got`."""
    got = np.asarray(got)
    if got.size > 1 and np.all(got == 0):
        return "the output is all zeros: did the function return a placeholder?"
    for suspect in FUNCTIONS[name](dict(kwargs)) if name in FUNCTIONS else ():
        try:
            with np.errstate(all="ignore"):
                alternative = np.asarray(suspect.alternative(*args))
        except Exception:  # a suspect that cannot apply to these inputs
            continue
        if alternative.shape == got.shape and close(got, alternative):
            return suspect.explanation
    return None


def weight_rule(reference, weight_name: str) -> str | None:
    component = REGISTRY.get(type(reference).__name__)
    return component.weight_rules.get(weight_name) if component else None


# ---------------------------------------------------------------------- initializers


def initializer_name(spec) -> str:
    if isinstance(spec, str):
        return spec
    if isinstance(spec, dict):
        name = spec.get("class_name", "?")
        return {"GlorotUniform": "glorot_uniform", "Zeros": "zeros", "Ones": "ones",
                "HeUniform": "he_uniform", "LecunUniform": "lecun_uniform",
                "Orthogonal": "orthogonal", "GlorotNormal": "glorot_normal",
                "RandomUniform": "random_uniform", "Constant": "constant"}.get(name, name)
    return str(spec)


def _fans(shape) -> tuple[float, float]:
    """Keras' fan_in, fan_out of a weight shape (kernels: receptive field x channels)."""
    if len(shape) < 1:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    if len(shape) == 2:
        return float(shape[0]), float(shape[1])
    receptive = float(np.prod(shape[:-2]))
    return shape[-2] * receptive, shape[-1] * receptive


def initializer_problem(spec, value: np.ndarray) -> str | None:
    """What is wrong with `value` as a draw of the initializer `spec`, or None if plausible."""
    name = initializer_name(spec)
    config = spec.get("config", {}) if isinstance(spec, dict) else {}
    value = np.asarray(value, dtype="float64")
    if name == "zeros":
        if np.any(value != 0):
            return "is not all zeros"
        return None
    if name == "ones":
        if np.any(value != 1):
            return "is not all ones"
        return None
    if name == "constant":
        target = float(config.get("value", 0.0))
        return None if np.all(value == target) else f"is not all {target:g}"
    fan_in, fan_out = _fans(value.shape)
    limits = {"glorot_uniform": np.sqrt(6.0 / (fan_in + fan_out)),
              "he_uniform": np.sqrt(6.0 / fan_in), "lecun_uniform": np.sqrt(3.0 / fan_in)}
    if name in limits:
        limit = limits[name]
        if np.all(value == 0):
            return "is all zeros"
        if np.abs(value).max() > limit * (1 + 1e-5):
            return (f"has values up to {np.abs(value).max():.3g}, beyond the {name} limit "
                    f"{limit:.3g}")
        if value.size >= 8 and np.std(value) < 0.35 * limit / np.sqrt(3.0):
            return (f"has a spread (std {np.std(value):.3g}) far below what {name} gives "
                    f"({limit / np.sqrt(3.0):.3g})")
        if value.size >= 8 and len(np.unique(value)) < value.size // 2:
            return "repeats the same values: it does not look like a random draw"
        return None
    if name == "orthogonal" and value.ndim == 2:
        rows, cols = value.shape
        gram = value.T @ value if rows >= cols else value @ value.T
        gain = float(config.get("gain", 1.0))
        if not np.allclose(gram, gain**2 * np.eye(gram.shape[0]), atol=1e-4):
            return "is not orthogonal (W^T W is not the identity)"
        return None
    return None  # other initializers: not checked


def _load_all() -> None:
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")


_load_all()
