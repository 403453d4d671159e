"""Pooling layers (04_pooling): the built-ins against themselves, and named mistakes.

Runs on the tensorflow and jax backends (KERAS_BACKEND). The student layers here
are written with keras.ops only; each faulty one makes one mistake of
checks/mistakes/pooling.py, and the check must name it.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kcourse import checks

#: Every configuration 04_pooling grades (visible and hidden tests), as (config, shape).
WINDOW_CASES = [
    ({}, (2, 4, 4, 3)),
    ({"pool_size": 3, "strides": 2, "padding": "same"}, (1, 5, 5, 2)),
    ({"pool_size": 3}, (1, 7, 7, 1)),
    ({"pool_size": 2, "padding": "same"}, (2, 5, 5, 3)),
    ({"pool_size": (2, 3), "strides": (1, 2), "padding": "same"}, (2, 5, 7, 3)),
    ({"pool_size": 2, "data_format": "channels_first"}, (2, 3, 6, 5)),
    ({"pool_size": (3, 2), "strides": (2, 1)}, (3, 6, 8, 4)),
    ({"pool_size": 2, "strides": 1, "padding": "same"}, (2, 6, 6, 2)),
    ({"pool_size": 2, "strides": 3, "padding": "same"}, (1, 6, 7, 3)),
    ({"pool_size": (1, 2), "strides": 2}, (2, 5, 4, 3)),
    ({"pool_size": 3, "strides": 2, "padding": "same", "data_format": "channels_first"},
     (1, 2, 5, 8)),
    ({"pool_size": (3, 4), "strides": (2, 3), "padding": "same"}, (1, 8, 9, 1)),
    ({"pool_size": (2, 3), "strides": (3, 1), "padding": "same",
      "data_format": "channels_first"}, (1, 2, 5, 5)),
    ({"pool_size": 3, "strides": 1, "padding": "same"}, (2, 5, 6, 2)),
    ({"pool_size": 4}, (3, 4, 4, 2)),
    ({"pool_size": 4, "strides": 2, "padding": "same"}, (2, 7, 9, 1)),
    ({"pool_size": 1, "strides": 2}, (1, 5, 5, 2)),
]
GLOBAL_CASES = [
    ({}, (2, 5, 5, 3)),
    ({"keepdims": True}, (1, 4, 6, 2)),
    ({"data_format": "channels_first"}, (2, 3, 4, 5)),
    ({"data_format": "channels_first", "keepdims": True}, (1, 2, 3, 3)),
    ({}, (3, 4, 3, 4)),
    ({"keepdims": True}, (1, 1, 1, 4)),
    ({}, (1, 6, 7, 1)),
]
POOL_KEYS = ("pool_size", "strides", "padding", "data_format")


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


def _pool_builtin(kind, config):
    config = {"pool_size": (2, 2), **config}  # AveragePooling2D has no default pool_size
    return getattr(keras.layers, f"{kind}Pooling2D")(**config)


@pytest.mark.parametrize("kind", ["Max", "Average"])
@pytest.mark.parametrize(("config", "shape"), WINDOW_CASES,
                         ids=[str(i) for i in range(len(WINDOW_CASES))])
def test_builtin_window_pooling_passes_against_itself(kind, config, shape):
    verified = checks.compare_layers(_pool_builtin(kind, config), _pool_builtin(kind, config),
                                     shape, builtin_forbidden=False, config_keys=POOL_KEYS)
    assert "gradients w.r.t. the input" in verified


@pytest.mark.parametrize("kind", ["GlobalMaxPooling2D", "GlobalAveragePooling2D"])
@pytest.mark.parametrize(("config", "shape"), GLOBAL_CASES,
                         ids=[str(i) for i in range(len(GLOBAL_CASES))])
def test_builtin_global_pooling_passes_against_itself(kind, config, shape):
    make = getattr(keras.layers, kind)
    verified = checks.compare_layers(make(**config), make(**config), shape,
                                     builtin_forbidden=False,
                                     config_keys=("data_format", "keepdims"))
    assert "gradients w.r.t. the input" in verified


def test_negative_inputs_pass_against_themselves():
    x = -np.abs(np.random.default_rng(11).standard_normal((1, 5, 5, 2))).astype("float32")
    layer = keras.layers.MaxPooling2D(pool_size=2, padding="same")
    checks.compare_layers(layer, keras.layers.MaxPooling2D(pool_size=2, padding="same"),
                          inputs=x, builtin_forbidden=False)


# ------------------------------------------------------------------------- student layers


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


class StudentPooling2D(keras.layers.Layer):
    """Max or average pooling from strided slices; class attributes switch in one mistake."""

    kind = "max"
    pad_value = float("-inf")  # the value padded cells hold for max pooling
    divide_by_area = False  # average: divide by k_h * k_w instead of the real cells
    rule = "keras"  # geometry: keras, top_left, ceil_valid, floor_same, symmetric
    stride_one_default = False
    ignore_data_format = False
    spread_gradient = False  # mean + stop_gradient(max - mean)

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.pool_size = _pair(pool_size)
        default = (1, 1) if self.stride_one_default else self.pool_size
        self.strides = default if strides is None else _pair(strides)
        self.padding = padding
        self.data_format = data_format or keras.config.image_data_format()

    def _geometry(self, size, pool, stride):
        if self.padding == "same" and self.rule == "symmetric":
            before = (pool - 1) // 2
            return (size + 2 * before - pool) // stride + 1, before
        if self.padding == "same":
            out = size // stride if self.rule == "floor_same" else -(-size // stride)
            total = max((out - 1) * stride + pool - size, 0)
            return out, (total - total // 2 if self.rule == "top_left" else total // 2)
        if self.rule == "ceil_valid":
            return -(-(size - pool) // stride) + 1, 0
        return (size - pool) // stride + 1, 0

    def _windows(self, x, fill):
        (kh, kw), (sh, sw) = self.pool_size, self.strides
        out_h, top = self._geometry(x.shape[1], kh, sh)
        out_w, left = self._geometry(x.shape[2], kw, sw)
        bottom = max((out_h - 1) * sh + kh - x.shape[1] - top, 0)
        right = max((out_w - 1) * sw + kw - x.shape[2] - left, 0)
        x = keras.ops.pad(x, [(0, 0), (top, bottom), (left, right), (0, 0)],
                          constant_values=fill)
        views = [x[:, u::sh, v::sw, :][:, :out_h, :out_w, :]
                 for u in range(kh) for v in range(kw)]
        return keras.ops.stack(views, axis=-1)

    def _pool(self, x):
        if self.kind == "max":
            windows = self._windows(x, self.pad_value)
            top = keras.ops.max(windows, axis=-1)
            if not self.spread_gradient:
                return top
            mean = keras.ops.mean(self._windows(x, 0.0), axis=-1)
            return mean + keras.ops.stop_gradient(top - mean)
        sums = keras.ops.sum(self._windows(x, 0.0), axis=-1)
        if self.divide_by_area:
            return sums / float(self.pool_size[0] * self.pool_size[1])
        return sums / keras.ops.sum(self._windows(keras.ops.ones_like(x), 0.0), axis=-1)

    def call(self, inputs):
        if self.data_format == "channels_first" and not self.ignore_data_format:
            pooled = self._pool(keras.ops.transpose(inputs, (0, 2, 3, 1)))
            return keras.ops.transpose(pooled, (0, 3, 1, 2))
        return self._pool(inputs)

    def get_config(self):
        config = super().get_config()
        config.update(pool_size=self.pool_size, strides=self.strides, padding=self.padding,
                      data_format=self.data_format)
        return config


class StudentAverage(StudentPooling2D):
    kind = "mean"


def _variant(base, **attributes):
    return type(f"Faulty{base.__name__}", (base,), attributes)


@pytest.mark.parametrize(("config", "shape"), WINDOW_CASES[:6] + WINDOW_CASES[10:13],
                         ids=[str(i) for i in range(9)])
def test_correct_student_pooling_passes(config, shape, capsys):
    for student, kind in ((StudentPooling2D, "Max"), (StudentAverage, "Average")):
        checks.check_layer(student(**{"pool_size": (2, 2), **config}), _pool_builtin(kind, config),
                           shape, config_keys=POOL_KEYS)
    assert capsys.readouterr().out.count("\u2714") == 2


NEGATIVE = -np.abs(np.random.default_rng(11).standard_normal((1, 5, 5, 2))).astype("float32")

WINDOW_MISTAKES = [
    ("average over padded zeros", StudentAverage, {"divide_by_area": True},
     {"pool_size": 3, "strides": 2, "padding": "same"}, (1, 5, 5, 2),
     r"divided by the full pool area"),
    ("max with zero padding", StudentPooling2D, {"pad_value": 0.0},
     {"pool_size": 2, "padding": "same"}, NEGATIVE, r"padded with zeros"),
    ("max strides default to 1", StudentPooling2D, {"stride_one_default": True},
     {}, (2, 4, 4, 3), r"one position at a time: strides default to pool_size"),
    ("average strides default to 1", StudentAverage, {"stride_one_default": True},
     {"pool_size": 3}, (1, 7, 7, 1), r"strides default to pool_size"),
    ("extra padding top/left", StudentPooling2D, {"rule": "top_left"},
     {"pool_size": 2, "padding": "same"}, (2, 5, 5, 3), r"top/left"),
    ("average extra padding top/left", StudentAverage, {"rule": "top_left"},
     {"pool_size": 2, "strides": 1, "padding": "same"}, (2, 6, 6, 2), r"top/left"),
    ("valid rounded up", StudentPooling2D, {"rule": "ceil_valid"},
     {"pool_size": 3}, (1, 7, 7, 1), r"rounded up"),
    ("same rounded down", StudentAverage, {"rule": "floor_same"},
     {"pool_size": 4, "strides": 2, "padding": "same"}, (2, 7, 9, 1), r"rounded down"),
    ("same as a convolution", StudentPooling2D, {"rule": "symmetric"},
     {"pool_size": 4, "strides": 2, "padding": "same"}, (2, 7, 7, 1), r"as in a convolution"),
    ("data_format ignored", StudentPooling2D, {"ignore_data_format": True},
     {"pool_size": 2, "data_format": "channels_first"}, (2, 3, 6, 5),
     r"channels_first' was ignored"),
    ("average data_format ignored", StudentAverage, {"ignore_data_format": True},
     {"pool_size": 3, "strides": 2, "padding": "same", "data_format": "channels_first"},
     (1, 2, 5, 8), r"channels_first' was ignored"),
    ("max instead of average", StudentPooling2D, {},
     {"pool_size": 2}, (2, 4, 4, 3), r"looks like max pooling"),
    ("gradient spread over the window", StudentPooling2D, {"spread_gradient": True},
     {"pool_size": 3, "strides": 1, "padding": "same"}, (2, 6, 6, 2),
     r"gradient is spread over the whole window.*arg-max"),
    ("gradient spread, channels_first", StudentPooling2D, {"spread_gradient": True},
     {"pool_size": 2, "data_format": "channels_first"}, (2, 3, 6, 5),
     r"gradient is spread over the whole window"),
]


@pytest.mark.parametrize(("base", "attributes", "config", "shape", "match"),
                         [m[1:] for m in WINDOW_MISTAKES], ids=[m[0] for m in WINDOW_MISTAKES])
def test_window_pooling_mistake_is_named(base, attributes, config, shape, match):
    student = _variant(base, **attributes)(**{"pool_size": (2, 2), **config})
    # "max instead of average" is the max student checked against average pooling
    kind = "Average" if base is StudentAverage or match.startswith("looks like max") else "Max"
    inputs, input_shape = (shape, None) if isinstance(shape, np.ndarray) else (None, shape)
    with pytest.raises(checks.CheckFailure, match=match):
        checks.check_layer(student, _pool_builtin(kind, config), input_shape, inputs=inputs)


def test_swapped_pool_axes_are_named():
    class Swapped(StudentPooling2D):
        def _windows(self, x, fill):
            saved = self.pool_size, self.strides
            self.pool_size, self.strides = self.pool_size[::-1], self.strides[::-1]
            try:
                return super()._windows(x, fill)
            finally:
                self.pool_size, self.strides = saved

    config = {"pool_size": (2, 3), "strides": (2, 1)}
    with pytest.raises(checks.CheckFailure, match=r"spatial axes are swapped"):
        checks.check_layer(Swapped(**config), keras.layers.MaxPooling2D(**config), (1, 6, 6, 2))


def test_strides_ignored_are_named():
    class IgnoresStrides(StudentAverage):
        def _windows(self, x, fill):
            saved, self.strides = self.strides, self.pool_size
            try:
                return super()._windows(x, fill)
            finally:
                self.strides = saved

    config = {"pool_size": (2, 3), "strides": (1, 2), "padding": "same"}
    with pytest.raises(checks.CheckFailure, match=r"moved by pool_size=\(2, 3\) instead of "
                       r"strides=\(1, 2\)"):
        checks.check_layer(IgnoresStrides(**config), keras.layers.AveragePooling2D(**config),
                           (2, 5, 7, 3))


def test_shortcut_is_refused():
    class Shortcut(StudentPooling2D):
        def call(self, inputs):
            return keras.ops.max_pool(inputs, self.pool_size, self.strides, self.padding)

    with pytest.raises(checks.CheckFailure, match=r"keras\.ops\.max_pool"):
        checks.check_layer(Shortcut(), keras.layers.MaxPooling2D(), (2, 4, 4, 3))


def test_wrapping_an_alias_of_the_builtin_is_refused():
    class Wraps(StudentPooling2D):
        def call(self, inputs):
            return keras.layers.MaxPool2D(self.pool_size)(inputs)

    with pytest.raises(checks.CheckFailure, match=r"keras\.layers\.MaxPool"):
        checks.check_layer(Wraps(), keras.layers.MaxPooling2D(), (2, 4, 4, 3))


# -------------------------------------------------------------------------- global pooling


class StudentGlobal(keras.layers.Layer):
    kind = "mean"
    axes_override = None
    ignore_keepdims = False
    spread_gradient = False

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format or keras.config.image_data_format()
        self.keepdims = keepdims

    def call(self, inputs):
        axes = (2, 3) if self.data_format == "channels_first" else (1, 2)
        axes = self.axes_override or axes
        keep = False if self.ignore_keepdims else self.keepdims
        if self.kind == "mean":
            return keras.ops.mean(inputs, axis=axes, keepdims=keep)
        top = keras.ops.max(inputs, axis=axes, keepdims=keep)
        if not self.spread_gradient:
            return top
        mean = keras.ops.mean(inputs, axis=axes, keepdims=keep)
        return mean + keras.ops.stop_gradient(top - mean)

    def get_config(self):
        config = super().get_config()
        config.update(data_format=self.data_format, keepdims=self.keepdims)
        return config


class StudentGlobalMax(StudentGlobal):
    kind = "max"


@pytest.mark.parametrize(("config", "shape"), GLOBAL_CASES, ids=[str(i) for i in
                                                                 range(len(GLOBAL_CASES))])
def test_correct_student_global_pooling_passes(config, shape, capsys):
    checks.check_layer(StudentGlobal(**config), keras.layers.GlobalAveragePooling2D(**config),
                       shape, config_keys=("data_format", "keepdims"))
    checks.check_layer(StudentGlobalMax(**config), keras.layers.GlobalMaxPooling2D(**config),
                       shape, config_keys=("data_format", "keepdims"))
    assert capsys.readouterr().out.count("\u2714") == 2


GLOBAL_MISTAKES = [
    ("channels_first axes", StudentGlobal, {"axes_override": (2, 3)}, {}, (3, 4, 3, 4),
     r"taken over axes \(2, 3\).*data_format"),
    ("one axis only", StudentGlobalMax, {"axes_override": (1,)}, {}, (2, 5, 5, 3),
     r"taken over axes \(1,\)"),
    ("channels too", StudentGlobal, {"axes_override": (1, 2, 3)}, {}, (2, 5, 5, 3),
     r"taken over axes \(1, 2, 3\)"),
    ("data_format ignored", StudentGlobalMax, {"axes_override": (1, 2)},
     {"data_format": "channels_first"}, (2, 3, 4, 5), r"data_format='channels_first' was "
     r"ignored"),
    ("keepdims ignored", StudentGlobal, {"ignore_keepdims": True}, {"keepdims": True},
     (1, 4, 6, 2), r"keepdims=True was ignored"),
    ("max gradient spread", StudentGlobalMax, {"spread_gradient": True}, {}, (2, 5, 5, 3),
     r"spread over the whole feature map"),
    ("max gradient spread, keepdims", StudentGlobalMax, {"spread_gradient": True},
     {"keepdims": True, "data_format": "channels_first"}, (2, 2, 3, 3),
     r"spread over the whole feature map"),
]


@pytest.mark.parametrize(("base", "attributes", "config", "shape", "match"),
                         [m[1:] for m in GLOBAL_MISTAKES], ids=[m[0] for m in GLOBAL_MISTAKES])
def test_global_pooling_mistake_is_named(base, attributes, config, shape, match):
    student = _variant(base, **attributes)(**config)
    builtin = keras.layers.GlobalMaxPooling2D if base is StudentGlobalMax \
        else keras.layers.GlobalAveragePooling2D
    with pytest.raises(checks.CheckFailure, match=match):
        checks.check_layer(student, builtin(**config), shape)


def test_global_max_for_global_average_is_named():
    with pytest.raises(checks.CheckFailure, match=r"looks like global max pooling"):
        checks.check_layer(StudentGlobalMax(), keras.layers.GlobalAveragePooling2D(),
                           (2, 5, 5, 3))


def test_global_shortcut_through_window_pooling_is_refused():
    class Shortcut(StudentGlobal):
        def call(self, inputs):
            pooled = keras.layers.AveragePooling2D(inputs.shape[1:3])(inputs)
            return keras.ops.reshape(pooled, (inputs.shape[0], inputs.shape[-1]))

    with pytest.raises(checks.CheckFailure, match=r"keras\.layers\.AveragePooling2D"):
        checks.check_layer(Shortcut(), keras.layers.GlobalAveragePooling2D(), (2, 5, 5, 3))
