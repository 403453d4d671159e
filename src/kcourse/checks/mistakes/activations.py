"""Mistakes made re-implementing activations: functions (keras.activations, keras.ops),
their hand-written derivatives, and the activation layers (ReLU, LeakyReLU, ELU,
Softmax, Activation).

Every alternative recomputes, with NumPy, what the mistaken formula gives on the
same inputs; formulas that overflow are computed in the input's dtype so that they
overflow where the student's code does (exp(1000) = inf, inf / inf = NaN).
"""

from __future__ import annotations

import math

import numpy as np

from . import Suspect, register, register_function

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _erf(x):
    from scipy.special import erf

    return erf(np.asarray(x, dtype="float64"))


def _sigmoid(x):
    x = np.asarray(x, dtype="float64")
    return 0.5 * (1.0 + np.tanh(x / 2.0))


def _gelu(x, approximate=False):
    x = np.asarray(x, dtype="float64")
    if approximate:
        return 0.5 * x * (1.0 + np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x**3)))
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def _softmax(x, axis):
    x = np.asarray(x, dtype="float64")
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _positive_slope(slope):
    return lambda x: np.where(x > 0, slope * x, x)


def _leaky(slope):
    return lambda x: np.where(x > 0, x, slope * x)


# ------------------------------------------------------------------------- functions


def relu_suspects(kwargs) -> list[Suspect]:
    if any(kwargs.get(k) not in (None, 0, 0.0) for k in ("negative_slope", "threshold")) \
            or kwargs.get("max_value") is not None:
        return []
    found = [
        Suspect("the positive inputs were zeroed instead of the negative ones: ReLU is "
                "max(x, 0), it keeps x > 0 and gives 0 for x < 0.",
                lambda x: np.minimum(x, 0)),
        Suspect("the output is |x|: for x < 0 ReLU gives 0, not -x.", np.abs),
        Suspect("the input is returned unchanged: the negative values must become 0.",
                lambda x: np.asarray(x, dtype="float64")),
    ]
    for slope in (0.01, 0.2, 0.3):
        found.append(Suspect(
            f"a slope {slope} was kept for x < 0 (that is a leaky ReLU): ReLU gives exactly "
            "0 there.", _leaky(slope)))
    return found


def leaky_relu_suspects(kwargs, default=0.2) -> list[Suspect]:
    slope = float(kwargs.get("negative_slope", default))
    found = [
        Suspect(f"the slope is on the positive side: LeakyReLU keeps x for x > 0 and gives "
                f"negative_slope * x ({slope:g} * x) for x < 0.", _positive_slope(slope)),
        Suspect("the negative side is 0, as in ReLU: the slope negative_slope * x for x < 0 "
                "is missing.", lambda x: np.maximum(x, 0)),
        Suspect("the negative side has the wrong sign: it is negative_slope * x (negative), "
                "not -negative_slope * x.", lambda x: np.where(x > 0, x, -slope * x)),
        Suspect("the input is returned unchanged: multiply the negative values by "
                "negative_slope.", lambda x: np.asarray(x, dtype="float64")),
    ]
    for other in (0.01, 0.1, 0.2, 0.3, 0.5):
        if abs(other - slope) > 1e-9:
            found.append(Suspect(
                f"the slope used is {other:g}, not negative_slope={slope:g}: use the "
                "negative_slope argument (keras.activations.leaky_relu defaults to 0.2, "
                "keras.layers.LeakyReLU to 0.3).", _leaky(other)))
    return found


def elu_suspects(kwargs) -> list[Suspect]:
    alpha = float(kwargs.get("alpha", 1.0))
    found = [
        Suspect("the negative branch alpha * (exp(x) - 1) is missing (the output is 0 for "
                "x < 0, as in ReLU): ELU is x for x > 0 and alpha * (exp(x) - 1) for x <= 0.",
                lambda x: np.maximum(x, 0)),
        Suspect("the '- 1' is missing: for x <= 0 ELU is alpha * (exp(x) - 1), which starts "
                "at 0 and tends to -alpha, not alpha * exp(x).",
                lambda x: np.where(x > 0, x, alpha * np.exp(np.minimum(x, 0)))),
        Suspect("alpha * (exp(x) - 1) is used for every x: the branch for x > 0 is x itself.",
                lambda x: alpha * np.expm1(np.asarray(x, dtype="float64"))),
        Suspect("the negative branch is alpha * x (a leaky ReLU), not alpha * (exp(x) - 1).",
                _leaky(alpha)),
        Suspect("the branches are swapped: x for x > 0, alpha * (exp(x) - 1) for x <= 0.",
                lambda x: np.where(x < 0, x, alpha * np.expm1(np.minimum(x, 30)))),
    ]
    if abs(alpha - 1.0) > 1e-9:
        found.append(Suspect(
            f"alpha is not applied: for x <= 0 ELU is alpha * (exp(x) - 1) with alpha="
            f"{alpha:g}, not exp(x) - 1.",
            lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0)))))
        found.append(Suspect(
            "alpha multiplies the positive branch: ELU is x for x > 0 and alpha * (exp(x) - 1) "
            "below.", lambda x: np.where(x > 0, alpha * x, np.expm1(np.minimum(x, 0)))))
    return found


def sigmoid_suspects(kwargs) -> list[Suspect]:
    def naive(x):  # in the input's dtype: exp overflows where the student's does
        e = np.exp(x)
        return e / (1 + e)

    return [
        Suspect("exp(x) / (1 + exp(x)) overflows for large x (exp(1000) = inf, inf / inf = "
                "NaN): write it with exp(-|x|), which stays <= 1, e.g. z = exp(-|x|); "
                "1 / (1 + z) for x >= 0 and z / (1 + z) for x < 0.", naive),
        Suspect("the sign of the exponent is wrong: sigmoid(x) = 1 / (1 + exp(-x)), and "
                "1 / (1 + exp(x)) is sigmoid(-x).", lambda x: _sigmoid(-np.asarray(x))),
        Suspect("0.5 * (1 + tanh(x)) is sigmoid(2x): the identity is "
                "sigmoid(x) = 0.5 * (1 + tanh(x / 2)).",
                lambda x: 0.5 * (1 + np.tanh(np.asarray(x, dtype="float64")))),
        Suspect("the output is tanh(x), not sigmoid(x).",
                lambda x: np.tanh(np.asarray(x, dtype="float64"))),
    ]


def tanh_suspects(kwargs) -> list[Suspect]:
    def naive(x):
        a, b = np.exp(x), np.exp(-x)
        return (a - b) / (a + b)

    def naive_one_sided(x):
        e = np.exp(-2 * x)
        return (1 - e) / (1 + e)

    explanation = ("(exp(x) - exp(-x)) / (exp(x) + exp(-x)) overflows for large |x| (inf / "
                   "inf = NaN): use exp(-2|x|), which stays <= 1, and the sign of x, or "
                   "tanh(x) = 2 * sigmoid(2x) - 1 with a stable sigmoid.")
    return [
        Suspect(explanation, naive),
        Suspect(explanation.replace("(exp(x) - exp(-x)) / (exp(x) + exp(-x))",
                                    "(1 - exp(-2x)) / (1 + exp(-2x))"), naive_one_sided),
        Suspect("2 * sigmoid(x) - 1 is tanh(x / 2): the identity is "
                "tanh(x) = 2 * sigmoid(2x) - 1.", lambda x: 2 * _sigmoid(x) - 1),
        Suspect("the sign is flipped: tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x)).",
                lambda x: -np.tanh(np.asarray(x, dtype="float64"))),
        Suspect("the output is sigmoid(x), not tanh(x).", _sigmoid),
    ]


def gelu_suspects(kwargs, default=False) -> list[Suspect]:
    approximate = bool(kwargs.get("approximate", default))
    x64 = lambda x: np.asarray(x, dtype="float64")  # noqa: E731
    found = []
    if approximate:
        found.append(Suspect(
            "the exact form 0.5 * x * (1 + erf(x / sqrt(2))) was used, but approximate=True "
            "asks for the tanh approximation "
            "0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3))).",
            lambda x: _gelu(x, False)))
        found.append(Suspect(
            "the cubic term is missing: the approximation is "
            "tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)).",
            lambda x: 0.5 * x64(x) * (1 + np.tanh(_SQRT_2_OVER_PI * x64(x)))))
        found.append(Suspect(
            "the factor is sqrt(pi / 2); the approximation uses sqrt(2 / pi) ~ 0.7979.",
            lambda x: 0.5 * x64(x) * (1 + np.tanh(math.sqrt(math.pi / 2)
                                                  * (x64(x) + 0.044715 * x64(x)**3)))))
        found.append(Suspect(
            "x**2 instead of x**3 inside the tanh: the approximation is "
            "tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)).",
            lambda x: 0.5 * x64(x) * (1 + np.tanh(_SQRT_2_OVER_PI
                                                  * (x64(x) + 0.044715 * x64(x)**2)))))
    else:
        found.append(Suspect(
            "the tanh approximation was used where the exact form is asked "
            "(approximate=False): GELU(x) = 0.5 * x * (1 + erf(x / sqrt(2))); they differ "
            "by up to 5e-4.", lambda x: _gelu(x, True)))
        found.append(Suspect(
            "erf(x) instead of erf(x / sqrt(2)): the Gaussian CDF is "
            "Phi(x) = 0.5 * (1 + erf(x / sqrt(2))).",
            lambda x: 0.5 * x64(x) * (1 + _erf(x))))
    found += [
        Suspect("the output is x * sigmoid(1.702 x), another approximation; Keras' GELU is "
                "x * Phi(x) (or its tanh approximation with approximate=True).",
                lambda x: x64(x) * _sigmoid(1.702 * x64(x))),
        Suspect("the factor 0.5 is missing: GELU(x) = x * Phi(x) = 0.5 * x * (1 + erf(...)).",
                lambda x: 2 * _gelu(x, approximate)),
        Suspect("the output is Phi(x), the Gaussian CDF; GELU multiplies it by x.",
                lambda x: _gelu(x, approximate) / np.where(x64(x) == 0, 1, x64(x))),
    ]
    return found


def softmax_suspects(kwargs) -> list[Suspect]:
    axis = kwargs.get("axis", -1)
    if not isinstance(axis, int):
        return []

    def unshifted(x):
        e = np.exp(x)
        return e / np.sum(e, axis=axis, keepdims=True)

    def global_shift(x):
        e = np.exp(x - np.max(x))
        return e / np.sum(e, axis=axis, keepdims=True)

    def other_axis(a):
        def compute(x):
            if a >= x.ndim or a % x.ndim == axis % x.ndim:
                raise ValueError("not another axis")
            return _softmax(x, a)
        return compute

    def sum_over_everything(x):
        x = np.asarray(x, dtype="float64")
        e = np.exp(x - np.max(x, axis=axis, keepdims=True))
        return e / np.sum(e)

    def no_keepdims_max(x):
        x = np.asarray(x, dtype="float64")
        e = np.exp(x - np.max(x, axis=axis))  # broadcasts against the wrong axis
        return e / np.sum(e, axis=axis, keepdims=True)

    def no_keepdims_sum(x):
        x = np.asarray(x, dtype="float64")
        e = np.exp(x - np.max(x, axis=axis, keepdims=True))
        return e / np.sum(e, axis=axis)

    def log_softmax(x):
        x = np.asarray(x, dtype="float64")
        shifted = x - np.max(x, axis=axis, keepdims=True)
        return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))

    found = [
        Suspect("softmax without the max shift: exp(x) overflows for large x (exp(1000) = "
                "inf, inf / inf = NaN) and underflows for very negative x (0 / 0 = NaN). "
                "Subtract max(x, axis=axis, keepdims=True) first: softmax(x - c) = softmax(x).",
                unshifted),
        Suspect("the maximum was taken over the whole tensor, not along the axis: slices far "
                "below the global maximum underflow to 0 / 0 = NaN. Use "
                "max(x, axis=axis, keepdims=True).", global_shift),
    ]
    found += [Suspect(f"the softmax was taken over axis {a}, not over axis={axis}: the "
                      "maximum and the sum must both run along the `axis` argument.",
                      other_axis(a)) for a in range(4)]
    found += [
        Suspect("the sum runs over the whole tensor: normalise along the axis only "
                "(sum(..., axis=axis, keepdims=True)).", sum_over_everything),
        Suspect("the softmax was taken over the whole tensor (max and sum without axis): "
                "normalise along the axis only.", lambda x: _softmax(x, None)),
        Suspect("keepdims=True is missing on the maximum: the (n,) maximum broadcast "
                "against the wrong axis.", no_keepdims_max),
        Suspect("keepdims=True is missing on the sum: the (n,) sum broadcast against the "
                "wrong axis.", no_keepdims_sum),
        Suspect("exp(x - max) was not divided by its sum: the outputs must sum to 1 along "
                "the axis.", lambda x: np.exp(np.asarray(x, dtype="float64")
                                              - np.max(x, axis=axis, keepdims=True))),
        Suspect("the output is the log-softmax x - max - log(sum(exp(x - max))); take its "
                "exp.", log_softmax),
    ]
    return found


_BY_NAME = {
    "relu": relu_suspects,
    "leaky_relu": leaky_relu_suspects,
    "elu": elu_suspects,
    "sigmoid": sigmoid_suspects,
    "tanh": tanh_suspects,
    "softmax": softmax_suspects,
}
for _name, _suspects in _BY_NAME.items():
    register_function(f"keras.activations.{_name}", f"keras.ops.{_name}",
                      f"keras.ops.nn.{_name}", suspects=_suspects)
register_function("keras.activations.gelu", suspects=lambda kw: gelu_suspects(kw, False))
register_function("keras.ops.gelu", "keras.ops.nn.gelu",
                  suspects=lambda kw: gelu_suspects(kw, True))


# ----------------------------------------------------------------------- derivatives


def _d_gelu(x, approximate):
    x = np.asarray(x, dtype="float64")
    if approximate:
        inner = _SQRT_2_OVER_PI * (x + 0.044715 * x**3)
        t = np.tanh(inner)
        return 0.5 * (1 + t) + 0.5 * x * (1 - t**2) * _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x**2)
    pdf = np.exp(-0.5 * x**2) / math.sqrt(2 * math.pi)
    return 0.5 * (1 + _erf(x / math.sqrt(2))) + x * pdf


def d_relu_suspects(kwargs) -> list[Suspect]:
    return [
        Suspect("this is ReLU itself, not its derivative: the derivative is 1 for x > 0 and "
                "0 for x < 0.", lambda x: np.maximum(x, 0)),
        Suspect("the derivative is 0 for x > 0 and 1 for x < 0: the sides are swapped.",
                lambda x: (np.asarray(x) < 0).astype("float64")),
    ]


def d_leaky_relu_suspects(kwargs, default=0.2) -> list[Suspect]:
    slope = float(kwargs.get("negative_slope", default))
    return [
        Suspect(f"the slope is on the positive side: the derivative is 1 for x > 0 and "
                f"negative_slope ({slope:g}) for x < 0.",
                lambda x: np.where(np.asarray(x) > 0, slope, 1.0)),
        Suspect("the derivative for x < 0 is negative_slope, not 0 (that is ReLU's).",
                lambda x: (np.asarray(x) > 0).astype("float64")),
        Suspect("this is LeakyReLU itself, not its derivative.", _leaky(slope)),
    ]


def d_elu_suspects(kwargs) -> list[Suspect]:
    alpha = float(kwargs.get("alpha", 1.0))
    found = [
        Suspect("for x < 0 this is the function alpha * (exp(x) - 1), not its derivative "
                "alpha * exp(x).",
                lambda x: np.where(np.asarray(x) > 0, 1.0, alpha * np.expm1(np.minimum(x, 0)))),
        Suspect("the derivative for x < 0 is missing (0, as in ReLU): it is alpha * exp(x).",
                lambda x: (np.asarray(x) > 0).astype("float64")),
        Suspect("this is ELU itself, not its derivative.",
                lambda x: np.where(np.asarray(x) > 0, x, alpha * np.expm1(np.minimum(x, 0)))),
    ]
    if abs(alpha - 1.0) > 1e-9:
        found += [
            Suspect("alpha is missing: for x < 0 the derivative is alpha * exp(x).",
                    lambda x: np.where(np.asarray(x) > 0, 1.0, np.exp(np.minimum(x, 0)))),
            Suspect("f(x) + 1 is the derivative only for alpha = 1: for x < 0 it is "
                    "alpha * exp(x) = f(x) + alpha.",
                    lambda x: np.where(np.asarray(x) > 0, 1.0,
                                       alpha * np.expm1(np.minimum(x, 0)) + 1)),
        ]
    return found


def d_sigmoid_suspects(kwargs) -> list[Suspect]:
    return [
        Suspect("sigma(x) * (1 + sigma(x)): the sign is wrong, sigma'(x) = sigma(x) * "
                "(1 - sigma(x)).", lambda x: _sigmoid(x) * (1 + _sigmoid(x))),
        Suspect("1 - sigma(x)**2 is the pattern of tanh's derivative; sigma'(x) = "
                "sigma(x) * (1 - sigma(x)).", lambda x: 1 - _sigmoid(x) ** 2),
        Suspect("this is sigmoid itself, not its derivative sigma(x) * (1 - sigma(x)).",
                _sigmoid),
        Suspect("exp(-x) / (1 + exp(-x)) is missing a square in the denominator: "
                "sigma'(x) = exp(-x) / (1 + exp(-x))**2.", lambda x: 1 - _sigmoid(x)),
    ]


def d_tanh_suspects(kwargs) -> list[Suspect]:
    t = lambda x: np.tanh(np.asarray(x, dtype="float64"))  # noqa: E731
    return [
        Suspect("1 - tanh(x) is missing the square: tanh'(x) = 1 - tanh(x)**2.",
                lambda x: 1 - t(x)),
        Suspect("1 + tanh(x)**2: the sign is wrong, tanh'(x) = 1 - tanh(x)**2.",
                lambda x: 1 + t(x) ** 2),
        Suspect("this is tanh itself, not its derivative 1 - tanh(x)**2.", t),
        Suspect("sigma(x) * (1 - sigma(x)) is sigmoid's derivative; tanh'(x) = "
                "1 - tanh(x)**2.", lambda x: _sigmoid(x) * (1 - _sigmoid(x))),
    ]


def d_gelu_suspects(kwargs, default=False) -> list[Suspect]:
    approximate = bool(kwargs.get("approximate", default))
    x64 = lambda x: np.asarray(x, dtype="float64")  # noqa: E731
    found = [
        Suspect("the product rule is incomplete: the derivative of x * Phi(x) is "
                "Phi(x) + x * phi(x); only Phi(x) is there.",
                lambda x: 0.5 * (1 + _erf(x64(x) / math.sqrt(2)))),
        Suspect("the derivative of the other form of GELU was used: approximate="
                f"{approximate} asks for the derivative of the "
                f"{'tanh approximation' if approximate else 'exact erf form'}.",
                lambda x: _d_gelu(x, not approximate)),
        Suspect("phi(x) is missing its factor 1 / sqrt(2 pi): the Gaussian density is "
                "exp(-x**2 / 2) / sqrt(2 pi).",
                lambda x: 0.5 * (1 + _erf(x64(x) / math.sqrt(2)))
                + x64(x) * np.exp(-0.5 * x64(x) ** 2)),
        Suspect("this is GELU itself, not its derivative.", lambda x: _gelu(x, approximate)),
    ]
    if approximate:
        def no_three(x):
            x = x64(x)
            t = np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x**3))
            return 0.5 * (1 + t) + 0.5 * x * (1 - t**2) * _SQRT_2_OVER_PI * (1 + 0.044715 * x**2)

        found += [
            Suspect("the derivative of 0.044715 * x**3 is 3 * 0.044715 * x**2: the factor 3 is "
                    "missing.", no_three),
            Suspect("the product rule is incomplete: the derivative of (x / 2) * (1 + t) is "
                    "(1 + t) / 2 + (x / 2) * t'; only (1 + t) / 2 is there.",
                    lambda x: 0.5 * (1 + np.tanh(_SQRT_2_OVER_PI
                                                 * (x64(x) + 0.044715 * x64(x) ** 3)))),
        ]
    return found


for _name, _suspects in {"relu": d_relu_suspects, "leaky_relu": d_leaky_relu_suspects,
                         "elu": d_elu_suspects, "sigmoid": d_sigmoid_suspects,
                         "tanh": d_tanh_suspects}.items():
    register_function(f"derivative of keras.activations.{_name}",
                      f"derivative of keras.ops.{_name}", suspects=_suspects)
register_function("derivative of keras.activations.gelu",
                  suspects=lambda kw: d_gelu_suspects(kw, False))
register_function("derivative of keras.ops.gelu", suspects=lambda kw: d_gelu_suspects(kw, True))


# ---------------------------------------------------------------------------- layers


def _on_x(suspects: list[Suspect]) -> list[Suspect]:
    """Function suspects as layer suspects: alternative(x=...)."""
    return [Suspect(s.explanation, lambda x, s=s: s.alternative(x)) for s in suspects]


def layer_suspects(layer) -> list[Suspect]:
    config = layer.get_config()
    name = type(layer).__name__
    if name == "ReLU":
        return _on_x(relu_suspects(config))
    if name == "LeakyReLU":
        return _on_x(leaky_relu_suspects(config, default=0.3))
    if name == "ELU":
        return _on_x(elu_suspects(config))
    if name == "Softmax":
        return _on_x(softmax_suspects(config))
    activation = config.get("activation")
    by_name = {**_BY_NAME, "gelu": lambda kw: gelu_suspects(kw, False)}
    if isinstance(activation, str) and activation in by_name:
        return _on_x(by_name[activation]({}))
    return []


register("ReLU", "LeakyReLU", "ELU", "Softmax", "Activation", suspects=layer_suspects)
