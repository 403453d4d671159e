"""Mistakes made re-implementing convolution: keras.layers.Conv1D/Conv2D and keras.ops.conv.

Keras convolutions compute a cross-correlation with the kernel stored
(kh, kw, in_channels, filters):

    out[b, i, j, f] = sum_{u, v, c} x[b, i*s + u*d, j*s + v*d, c] k[u, v, c, f] + bias[f]

Per spatial axis of size n, kernel size k, stride s, dilation d and effective
kernel size k^ = (k - 1) d + 1: padding="valid" gives floor((n - k^) / s) + 1
outputs; padding="same" gives ceil(n / s) outputs and pads
p = max((out - 1) s + k^ - n, 0) cells, floor(p / 2) before (top/left) and the
rest, the extra one, after (bottom/right).

Each mistake is a *variant* of that geometry or of the kernel (`VARIANTS`): the
variant's output is recomputed from the same input and kernel with keras.ops.conv
on an explicitly padded input, so it is exactly what a convolution with that
mistake returns. A variant that coincides with Keras' geometry for the input at
hand does not apply (it could not explain a difference). The layers' suspects add
the bias and activation mistakes; the function suspects (keras.ops.conv) are the
variants alone.
"""

from __future__ import annotations

import keras
import numpy as np

from . import Suspect, activation_name, apply_activation, numpy_weights, register, register_function


class NotApplicable(ValueError):
    """The variant gives Keras' own result for this input (or cannot be computed)."""


def _tuple(value, rank: int) -> tuple[int, ...]:
    if isinstance(value, int | np.integer):
        return (int(value),) * rank
    return tuple(int(v) for v in value)


def keras_geometry(n: int, k: int, s: int, d: int, padding: str) -> tuple[int, int, int]:
    """(output size, cells padded before, cells padded after) of one axis, Keras' rule."""
    effective = (k - 1) * d + 1
    if padding == "same":
        out = -(-n // s)
        total = max((out - 1) * s + effective - n, 0)
        return out, total // 2, total - total // 2
    return (n - effective) // s + 1, 0, 0


def _pads(rule: str, n: int, k: int, s: int, d: int, padding: str) -> tuple[int, int]:
    """(before, after) padding of one axis under a mistaken rule (Keras' for other rules)."""
    effective = (k - 1) * d + 1
    out, before, after = keras_geometry(n, k, s, d, padding)
    if padding != "same":
        if rule == "valid_padded":  # padding="valid" padded anyway, as for "same"
            return keras_geometry(n, k, s, d, "same")[1:]
        return 0, 0
    total = before + after
    if rule == "top_left":
        return after, before
    if rule == "stride1_padding":
        return (effective - 1) // 2, effective - 1 - (effective - 1) // 2
    if rule == "symmetric_half_kernel":
        return effective // 2, effective // 2
    if rule == "symmetric_dropped":
        return total // 2, total // 2
    if rule == "same_ignored":
        return 0, 0
    if rule == "floor_same":
        out = n // s
        total = max((out - 1) * s + effective - n, 0)
        return total // 2, total - total // 2
    return before, after


#: Variants, most telling first: (rule, explanation). The rule names a change of the
#: kernel, the padding, the strides, the dilation or the output size.
VARIANTS = (
    ("flipped",
     "the kernel is flipped: Keras' convolution layers compute a cross-correlation, as "
     "keras.ops.conv does (the kernel is used as stored, x[i + u, j + v] * k[u, v], not "
     "rotated by 180 degrees as in the textbook convolution x[i - u, j - v] * k[u, v])."),
    ("before_shifted",
     "with padding='same' there are more zeros before (top/left) the input than Keras puts "
     "there: Keras pads p = max((out - 1) * s + k - n, 0) in all with out = ceil(n / s), "
     "floor(p / 2) before and the rest after, so an odd p puts the extra one at the "
     "bottom/right (and a stride > 1 changes p: it is not the (k - 1) // 2 of strides=1)."),
    ("top_left",
     "with padding='same' the extra padding row/column went on the top/left: when the total "
     "padding p is odd, Keras pads floor(p / 2) before (top/left) and the rest, one more, "
     "after (bottom/right)."),
    ("stride1_padding",
     "with padding='same' and strides > 1 the padding was computed as for strides=1 "
     "((k - 1) // 2 before), e.g. a stride-1 convolution subsampled afterwards: Keras pads "
     "p = max((out - 1) * s + k - n, 0) with out = ceil(n / s), floor(p / 2) before."),
    ("symmetric_half_kernel",
     "with padding='same' the input was padded k // 2 on both sides (PyTorch's habit): Keras "
     "pads p = max((out - 1) * s + k - n, 0) in all, floor(p / 2) before (top/left) and the "
     "rest after (bottom/right)."),
    ("symmetric_dropped",
     "with padding='same' the odd padding row/column was dropped (floor(p / 2) on both "
     "sides): Keras pads p = max((out - 1) * s + k - n, 0) in all, floor(p / 2) before and "
     "p - floor(p / 2) after (bottom/right)."),
    ("patch_order",
     "the patches' columns and the reshaped kernel's rows are in different orders: "
     "kernel.reshape(kh * kw * in_channels, filters) is ordered (kernel row, kernel column, "
     "channel), so each patch must be flattened in the same order (not channel first)."),
    ("swapped",
     "the kernel's two spatial axes are swapped: Keras stores it as "
     "(kernel_height, kernel_width, in_channels, filters) and uses k[u, v] at row offset u, "
     "column offset v."),
    ("dilation_ignored",
     "dilation_rate was ignored: with dilation d the kernel taps are d apart, "
     "x[i * s + u * d, j * s + v * d], and the effective kernel size is (k - 1) * d + 1."),
    ("stride_not_in_index",
     "the windows do not move by the stride: window (i, j) starts at row i * s and column "
     "j * s of the padded input, x[i * s + u * d, j * s + v * d]; here they start at (i, j) "
     "as for strides=1 (the output has the right size but holds the first, overlapping "
     "windows)."),
    ("strides_ignored",
     "strides were ignored: the output is that of strides=1. With stride s the windows start "
     "s apart (x[i * s + u, j * s + v]) and there are floor((n - k) / s) + 1 of them "
     "('valid') or ceil(n / s) ('same')."),
    ("floor_same",
     "the output size is one too small: with padding='same' it is ceil(n / s), not "
     "floor(n / s) (the last, partial, window is kept and padded at the bottom/right)."),
    ("same_ignored",
     "padding='same' was ignored (no padding, as 'valid'): 'same' pads the input so that the "
     "output has ceil(n / s) rows and columns (not floor(n / s), nor the 'valid' count)."),
    ("valid_padded",
     "the input was padded although padding='valid': 'valid' uses only windows that fit "
     "inside the input, floor((n - k) / s) + 1 of them."),
    ("short_by_one",
     "the output size is one too small: with padding='valid' it is floor((n - k) / s) + 1 "
     "(the + 1 counts the first window), with k the effective kernel size (k - 1) * d + 1."),
)


def conv_variant(rule: str, x, kernel, strides, padding: str, dilation) -> np.ndarray:
    """What a channels_last convolution with the mistake `rule` returns for x and kernel.

    x: (batch, *spatial, in_channels); kernel: (*kernel_size, in_channels, filters).
    Raises NotApplicable when the mistake gives Keras' own result here.
    """
    x = np.asarray(x, dtype="float32")
    kernel = np.asarray(kernel, dtype="float32")
    rank = kernel.ndim - 2
    strides, dilation = _tuple(strides, rank), _tuple(dilation, rank)
    padding = str(padding).lower()
    sizes, kernel_size = x.shape[1:1 + rank], kernel.shape[:rank]
    if rule == "flipped":
        if all(k == 1 for k in kernel_size):
            raise NotApplicable(rule)
        kernel = kernel[(slice(None, None, -1),) * rank]
    elif rule == "swapped":
        if rank != 2 or kernel_size[0] != kernel_size[1] or kernel_size[0] == 1:
            raise NotApplicable(rule)
        kernel = np.swapaxes(kernel, 0, 1)
    elif rule == "patch_order":
        cin, filters = kernel.shape[-2:]
        if cin == 1 or np.prod(kernel_size) == 1:
            raise NotApplicable(rule)
        flat = kernel.reshape(-1, filters)  # rows (u, v, c): what the student multiplies by
        kernel = np.moveaxis(flat.reshape(cin, *kernel_size, filters), 0, rank)
    elif rule == "dilation_ignored":
        if all(d == 1 for d in dilation) or all(k == 1 for k in kernel_size):
            raise NotApplicable(rule)
        dilation = (1,) * rank
    elif rule in ("strides_ignored", "stride_not_in_index"):
        if all(s == 1 for s in strides):
            raise NotApplicable(rule)
        if rule == "stride_not_in_index":  # Keras' padding and output size, stride 1 inside
            pads = [keras_geometry(n, k, s, d, padding)[1:]
                    for n, k, s, d in zip(sizes, kernel_size, strides, dilation, strict=True)]
            outs = [keras_geometry(n, k, s, d, padding)[0]
                    for n, k, s, d in zip(sizes, kernel_size, strides, dilation, strict=True)]
            out = _conv_padded(x, kernel, pads, (1,) * rank, dilation)
            return out[(slice(None), *(slice(0, o) for o in outs))]
        strides = (1,) * rank
    if rule == "before_shifted":  # what several padding mistakes have in common here
        pads = _shared_padding_mistake(sizes, kernel_size, strides, dilation, padding)
        return _conv_padded(x, kernel, pads, strides, dilation)
    pads, crop = [], []
    for n, k, s, d in zip(sizes, kernel_size, strides, dilation, strict=True):
        pads.append(_pads(rule, n, k, s, d, padding))
        out = keras_geometry(n, k, s, d, padding)[0]
        crop.append(out - 1 if rule == "short_by_one" and padding == "valid" else None)
    geometry_rules = ("top_left", "stride1_padding", "symmetric_half_kernel",
                      "symmetric_dropped", "same_ignored", "valid_padded", "floor_same")
    if rule in geometry_rules:
        keras_pads = [keras_geometry(n, k, s, d, padding)[1:]
                      for n, k, s, d in zip(sizes, kernel_size, strides, dilation, strict=True)]
        if [tuple(p) for p in pads] == [tuple(p) for p in keras_pads]:
            raise NotApplicable(rule)
        if rule in ("symmetric_dropped", "floor_same") and not any(map(any, pads)):
            raise NotApplicable(rule)  # no padding at all: "same_ignored" says it plainly
    if rule == "short_by_one" and (padding != "valid" or any(c is None or c < 1 for c in crop)):
        raise NotApplicable(rule)
    out = _conv_padded(x, kernel, pads, strides, dilation)
    if rule == "short_by_one":
        out = out[(slice(None), *(slice(0, c) for c in crop))]
    return out


def _conv_padded(x, kernel, pads, strides, dilation) -> np.ndarray:
    """keras.ops.conv with padding="valid" on x padded by `pads` ((before, after) per axis)."""
    rank = kernel.ndim - 2
    padded = np.pad(x, [(0, 0), *pads, (0, 0)])
    if any(p < (k - 1) * d + 1 for p, k, d in zip(padded.shape[1:1 + rank], kernel.shape[:rank],
                                                  dilation, strict=True)):
        raise NotApplicable("no window fits")
    out = keras.ops.conv(padded, kernel, strides=strides, padding="valid",
                         data_format="channels_last", dilation_rate=dilation)
    return np.asarray(keras.ops.convert_to_numpy(out))


def _shared_padding_mistake(sizes, kernel_size, strides, dilation, padding):
    """Padding shared by two or more of the 'same' mistakes that only add zeros before.

    Extra on the top/left, the padding of strides=1 and k // 2 on both sides often give
    the same windows (n even, k = 3, s = 2: one zero before instead of none); then no
    single one of them can be named, and this rule names what they share.
    """
    rules = ("top_left", "stride1_padding", "symmetric_half_kernel")
    keras_windows = []
    windows = {rule: [] for rule in rules}
    for n, k, s, d in zip(sizes, kernel_size, strides, dilation, strict=True):
        effective = (k - 1) * d + 1
        out, before, _ = keras_geometry(n, k, s, d, padding)
        keras_windows.append((before, out))
        for rule in rules:
            b, a = _pads(rule, n, k, s, d, padding)
            windows[rule].append((b, (n + b + a - effective) // s + 1))
    distinct = [w for w in windows.values() if w != keras_windows]
    for candidate in distinct:
        if distinct.count(candidate) >= 2:
            rule = next(r for r in rules if windows[r] == candidate)
            return [_pads(rule, n, k, s, d, padding)
                    for n, k, s, d in zip(sizes, kernel_size, strides, dilation, strict=True)]
    raise NotApplicable("before_shifted")


# ------------------------------------------------------------------------------ layers


def suspects(layer) -> list[Suspect]:
    """The mistakes of a Conv1D/Conv2D layer, recomputed from the built-in's weights."""
    config = layer.get_config()
    weights = numpy_weights(layer)
    kernel = weights["kernel"]
    use_bias = bool(config.get("use_bias", True))
    bias = weights["bias"] if use_bias else np.zeros(kernel.shape[-1], dtype="float32")
    act = activation_name(config.get("activation"))
    channels_first = config.get("data_format") == "channels_first"
    strides, padding = config.get("strides", 1), config.get("padding", "valid")
    dilation = config.get("dilation_rate", 1)

    def to_last(x):
        x = np.asarray(x, dtype="float32")
        return np.moveaxis(x, 1, -1) if channels_first else x

    def to_layout(out):
        return np.moveaxis(out, -1, 1) if channels_first else out

    def layer_output(z, with_bias=True, activation=act):
        return to_layout(apply_activation(activation, z + (bias if with_bias else 0.0)))

    def variant(rule):
        return lambda x: layer_output(conv_variant(rule, to_last(x), kernel, strides, padding,
                                                   dilation))

    def plain(x):
        return conv_variant("keras", to_last(x), kernel, strides, padding, dilation)

    found = [Suspect(explanation, variant(rule)) for rule, explanation in VARIANTS]
    if use_bias:
        found.append(Suspect(
            "the output equals the expected value without the bias: the bias (one per filter) "
            "was not added.",
            lambda x: layer_output(plain(x), with_bias=False),
        ))
    if act != "linear":
        found.append(Suspect(
            f"the activation {act!r} was not applied.",
            lambda x: layer_output(plain(x), activation="linear"),
        ))
    if act != "linear" and use_bias:
        found.append(Suspect(
            "the activation was applied before the bias was added.",
            lambda x: to_layout(apply_activation(act, plain(x)) + bias),
        ))
    return found


_RULES = {
    "Conv1D": {"kernel": "(kernel_size, input_shape[-1], filters), Keras' layout (not "
                         "(filters, in_channels, kernel_size) as in PyTorch)",
               "bias": "(filters,)"},
    "Conv2D": {"kernel": "(kernel_height, kernel_width, input_shape[-1], filters), Keras' "
                         "layout (not (filters, in_channels, kernel_height, kernel_width) as in "
                         "PyTorch); call() then uses kernel[u, v] as an (in_channels, filters) "
                         "matrix",
               "bias": "(filters,)"},
}
for _name, _rules in _RULES.items():
    register(_name, suspects=suspects, weight_rules=_rules)


# --------------------------------------------------------------------------- functions


def function_suspects(kwargs: dict) -> list[Suspect]:
    """The mistakes of a keras.ops.conv re-implementation, for these keyword arguments."""
    if str(kwargs.get("data_format") or "channels_last") != "channels_last":
        return []
    strides = kwargs.get("strides", 1)
    padding = kwargs.get("padding", "valid")
    dilation = kwargs.get("dilation_rate", 1)

    def variant(rule):
        return lambda x, kernel, *rest: conv_variant(rule, x, kernel, strides, padding,
                                                     dilation)

    return [Suspect(explanation, variant(rule)) for rule, explanation in VARIANTS]


register_function("keras.ops.conv", "keras.ops.nn.conv", suspects=function_suspects)
