"""Mistakes made re-implementing keras.layers.Dense: activation(x @ kernel + bias)."""

from __future__ import annotations

from . import (
    COMMON_ACTIVATIONS,
    Suspect,
    activation_name,
    apply_activation,
    numpy_weights,
    register,
)


def suspects(layer) -> list[Suspect]:
    config = layer.get_config()
    act = activation_name(config["activation"])
    weights = numpy_weights(layer)
    kernel = weights["kernel"]
    bias = weights["bias"] if config["use_bias"] else 0.0

    def dense(x, kernel=kernel, bias=bias, act=act):
        return apply_activation(act, x @ kernel + bias)

    found = []
    if config["use_bias"]:
        found.append(Suspect(
            "the output equals the expected value without the bias: the bias was not added "
            "(Dense computes activation(x @ kernel + bias)).",
            lambda x: dense(x, bias=0.0),
        ))
    if act != "linear":
        found.append(Suspect(
            f"the output equals x @ kernel + bias: the activation {act!r} was not applied.",
            lambda x: dense(x, act="linear"),
        ))
        if config["use_bias"]:
            found.append(Suspect(
                f"the activation was applied before the bias was added: Dense computes "
                f"{act}(x @ kernel + bias), not {act}(x @ kernel) + bias.",
                lambda x: apply_activation(act, x @ kernel) + bias,
            ))
    for other in COMMON_ACTIVATIONS:
        if other not in (act, "linear"):
            found.append(Suspect(
                f"the output looks like {other!r} was applied, but the layer was configured "
                f"with activation={act!r}: use keras.activations.get(activation).",
                lambda x, other=other: dense(x, act=other),
            ))
    if kernel.shape[0] == kernel.shape[1]:
        found.append(Suspect(
            "the kernel looks transposed: Keras stores it as (input_dim, units) and computes "
            "x @ kernel, not x @ kernel.T.",
            lambda x: dense(x, kernel=kernel.T),
        ))
    return found


register(
    "Dense",
    suspects=suspects,
    weight_rules={"kernel": "(input_shape[-1], units)", "bias": "(units,)"},
)
