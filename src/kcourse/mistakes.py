"""Recognisable student mistakes, by built-in layer.

When a student's output differs from Keras', the checker recomputes the
output the way a typical mistake would (bias left out, activation missing,
kernel transposed, ...) from the reference layer's own weights. If the
student's output matches one of these, the feedback names the mistake.

A suspect is (explanation, alternative_output(x) -> ndarray).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras
import numpy as np

#: Activations a student might use by mistake instead of the configured one.
COMMON_ACTIVATIONS = (
    "linear", "relu", "sigmoid", "tanh", "softmax", "gelu", "elu", "selu",
    "softplus", "silu", "leaky_relu",
)


@dataclass(frozen=True)
class Suspect:
    """A mistake and the output a layer with that mistake would produce."""

    explanation: str
    alternative_output: Callable[[np.ndarray], np.ndarray]


def activation_name(activation) -> str:
    """Keras' registered name of an activation given as a string, dict or function."""
    fn = keras.activations.get(activation)
    return keras.activations.serialize(fn) if fn is not None else "linear"


def apply_activation(name: str, z: np.ndarray) -> np.ndarray:
    fn = keras.activations.get(name)
    return np.asarray(keras.ops.convert_to_numpy(fn(keras.ops.convert_to_tensor(z))))


def _dense_suspects(layer) -> list[Suspect]:
    config = layer.get_config()
    act = activation_name(config["activation"])
    kernel = keras.ops.convert_to_numpy(layer.kernel)
    bias = keras.ops.convert_to_numpy(layer.bias) if config["use_bias"] else 0.0

    def dense(x, kernel=kernel, bias=bias, act=act):
        return apply_activation(act, x @ kernel + bias)

    suspects = []
    if config["use_bias"]:
        suspects.append(Suspect(
            "the output equals the expected value without the bias: the bias was not added "
            "(Dense computes activation(x @ kernel + bias)).",
            lambda x: dense(x, bias=0.0),
        ))
    if act != "linear":
        suspects.append(Suspect(
            f"the output equals x @ kernel + bias: the activation {act!r} was not applied.",
            lambda x: dense(x, act="linear"),
        ))
        if config["use_bias"]:
            suspects.append(Suspect(
                f"the activation was applied before the bias was added: Dense computes "
                f"{act}(x @ kernel + bias), not {act}(x @ kernel) + bias.",
                lambda x: apply_activation(act, x @ kernel) + bias,
            ))
    for other in COMMON_ACTIVATIONS:
        if other not in (act, "linear"):
            suspects.append(Suspect(
                f"the output looks like {other!r} was applied, but the layer was configured "
                f"with activation={act!r}: use keras.activations.get(activation).",
                lambda x, other=other: dense(x, act=other),
            ))
    if kernel.shape[0] == kernel.shape[1]:
        suspects.append(Suspect(
            "the kernel looks transposed: Keras stores it as (input_dim, units) and computes "
            "x @ kernel, not x @ kernel.T.",
            lambda x: dense(x, kernel=kernel.T),
        ))
    return suspects


#: Built-in layer class name -> function(reference_layer) -> list of suspects.
CATALOGUE: dict[str, Callable] = {
    "Dense": _dense_suspects,
}


def suspects_for(reference_layer) -> list[Suspect]:
    """Suspects for the built-in layer's class, plus the generic ones."""
    make = CATALOGUE.get(type(reference_layer).__name__)
    return make(reference_layer) if make else []


def recognise(reference_layer, x: np.ndarray, got: np.ndarray, close) -> str | None:
    """The explanation of the first suspect whose output `close(got, alt)` matches."""
    if np.all(got == 0) and got.size > 1:
        return "the output is all zeros: did call() return a placeholder, or skip the computation?"
    for suspect in suspects_for(reference_layer):
        try:
            alternative = suspect.alternative_output(x)
        except Exception:  # a suspect that cannot apply to this configuration
            continue
        if alternative.shape == got.shape and close(got, alternative):
            return suspect.explanation
    return None
