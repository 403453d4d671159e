"""Mistakes made re-implementing keras.layers.Conv1D/Conv2D (cross-correlation, Keras layout).

Keras convolutions compute a cross-correlation with the kernel stored
(kh, kw, in_channels, filters): out[b, i, j, f] = sum x[b, i*s+u, j*s+v, c] k[u, v, c, f] + bias[f].
"""

from __future__ import annotations

import keras
import numpy as np

from . import Suspect, activation_name, apply_activation, numpy_weights, register


def _with_kernel(layer, kernel, use_bias=True, activation=None):
    """The layer's output for input x with another kernel (and optionally no bias/activation)."""
    config = layer.get_config()
    config.pop("name", None)
    if activation is not None:
        config["activation"] = activation
    config["use_bias"] = bool(config.get("use_bias", True) and use_bias)

    def compute(x):
        other = type(layer).from_config(config)
        other.build(x.shape)
        weights = numpy_weights(layer)
        other.kernel.assign(kernel)
        if config["use_bias"]:
            other.bias.assign(weights["bias"])
        return np.asarray(keras.ops.convert_to_numpy(other(x)))
    return compute


def suspects(layer) -> list[Suspect]:
    config = layer.get_config()
    weights = numpy_weights(layer)
    kernel = weights["kernel"]
    spatial = kernel.ndim - 2
    flipped = kernel[(slice(None, None, -1),) * spatial]
    act = activation_name(config.get("activation"))
    found = [Suspect(
        "the kernel is flipped: Keras' convolution layers compute a cross-correlation "
        "(the kernel is used as stored, not rotated by 180 degrees as in the textbook "
        "convolution).",
        _with_kernel(layer, flipped),
    )]
    if spatial == 2 and kernel.shape[0] == kernel.shape[1]:
        found.append(Suspect(
            "the kernel's two spatial axes are swapped: Keras stores it as "
            "(kernel_height, kernel_width, in_channels, filters).",
            _with_kernel(layer, np.swapaxes(kernel, 0, 1)),
        ))
    if config.get("use_bias", True):
        found.append(Suspect(
            "the output equals the expected value without the bias: the bias (one per filter) "
            "was not added.",
            _with_kernel(layer, kernel, use_bias=False),
        ))
    if act != "linear":
        found.append(Suspect(
            f"the activation {act!r} was not applied.",
            _with_kernel(layer, kernel, activation="linear"),
        ))

    def activation_then_bias(x):
        z = _with_kernel(layer, kernel, use_bias=False, activation="linear")(x)
        return apply_activation(act, z) + weights["bias"]

    if act != "linear" and config.get("use_bias", True):
        found.append(Suspect(
            "the activation was applied before the bias was added.", activation_then_bias))
    return found


_RULES = {
    "Conv1D": {"kernel": "(kernel_size, input_shape[-1], filters)", "bias": "(filters,)"},
    "Conv2D": {"kernel": "(kernel_height, kernel_width, input_shape[-1], filters)",
               "bias": "(filters,)"},
}
for _name, _rules in _RULES.items():
    register(_name, suspects=suspects, weight_rules=_rules)
