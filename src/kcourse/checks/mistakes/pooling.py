"""Mistakes made re-implementing Keras' 2-D pooling layers.

MaxPooling2D / AveragePooling2D: windows of pool_size moved by strides (which
default to pool_size). padding="valid" gives floor((size - pool) / stride) + 1
outputs; padding="same" gives ceil(size / stride) and pads
max((out - 1) * stride + pool - size, 0) cells, the extra one at the bottom/right.
Padded cells never win a max and are not counted in an average: with
padding="same" Keras' average pooling divides each window's sum by the number of
*input* values in the window, not by the pool area. The gradient of max pooling
goes to each window's arg-max only.

GlobalAveragePooling2D / GlobalMaxPooling2D reduce the two spatial axes ((1, 2)
channels_last, (2, 3) channels_first); keepdims keeps them with size 1.

Every alternative is computed here in NumPy from the check's input, so it says
exactly what a layer with that mistake returns.
"""

from __future__ import annotations

import itertools

import numpy as np

from . import Suspect, register

# ------------------------------------------------------------------ window geometry


def _geometry(size: int, pool: int, stride: int, padding: str, rule: str = "keras"):
    """(output size, cells padded before the first window) of one spatial axis.

    rule "keras" is Keras'; the others are the mistakes named in `_RULES`.
    """
    if rule == "symmetric":  # a convolution's "same": (pool - 1) // 2 on both sides
        before = (pool - 1) // 2
        return (size + 2 * before - pool) // stride + 1, before
    if rule == "ceil_valid":  # partial windows kept at the bottom/right edge
        return -(-(size - pool) // stride) + 1, 0
    if padding == "same":
        out = size // stride if rule == "floor_same" else -(-size // stride)
        total = max((out - 1) * stride + pool - size, 0)
        return out, (total - total // 2 if rule == "top_left" else total // 2)
    return (size - pool) // stride + 1, 0


_RULES = {
    "top_left": "with padding='same' the extra padding cell went on the top/left: Keras puts "
                "it at the bottom/right (before = total // 2, after = total - total // 2).",
    "ceil_valid": "the output size was rounded up: with padding='valid' Keras keeps only whole "
                  "windows, floor((size - pool) / stride) + 1 of them (no partial windows at "
                  "the bottom/right edge).",
    "floor_same": "the output size was rounded down: with padding='same' Keras gives "
                  "ceil(size / stride) outputs per axis.",
    "symmetric": "padding='same' was done as in a convolution, (pool - 1) // 2 cells on each "
                 "side: Keras pads max((out - 1) * stride + pool - size, 0) cells in all, "
                 "with out = ceil(size / stride), the extra one at the bottom/right.",
}


def _pool(x, kind, pool, strides, out, before, fill=None, divide_by_area=False):
    """Pool channels_last x (batch, h, w, c) with windows starting at i * stride - before.

    Cells outside the input are skipped (fill=None, Keras) or hold `fill`; an average
    divides by the real cells (Keras) or by the pool area (divide_by_area).
    """
    batch, height, width, channels = x.shape
    (kh, kw), (sh, sw) = pool, strides
    if min(out) < 1:
        raise ValueError("no output")
    result = np.empty((batch, out[0], out[1], channels), dtype=np.float64)
    for i in range(out[0]):
        top = i * sh - before[0]
        rows = slice(max(top, 0), min(top + kh, height))
        for j in range(out[1]):
            left = j * sw - before[1]
            cols = slice(max(left, 0), min(left + kw, width))
            window = x[:, rows, cols, :].reshape(batch, -1, channels).astype(np.float64)
            real, padded = window.shape[1], kh * kw - window.shape[1]
            if real == 0:
                raise ValueError("a window with no input cell")
            if kind == "max":
                value = window.max(axis=1)
                if fill is not None and padded:
                    value = np.maximum(value, fill)
            elif kind == "sum":
                value = window.sum(axis=1)
            else:
                total = window.sum(axis=1) + (fill or 0.0) * padded
                value = total / (kh * kw if divide_by_area else real)
            result[:, i, j, :] = value
    return result.astype(x.dtype)


def _spread_gradient(x, cotangent, pool, strides, out, before, per_cell):
    """dx when each window's upstream gradient goes to all its input cells, not the arg-max.

    per_cell: "share" (divided by the window's input cells, as Keras' average would),
    "area" (divided by the pool area, padded cells included) or "copy".
    """
    batch, height, width, channels = x.shape
    (kh, kw), (sh, sw) = pool, strides
    dx = np.zeros(x.shape, dtype=np.float64)
    for i in range(out[0]):
        top = i * sh - before[0]
        rows = slice(max(top, 0), min(top + kh, height))
        for j in range(out[1]):
            left = j * sw - before[1]
            cols = slice(max(left, 0), min(left + kw, width))
            cells = (rows.stop - rows.start) * (cols.stop - cols.start)
            divisor = {"share": cells, "area": kh * kw}.get(per_cell, 1)
            share = cotangent[:, i, j, :] / divisor
            dx[:, rows, cols, :] += share[:, None, None, :]
    return dx.astype(x.dtype)


# ---------------------------------------------------------- MaxPooling2D / AveragePooling2D


def _channels_last(x, first):
    return np.transpose(x, (0, 2, 3, 1)) if first else x


def _channels_back(y, first):
    return np.transpose(y, (0, 3, 1, 2)) if first else y


def window_suspects(layer) -> list[Suspect]:
    config = layer.get_config()
    kind = "max" if type(layer).__name__.startswith("Max") else "mean"
    pool = tuple(config["pool_size"])
    strides = tuple(config["strides"] or pool)
    padding = config["padding"]
    first = config.get("data_format") == "channels_first"

    def variant(kind=kind, pool=pool, strides=strides, padding=padding, rule="keras",
                fill=None, divide_by_area=False, first=first, back=(0, 3, 1, 2)):
        def compute(x):
            z = _channels_last(np.asarray(x), first)
            geometry = [_geometry(n, k, s, padding, rule)
                        for n, k, s in zip(z.shape[1:3], pool, strides, strict=True)]
            y = _pool(z, kind, pool, strides, [g[0] for g in geometry],
                      [g[1] for g in geometry], fill, divide_by_area)
            return np.transpose(y, back) if first else y
        return compute

    found = []
    if padding == "same" and kind == "mean":
        found.append(Suspect(
            "with padding='same' each window was divided by the full pool area: Keras "
            "averages only the input values inside the window (the padded zeros do not "
            "count: divide by the number of real cells).",
            variant(fill=0.0, divide_by_area=True)))
    if padding == "same" and kind == "max":
        found.append(Suspect(
            "with padding='same' the input was padded with zeros: a padded cell must never "
            "win the max (pad with -inf, or skip the padded cells); with negative inputs "
            "zeros change the result.",
            variant(fill=0.0)))
    other = "valid" if padding == "same" else "same"
    found.append(Suspect(
        f"the output matches padding={other!r}, not padding={padding!r}.",
        variant(padding=other)))
    for rule in (("top_left", "floor_same", "symmetric") if padding == "same"
                 else ("ceil_valid",)):
        found.append(Suspect(_RULES[rule], variant(rule=rule)))
    if strides == pool:
        if pool != (1, 1):
            found.append(Suspect(
                "the windows moved by one position at a time: strides default to pool_size "
                f"(here {pool}), so by default the windows do not overlap.",
                variant(strides=(1, 1))))
    else:
        found.append(Suspect(
            f"the windows moved by pool_size={pool} instead of strides={strides}.",
            variant(strides=pool)))
        if strides != (1, 1):
            found.append(Suspect(
                f"the windows moved by one position at a time instead of strides={strides}.",
                variant(strides=(1, 1))))
    if pool[0] != pool[1] or strides[0] != strides[1]:
        found.append(Suspect(
            "the two spatial axes are swapped: pool_size and strides are (rows, columns), "
            "the first entry for the height axis.",
            variant(pool=pool[::-1], strides=strides[::-1])))
    found.append(Suspect(
        "the output looks like max pooling, not average pooling." if kind == "mean" else
        "the output looks like average pooling, not max pooling.",
        variant(kind="max" if kind == "mean" else "mean")))
    if kind == "mean":
        found.append(Suspect(
            "the window sums were not divided: average pooling divides each window's sum by "
            "its number of real cells.", variant(kind="sum")))
    if first:
        found.append(Suspect(
            "data_format='channels_first' was ignored: the input is (batch, channels, height, "
            "width), so the windows slide over axes 2 and 3 (transpose to channels_last and "
            "back, or index those axes).",
            variant(first=False)))
        found.append(Suspect(
            "with data_format='channels_first' the pooled result was transposed back with "
            "(0, 2, 3, 1), the permutation that went to channels_last: the way back is "
            "(0, 3, 1, 2).",
            variant(back=(0, 2, 3, 1))))
    if kind == "max":
        found += _max_gradient_suspects(pool, strides, padding, first)
    return found


def _max_gradient_suspects(pool, strides, padding, first) -> list[Suspect]:
    def spread(per_cell):
        def compute(x, cotangent, training=None):
            z = _channels_last(np.asarray(x), first)
            c = _channels_last(np.asarray(cotangent, dtype=np.float64), first)
            geometry = [_geometry(n, k, s, padding)
                        for n, k, s in zip(z.shape[1:3], pool, strides, strict=True)]
            dx = _spread_gradient(z, c, pool, strides, [g[0] for g in geometry],
                                  [g[1] for g in geometry], per_cell)
            return _channels_back(dx, first)
        return compute

    return [
        Suspect(_SPREAD + " (shared evenly, as an average's gradient would be).",
                spread("share"), target="input_gradient"),
        Suspect(_SPREAD + " (shared evenly, as an average's gradient would be).",
                spread("area"), target="input_gradient"),
        Suspect(_SPREAD + " (copied to every cell).", spread("copy"),
                target="input_gradient"),
    ]


_SPREAD = ("the output is right but its gradient is spread over the whole window: the "
           "gradient of max pooling goes to each window's arg-max only (the cell that "
           "holds the max gets the window's upstream gradient, every other cell 0). "
           "Compute the output with keras.ops.max (or maximum) so autodiff routes it; "
           "no mean + stop_gradient(max - mean) trick")


# ------------------------------------------------------------------------- global pooling


def global_suspects(layer) -> list[Suspect]:
    config = layer.get_config()
    kind = "max" if "Max" in type(layer).__name__ else "mean"
    first = config.get("data_format") == "channels_first"
    keepdims = bool(config.get("keepdims", False))
    spatial = (2, 3) if first else (1, 2)
    reduce = {"max": np.max, "mean": np.mean}

    def over(axes, keep=keepdims, kind=kind):
        return lambda x: reduce[kind](np.asarray(x, dtype=np.float64), axis=axes,
                                      keepdims=keep).astype(np.asarray(x).dtype)

    found = [Suspect(
        f"keepdims={keepdims} was ignored: "
        + ("the output keeps the spatial axes with size 1, (batch, 1, 1, channels) "
           "channels_last or (batch, channels, 1, 1) channels_first."
           if keepdims else "without keepdims the spatial axes are dropped: (batch, channels)."),
        over(spatial, keep=not keepdims))]
    for size in (1, 2, 3):
        for axes in itertools.combinations(range(4), size):
            if axes == spatial:
                continue
            hint = ""
            if axes == (1, 2) or axes == (2, 3):
                hint = (" (the spatial axes of the other data_format: data_format="
                        f"{config.get('data_format')!r} was ignored)")
            for keep in (keepdims, not keepdims):
                found.append(Suspect(
                    f"the {'max' if kind == 'max' else 'mean'} was taken over axes {axes}: "
                    f"global pooling reduces the spatial axes {spatial} only{hint}.",
                    over(axes, keep=keep)))
    if kind == "mean":
        def divided_by(pair):
            def compute(x):
                x = np.asarray(x)
                total = np.sum(x.astype(np.float64), axis=spatial, keepdims=keepdims)
                return (total / (x.shape[pair[0]] * x.shape[pair[1]])).astype(x.dtype)
            return compute
        for pair in itertools.combinations(range(1, 4), 2):
            if pair != spatial:
                found.append(Suspect(
                    f"the sum over the spatial axes {spatial} was divided by the sizes of axes "
                    f"{pair}: divide by height * width, the number of cells summed.",
                    divided_by(pair)))
    found.append(Suspect(
        "the output looks like global max pooling, not global average pooling."
        if kind == "mean" else
        "the output looks like global average pooling, not global max pooling.",
        over(spatial, kind="max" if kind == "mean" else "mean")))
    if kind == "max":
        def spread(per_cell):
            def compute(x, cotangent, training=None):
                x = np.asarray(x)
                cells = x.shape[spatial[0]] * x.shape[spatial[1]]
                c = np.asarray(cotangent, dtype=np.float64)
                if not keepdims:
                    c = np.expand_dims(c, spatial)
                c = c / (cells if per_cell == "share" else 1)
                return np.broadcast_to(c, x.shape).astype(x.dtype)
            return compute
        found += [Suspect(_SPREAD.replace("whole window", "whole feature map")
                          + " (shared evenly, as an average's gradient would be).",
                          spread("share"), target="input_gradient"),
                  Suspect(_SPREAD.replace("whole window", "whole feature map")
                          + " (copied to every cell).", spread("copy"),
                          target="input_gradient")]
    return found


register("MaxPooling2D", "AveragePooling2D", suspects=window_suspects)
register("GlobalAveragePooling2D", "GlobalMaxPooling2D", suspects=global_suspects)
