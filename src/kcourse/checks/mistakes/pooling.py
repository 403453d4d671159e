"""Mistakes made re-implementing keras.layers.MaxPooling2D/AveragePooling2D.

With padding="same", Keras' average pooling divides each window's sum by the
number of *input* values in the window, not by the pool area: the padded
positions do not count.
"""

from __future__ import annotations

import keras
import numpy as np

from . import Suspect, register


def _pool(layer, x, **overrides):
    config = layer.get_config()
    config.pop("name", None)
    config.update(overrides)
    other = type(layer).from_config(config)
    return np.asarray(keras.ops.convert_to_numpy(other(x)))


def _average_over_padded_zeros(layer):
    def compute(x):
        config = layer.get_config()
        if config["padding"] != "same" or config.get("data_format") == "channels_first":
            raise ValueError("applies to padding='same', channels_last")
        pool, strides = config["pool_size"], config["strides"] or config["pool_size"]
        pads = []
        for size, k, s in zip(x.shape[1:3], pool, strides, strict=True):
            out = -(-size // s)
            total = max((out - 1) * s + k - size, 0)
            pads.append((total // 2, total - total // 2))
        padded = np.pad(x, [(0, 0), *pads, (0, 0)])
        return _pool(layer, padded, padding="valid")
    return compute


def suspects(layer) -> list[Suspect]:
    config = layer.get_config()
    found = []
    if type(layer).__name__.startswith("Average"):
        found.append(Suspect(
            "with padding='same' each window was divided by the full pool area: Keras "
            "averages only the input values inside the window (the padded zeros do not "
            "count).",
            _average_over_padded_zeros(layer),
        ))
        found.append(Suspect(
            "the output looks like max pooling, not average pooling.",
            lambda x: np.asarray(keras.ops.convert_to_numpy(
                keras.layers.MaxPooling2D.from_config(
                    {k: v for k, v in config.items() if k != "name"})(x))),
        ))
    if config["strides"] not in (None, config["pool_size"]):
        found.append(Suspect(
            f"the windows moved by pool_size={tuple(config['pool_size'])} instead of "
            f"strides={tuple(config['strides'])}.",
            lambda x: _pool(layer, x, strides=config["pool_size"]),
        ))
    else:
        found.append(Suspect(
            "the windows moved by one position at a time: strides default to pool_size.",
            lambda x: _pool(layer, x, strides=(1, 1)),
        ))
    other_padding = "valid" if config["padding"] == "same" else "same"
    found.append(Suspect(
        f"the output matches padding={other_padding!r}, not padding={config['padding']!r}.",
        lambda x: _pool(layer, x, padding=other_padding),
    ))
    return found


register("MaxPooling2D", "AveragePooling2D", suspects=suspects)
