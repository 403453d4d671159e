"""Student answers for solutions/02_activations: elementwise activations, softmax,
derivatives by hand, activation layers.

Each Entry is a whole solution cell (`source`) or the instructor's cell with small
edits (`edits`, each `old` text occurring exactly once). Mistakes (LESS) say, in
`names`, a regex the failing test's message must match: the words that name the
mistake for the student. Valid alternatives (FULL) must keep every point.
"""

from __future__ import annotations

from .harness import FULL, LESS, Entry

NOTEBOOK = "02_activations"

#: Mutants of the solution cells (bench/mutants.py --list) that must lose points.
MUTANT_SAMPLE = (
    "softmax_solution/drop_keyword/keepdims=True",
    "softmax_solution/swap_operands/x - ops.max(x, axis=axis, keepdims=True)",
    "elementwise_solution/change_number/0.044715->0.44715 in inner = math.sqrt(2.0 / math.pi) "
    "* (x + 0.044715 *",
    "elementwise_solution/delete_statement/negative_part = ops.where(x > 0, 0.0, x)",
    "derivatives_solution/swap_operands/1.0 - s",
    "layers_solution/super_init/super().__init__()",
)

_COMMUTATIVE = "float addition is commutative (a + b == b + a exactly)"
#: mutant id -> why no test can (or should) tell it from the solution
EQUIVALENT_MUTANTS = {
    "elementwise_solution/change_number/0->1 in positive = x >= 0":
        "for 0 <= x < 1 both branches of the stable sigmoid are the exact sigmoid "
        "(z / (1 + z) with z = exp(x) <= e): moving the split point changes nothing",
    "elementwise_solution/change_number/0->1 in negative_part = ops.where(x > 0, 0.0, x)":
        "for 0 < x <= 1 the argument of expm1 in the branch that is not taken becomes x <= 1: "
        "still finite, so neither values nor gradients change",
    "derivatives_solution/change_number/0->1 in return ops.where(x > 0, ops.ones_like(x), "
    "alpha * @2":
        "the same change in the derivative: exp(x <= 1) in the branch not taken is finite",
    "derivatives_solution/swap_operands/ops.where(x > 0, 0.0, x)":
        "exp(x) overflows only in the branch of the derivative that is not taken; a derivative "
        "is compared by value (it is not differentiated again), so the result is the same",
    "elementwise_solution/swap_operands/1.0 + z": _COMMUTATIVE,
    "elementwise_solution/swap_operands/1.0 + z@2": _COMMUTATIVE,
    "elementwise_solution/swap_operands/1.0 + tanh(inner)": _COMMUTATIVE,
    "elementwise_solution/swap_operands/1.0 + ops.erf(x / math.sqrt(2.0))": _COMMUTATIVE,
    "elementwise_solution/swap_operands/x + 0.044715 * x * x * x": _COMMUTATIVE,
    "derivatives_solution/swap_operands/x + 0.044715 * x * x * x": _COMMUTATIVE,
    "derivatives_solution/swap_operands/0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * c * "
    "(1.0 + 3 * 0.044715 * ": _COMMUTATIVE,
    "derivatives_solution/swap_operands/1.0 + t": _COMMUTATIVE,
    "derivatives_solution/swap_operands/1.0 + 3 * 0.044715 * x * x": _COMMUTATIVE,
    "derivatives_solution/swap_operands/1.0 + ops.erf(x / math.sqrt(2.0))": _COMMUTATIVE,
    "derivatives_solution/swap_operands/cdf + x * pdf": _COMMUTATIVE,
}

# ------------------------------------------------------------ elementwise: mistakes

_ELEMENTWISE = [
    Entry(
        "elu_without_exp_branch", "elementwise_solution", LESS,
        edits=(("    return ops.where(x > 0, x, alpha * ops.expm1(negative_part))",
                "    return ops.maximum(x, 0.0)"),),
        names=r"alpha \* \(exp\(x\) - 1\) is missing",
        why="ELU written as ReLU: the negative branch forgotten",
    ),
    Entry(
        "elu_unsafe_where", "elementwise_solution", LESS,
        edits=(("    negative_part = ops.where(x > 0, 0.0, x)  # never positive: exp cannot "
                "overflow\n", "    negative_part = x\n"),),
        names=r"gradient .* is NaN.*both branches are differentiated",
        why="where(x > 0, x, alpha * (exp(x) - 1)): finite values, NaN gradient at +1000",
    ),
    Entry(
        "elu_alpha_ignored", "elementwise_solution", LESS,
        edits=(("alpha * ops.expm1(negative_part)", "ops.expm1(negative_part)"),),
        names=r"alpha is not applied",
        why="the alpha argument is never used",
    ),
    Entry(
        "elu_without_minus_one", "elementwise_solution", LESS,
        edits=(("alpha * ops.expm1(negative_part)", "alpha * ops.exp(negative_part)"),),
        names=r"'- 1' is missing",
        why="alpha * exp(x) on the negative side",
    ),
    Entry(
        "leaky_slope_on_positive_side", "elementwise_solution", LESS,
        edits=(("return ops.where(x > 0, x, negative_slope * x)",
                "return ops.where(x > 0, negative_slope * x, x)"),),
        names=r"slope is on the positive side",
        why="the slope multiplies the positive inputs",
    ),
    Entry(
        "leaky_layer_default_hardcoded", "elementwise_solution", LESS,
        edits=(("return ops.where(x > 0, x, negative_slope * x)",
                "return ops.where(x > 0, x, 0.3 * x)"),),
        names=r"slope used is 0.3, not negative_slope=0.2",
        why="the layer's default 0.3 written in, the argument ignored",
    ),
    Entry(
        "leaky_pytorch_default", "elementwise_solution", LESS,
        edits=(("def leaky_relu(x, negative_slope=0.2):",
                "def leaky_relu(x, negative_slope=0.01):"),),
        names=r"slope used is 0.01, not negative_slope=0.2",
        why="PyTorch's default slope 0.01 instead of Keras' 0.2",
    ),
    Entry(
        "sigmoid_naive_gradient_nan", "elementwise_solution", LESS,
        edits=(("    positive = x >= 0\n    z = ops.exp(-ops.where(positive, x, -x))  # exp(-|x|), "
                "in (0, 1]\n    return ops.where(positive, 1.0 / (1.0 + z), z / (1.0 + z))",
                "    return 1.0 / (1.0 + ops.exp(-x))"),),
        names=r"gradient .* is NaN.*backward pass",
        why="1 / (1 + exp(-x)): right values, NaN gradient at -1000 (0 * inf)",
    ),
    Entry(
        "sigmoid_exp_ratio_overflows", "elementwise_solution", LESS,
        edits=(("    positive = x >= 0\n    z = ops.exp(-ops.where(positive, x, -x))  # exp(-|x|), "
                "in (0, 1]\n    return ops.where(positive, 1.0 / (1.0 + z), z / (1.0 + z))",
                "    e = ops.exp(x)\n    return e / (1.0 + e)"),),
        names=r"exp\(x\) / \(1 \+ exp\(x\)\) overflows",
        why="exp(x) / (1 + exp(x)): inf / inf at +1000",
    ),
    Entry(
        "sigmoid_wrong_sign", "elementwise_solution", LESS,
        edits=(("    positive = x >= 0\n    z = ops.exp(-ops.where(positive, x, -x))  # exp(-|x|), "
                "in (0, 1]\n    return ops.where(positive, 1.0 / (1.0 + z), z / (1.0 + z))",
                "    positive = x >= 0\n    z = ops.exp(-ops.where(positive, x, -x))\n"
                "    return ops.where(positive, z / (1.0 + z), 1.0 / (1.0 + z))"),),
        names=r"sign of the exponent",
        why="the two branches of the stable form swapped: sigmoid(-x)",
    ),
    Entry(
        "tanh_forgot_the_two", "elementwise_solution", LESS,
        edits=(("return 2.0 * sigmoid(2.0 * x) - 1.0", "return 2.0 * sigmoid(x) - 1.0"),),
        names=r"tanh\(x / 2\)",
        why="2 sigmoid(x) - 1 is tanh(x/2)",
    ),
    Entry(
        "tanh_textbook_formula", "elementwise_solution", LESS,
        edits=(("return 2.0 * sigmoid(2.0 * x) - 1.0",
                "return (ops.exp(x) - ops.exp(-x)) / (ops.exp(x) + ops.exp(-x))"),),
        names=r"overflows for large \|x\|",
        why="the definition with exp(x) and exp(-x): inf / inf at +-1000",
    ),
    Entry(
        "gelu_always_approximate", "elementwise_solution", LESS,
        edits=(("    if approximate:\n        inner", "    if True:\n        inner"),),
        names=r"tanh approximation was used where the exact form is asked",
        why="the tanh approximation whatever `approximate` says",
    ),
    Entry(
        "gelu_erf_without_sqrt2", "elementwise_solution", LESS,
        edits=(("ops.erf(x / math.sqrt(2.0))", "ops.erf(x)"),),
        names=r"erf\(x\) instead of erf\(x / sqrt\(2\)\)",
        why="Phi(x) = (1 + erf(x)) / 2: the sqrt(2) forgotten",
    ),
    Entry(
        "gelu_approximation_without_cubic", "elementwise_solution", LESS,
        edits=(("(x + 0.044715 * x * x * x)", "x"),),
        names=r"cubic term is missing",
        why="tanh(sqrt(2/pi) x): the cubic correction left out",
    ),
    Entry(
        "relu_float32_zero", "elementwise_solution", LESS,
        edits=(("return ops.where(x > 0, x, 0.0)",
                'return ops.maximum(x, ops.zeros(ops.shape(x), dtype="float32"))'),),
        names=r"dtype float32, expected (float16|bfloat16)",
        why="a float32 tensor mixed in promotes float16 inputs",
    ),
    Entry(
        "relu_builtin", "elementwise_solution", LESS,
        edits=(("return ops.where(x > 0, x, 0.0)", "return keras.ops.relu(x)"),),
        names=r"keras\.ops\.relu",
        why="keras.ops.relu, the function being written",
    ),
    Entry(
        "gelu_builtin_through_alias", "elementwise_solution", LESS,
        edits=(("    return 0.5 * x * (1.0 + ops.erf(x / math.sqrt(2.0)))",
                "    from keras import activations as act\n"
                "    return act.gelu(x, approximate=False)"),),
        names=r"keras\.activations\.gelu",
        why="keras.activations.gelu imported under another name",
    ),
    Entry(
        "tanh_by_getattr", "elementwise_solution", LESS,
        edits=(("return 2.0 * sigmoid(2.0 * x) - 1.0", 'return getattr(ops, "tan" + "h")(x)'),),
        names=r"getattr|keras\.ops\.tanh",
        why="keras.ops.tanh reached with a computed attribute name",
    ),
    Entry(
        "tanh_tensorflow", "elementwise_solution", LESS,
        edits=(("    return 2.0 * sigmoid(2.0 * x) - 1.0",
                "    import tensorflow as tf\n    return tf.math.tanh(x)"),),
        names=r"tensorflow\.math\.tanh|tf\.math\.tanh",
        why="TensorFlow's tanh",
    ),
    Entry(
        "gelu_approximation_through_builtin_tanh", "elementwise_solution", LESS,
        edits=(("return 0.5 * x * (1.0 + tanh(inner))",
                "return 0.5 * x * (1.0 + ops.tanh(inner))"),),
        names=r"keras\.ops\.tanh",
        why="the built-in tanh in the cell that writes tanh (the spec says: your own)",
    ),
]

# -------------------------------------------------------- elementwise: alternatives

_ELEMENTWISE_VALID = [
    Entry(
        "relu_maximum", "elementwise_solution", FULL,
        edits=(("return ops.where(x > 0, x, 0.0)", "return ops.maximum(x, 0.0)"),),
        why="max(x, 0) with ops.maximum",
    ),
    Entry(
        "leaky_maximum", "elementwise_solution", FULL,
        edits=(("return ops.where(x > 0, x, negative_slope * x)",
                "return ops.maximum(x, negative_slope * x)"),),
        why="max(x, a x), valid for slopes below 1",
    ),
    Entry(
        "elu_minimum", "elementwise_solution", FULL,
        edits=(("negative_part = ops.where(x > 0, 0.0, x)", "negative_part = ops.minimum(x, 0.0)"),
               ("alpha * ops.expm1(negative_part)", "alpha * (ops.exp(negative_part) - 1.0)")),
        why="exp(min(x, 0)) - 1 instead of expm1 of a where",
    ),
    Entry(
        "sigmoid_softplus_tanh_abs", "elementwise_solution", FULL,
        edits=(("    positive = x >= 0\n    z = ops.exp(-ops.where(positive, x, -x))  # exp(-|x|), "
                "in (0, 1]\n    return ops.where(positive, 1.0 / (1.0 + z), z / (1.0 + z))",
                "    return ops.exp(-ops.softplus(-x))"),
               ("return 2.0 * sigmoid(2.0 * x) - 1.0",
                "t = ops.exp(-2.0 * ops.abs(x))\n    return ops.sign(x) * (1.0 - t) / (1.0 + t)")),
        why="sigmoid = exp(-softplus(-x)); tanh from exp(-2|x|) and the sign",
    ),
    Entry(
        "gelu_powers_and_constants", "elementwise_solution", FULL,
        edits=(("inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)",
                "inner = 0.7978845608028654 * (x + 0.044715 * x**3)"),
               ("return 0.5 * x * (1.0 + ops.erf(x / math.sqrt(2.0)))",
                "cdf = 0.5 * (1.0 + ops.erf(x * 0.7071067811865476))\n    return x * cdf")),
        why="numeric constants, x**3, Phi computed first",
    ),
]

# ----------------------------------------------------------------- softmax: mistakes

_SOFTMAX = [
    Entry(
        "softmax_without_shift", "softmax_solution", LESS,
        edits=(("    shifted = x - ops.max(x, axis=axis, keepdims=True)  # every entry <= 0\n"
                "    e = ops.exp(shifted)", "    e = ops.exp(x)"),),
        names=r"without the max shift",
        why="exp(x) / sum(exp(x)): overflow at 1000",
    ),
    Entry(
        "softmax_global_max", "softmax_solution", LESS,
        edits=(("x - ops.max(x, axis=axis, keepdims=True)", "x - ops.max(x)"),),
        names=r"whole tensor, not along the axis",
        why="the maximum of the whole tensor: rows far below it underflow",
    ),
    Entry(
        "softmax_last_axis_always", "softmax_solution", LESS,
        edits=(("ops.max(x, axis=axis, keepdims=True)", "ops.max(x, axis=-1, keepdims=True)"),
               ("ops.sum(e, axis=axis, keepdims=True)", "ops.sum(e, axis=-1, keepdims=True)")),
        names=r"taken over axis \d, not over axis=",
        why="axis=-1 written in, the argument ignored",
    ),
    Entry(
        "softmax_first_axis_default", "softmax_solution", LESS,
        edits=(("def softmax(x, axis=-1):", "def softmax(x, axis=0):"),),
        names=r"taken over axis 0, not over axis=-1",
        why="defaults to axis 0 (normalises over the batch)",
    ),
    Entry(
        "softmax_sum_without_keepdims", "softmax_solution", LESS,
        edits=(("ops.sum(e, axis=axis, keepdims=True)", "ops.sum(e, axis=axis)"),),
        names=r"keepdims|[Ii]ncompatible shapes|broadcast",
        why="the sum without keepdims broadcasts against the wrong axis",
    ),
    Entry(
        "softmax_max_without_keepdims", "softmax_solution", LESS,
        edits=(("x - ops.max(x, axis=axis, keepdims=True)", "x - ops.max(x, axis=axis)"),),
        names=r"keepdims|[Ii]ncompatible shapes|broadcast",
        why="the maximum without keepdims",
    ),
    Entry(
        "softmax_sum_over_everything", "softmax_solution", LESS,
        edits=(("ops.sum(e, axis=axis, keepdims=True)", "ops.sum(e)"),),
        names=r"sum runs over the whole tensor",
        why="normalised over every entry",
    ),
    Entry(
        "softmax_not_normalised", "softmax_solution", LESS,
        edits=(("    return e / ops.sum(e, axis=axis, keepdims=True)", "    return e"),),
        names=r"not divided by its sum",
        why="exp(x - max) returned",
    ),
    Entry(
        "softmax_log_probabilities", "softmax_solution", LESS,
        edits=(("    e = ops.exp(shifted)\n    return e / ops.sum(e, axis=axis, keepdims=True)",
                "    return shifted - ops.log(ops.sum(ops.exp(shifted), axis=axis, "
                "keepdims=True))"),),
        names=r"log-softmax",
        why="the log-softmax returned",
    ),
    Entry(
        "softmax_mean_shift", "softmax_solution", LESS,
        edits=(("x - ops.max(x, axis=axis, keepdims=True)",
                "x - ops.mean(x, axis=axis, keepdims=True)"),),
        names=r"overflowed",
        why="subtracts the mean: the largest entries still overflow",
    ),
    Entry(
        "softmax_float32_inside", "softmax_solution", LESS,
        edits=(("    shifted = x - ops.max",
                '    x = ops.cast(x, "float32")\n    shifted = x - ops.max'),),
        names=r"dtype float32, expected (float16|bfloat16)",
        why="computes in float32 and returns float32 for float16 inputs",
    ),
    Entry(
        "softmax_builtin", "softmax_solution", LESS,
        source="def softmax(x, axis=-1):\n    return ops.softmax(x, axis=axis)\n",
        names=r"keras\.ops\.softmax",
        why="keras.ops.softmax itself",
    ),
    Entry(
        "softmax_logsumexp", "softmax_solution", LESS,
        source="def softmax(x, axis=-1):\n"
               "    return ops.exp(x - ops.logsumexp(x, axis=axis, keepdims=True))\n",
        names=r"keras\.ops\.logsumexp",
        why="logsumexp hides the shift the exercise asks for",
    ),
    Entry(
        "softmax_tensorflow", "softmax_solution", LESS,
        source="import tensorflow as tf\n\n\ndef softmax(x, axis=-1):\n"
               "    return tf.nn.softmax(x, axis=axis)\n",
        names=r"tensorflow\.nn\.softmax|tf\.nn\.softmax",
        why="TensorFlow's softmax",
    ),
]

_SOFTMAX_VALID = [
    Entry(
        "softmax_stop_gradient_on_max", "softmax_solution", FULL,
        edits=(("x - ops.max(x, axis=axis, keepdims=True)",
                "x - ops.stop_gradient(ops.max(x, axis=axis, keepdims=True))"),),
        why="the shift is a constant for the gradient (its gradient cancels anyway)",
    ),
    Entry(
        "softmax_moveaxis", "softmax_solution", FULL,
        source="def softmax(x, axis=-1):\n"
               "    moved = ops.moveaxis(x, axis, -1)\n"
               "    e = ops.exp(moved - ops.max(moved, axis=-1, keepdims=True))\n"
               "    return ops.moveaxis(e / ops.sum(e, axis=-1, keepdims=True), -1, axis)\n",
        why="moves the axis last, normalises, moves it back",
    ),
    Entry(
        "softmax_divide_ops", "softmax_solution", FULL,
        source="def softmax(x, axis=-1):\n"
               "    m = ops.max(x, axis=axis, keepdims=True)\n"
               "    numerator = ops.exp(ops.subtract(x, m))\n"
               "    denominator = ops.sum(numerator, axis=axis, keepdims=True)\n"
               "    return ops.divide(numerator, denominator)\n",
        why="ops.subtract and ops.divide, other names",
    ),
]

# ------------------------------------------------------------- derivatives: mistakes

_DERIVATIVES = [
    Entry(
        "d_sigmoid_sign", "derivatives_solution", LESS,
        edits=(("return s * (1.0 - s)", "return s * (1.0 + s)"),),
        names=r"sign is wrong",
        why="sigma (1 + sigma)",
    ),
    Entry(
        "d_sigmoid_is_sigmoid", "derivatives_solution", LESS,
        edits=(("return s * (1.0 - s)", "return s"),),
        names=r"sigmoid itself, not its derivative",
        why="returns the function",
    ),
    Entry(
        "d_tanh_without_square", "derivatives_solution", LESS,
        edits=(("return 1.0 - t * t", "return 1.0 - t"),),
        names=r"missing the square",
        why="1 - tanh(x)",
    ),
    Entry(
        "d_tanh_sigmoid_pattern", "derivatives_solution", LESS,
        edits=(("    t = tanh(x)\n    return 1.0 - t * t",
                "    s = sigmoid(x)\n    return s * (1.0 - s)"),),
        names=r"sigmoid's derivative",
        why="the sigmoid's derivative copied for tanh",
    ),
    Entry(
        "d_gelu_product_rule_forgotten", "derivatives_solution", LESS,
        edits=(("    return cdf + x * pdf", "    return cdf"),),
        names=r"product rule is incomplete",
        why="Phi(x) only: the x phi(x) term forgotten",
    ),
    Entry(
        "d_gelu_density_unnormalised", "derivatives_solution", LESS,
        edits=(("pdf = ops.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)",
                "pdf = ops.exp(-0.5 * x * x)"),),
        names=r"missing its factor 1 / sqrt\(2 pi\)",
        why="the Gaussian density without its normalisation",
    ),
    Entry(
        "d_gelu_approximation_ignored", "derivatives_solution", LESS,
        edits=(("    if approximate:\n        c = ", "    if False:\n        c = "),),
        names=r"derivative of the other form of GELU",
        why="always the exact derivative",
    ),
    Entry(
        "d_gelu_approximation_without_three", "derivatives_solution", LESS,
        edits=(("(1.0 + 3 * 0.044715 * x * x)", "(1.0 + 0.044715 * x * x)"),),
        names=r"factor 3 is missing",
        why="d/dx x**3 written as x**2",
    ),
    Entry(
        "d_elu_function_not_derivative", "derivatives_solution", LESS,
        edits=(("alpha * ops.exp(ops.where(x > 0, 0.0, x))",
                "alpha * ops.expm1(ops.where(x > 0, 0.0, x))"),),
        names=r"not its derivative alpha \* exp\(x\)",
        why="the negative branch of ELU itself",
    ),
    Entry(
        "d_elu_alpha_forgotten", "derivatives_solution", LESS,
        edits=(("alpha * ops.exp(ops.where(x > 0, 0.0, x))", "ops.exp(ops.where(x > 0, 0.0, x))"),),
        names=r"alpha is missing",
        why="exp(x) without alpha",
    ),
    Entry(
        "d_leaky_sides_swapped", "derivatives_solution", LESS,
        edits=(("ops.where(x > 0, ops.ones_like(x), negative_slope * ops.ones_like(x))",
                "ops.where(x > 0, negative_slope * ops.ones_like(x), ops.ones_like(x))"),),
        names=r"slope is on the positive side",
        why="slope for x > 0, 1 for x < 0",
    ),
    Entry(
        "d_relu_is_relu", "derivatives_solution", LESS,
        edits=(("return ops.cast(x > 0, x.dtype)", "return relu(x)"),),
        names=r"ReLU itself, not its derivative",
        why="returns ReLU",
    ),
    Entry(
        "d_relu_boolean", "derivatives_solution", LESS,
        edits=(("return ops.cast(x > 0, x.dtype)", "return x > 0"),),
        names=r"dtype bool, expected float32",
        why="the mask, not a number",
    ),
    Entry(
        "d_sigmoid_by_autodiff", "derivatives_solution", LESS,
        edits=(("    s = sigmoid(x)\n    return s * (1.0 - s)",
                "    return autodiff_derivative(sigmoid, x)"),),
        names=r"autodiff_derivative|GradientTape|jax\.grad",
        why="autodiff instead of the formula",
    ),
    Entry(
        "d_tanh_gradient_tape", "derivatives_solution", LESS,
        edits=(("    t = tanh(x)\n    return 1.0 - t * t",
                "    import tensorflow as tf\n    x = tf.convert_to_tensor(x)\n"
                "    with tf.GradientTape() as tape:\n        tape.watch(x)\n"
                "        y = tanh(x)\n    return tape.gradient(y, x)"),),
        names=r"GradientTape",
        why="a GradientTape inside the 'analytic' derivative",
    ),
]

_DERIVATIVES_VALID = [
    Entry(
        "d_elu_from_the_function", "derivatives_solution", FULL,
        edits=(("alpha * ops.exp(ops.where(x > 0, 0.0, x))", "elu(x, alpha) + alpha"),),
        why="ELU'(x) = ELU(x) + alpha for x < 0",
    ),
    Entry(
        "d_sigmoid_from_exp", "derivatives_solution", FULL,
        edits=(("    s = sigmoid(x)\n    return s * (1.0 - s)",
                "    z = ops.exp(-ops.abs(x))\n    return z / ((1.0 + z) * (1.0 + z))"),),
        why="exp(-|x|) / (1 + exp(-|x|))**2, symmetric",
    ),
    Entry(
        "d_tanh_from_d_sigmoid", "derivatives_solution", FULL,
        edits=(("    t = tanh(x)\n    return 1.0 - t * t", "    return 4.0 * d_sigmoid(2.0 * x)"),),
        why="tanh = 2 sigma(2x) - 1, so tanh' = 4 sigma'(2x)",
    ),
    Entry(
        "d_relu_where", "derivatives_solution", FULL,
        edits=(("return ops.cast(x > 0, x.dtype)",
                "return ops.where(x > 0, ops.ones_like(x), ops.zeros_like(x))"),),
        why="a where between ones and zeros",
    ),
]

# ------------------------------------------------------------------ layers: mistakes

_LAYERS = [
    Entry(
        "leaky_layer_function_default", "layers_solution", LESS,
        edits=(("def __init__(self, negative_slope=0.3, **kwargs):",
                "def __init__(self, negative_slope=0.2, **kwargs):"),),
        names=r"slope used is 0.2, not negative_slope=0.3|'negative_slope'\] is 0.2",
        why="the function's default 0.2 for the layer (Keras' layer: 0.3)",
    ),
    Entry(
        "leaky_layer_config_without_slope", "layers_solution", LESS,
        edits=(('        config["negative_slope"] = self.negative_slope\n', ""),),
        names=r"no 'negative_slope'",
        why="get_config forgets the slope",
    ),
    Entry(
        "elu_layer_alpha_not_passed", "layers_solution", LESS,
        edits=(("return elu(inputs, alpha=self.alpha)", "return elu(inputs)"),),
        names=r"alpha is not applied",
        why="the layer's alpha is stored but not used",
    ),
    Entry(
        "softmax_layer_axis_ignored", "layers_solution", LESS,
        edits=(("return softmax(inputs, axis=self.axis)", "return softmax(inputs)"),),
        names=r"taken over axis \d, not over axis=",
        why="the layer always normalises the last axis",
    ),
    Entry(
        "softmax_layer_default_axis_one", "layers_solution", LESS,
        edits=(("def __init__(self, axis=-1, **kwargs):",
                "def __init__(self, axis=1, **kwargs):"),),
        names=r"\['axis'\] is 1; Keras stores -1",
        why="axis=1 by default: the same for 2-D inputs, not for 3-D ones",
    ),
    Entry(
        "leaky_layer_super_without_kwargs", "layers_solution", LESS,
        edits=(("        super().__init__(**kwargs)\n        self.negative_slope",
                "        super().__init__()\n        self.negative_slope"),),
        names=r"\*\*kwargs",
        why="super().__init__() drops name and dtype",
    ),
    Entry(
        "elu_layer_config_from_scratch", "layers_solution", LESS,
        edits=(('        config = super().get_config()\n        config["alpha"] = self.alpha',
                '        config = {"alpha": self.alpha}'),),
        names=r"super\(\)\.get_config",
        why="get_config without super(): name, trainable and dtype lost",
    ),
    Entry(
        "gelu_layer_config_without_approximate", "layers_solution", LESS,
        edits=(('        config["approximate"] = self.approximate\n', ""),),
        names=r"exact form .* was used, but approximate=True",
        why="from_config(get_config()) forgets approximate=True",
    ),
    Entry(
        "gelu_layer_approximate_ignored", "layers_solution", LESS,
        edits=(("return gelu(inputs, approximate=self.approximate)", "return gelu(inputs)"),),
        names=r"exact form .* was used, but approximate=True",
        why="the flag is stored but never used",
    ),
    Entry(
        "tanh_layer_calls_sigmoid", "layers_solution", LESS,
        edits=(("    def call(self, inputs):\n        return tanh(inputs)",
                "    def call(self, inputs):\n        return sigmoid(inputs)"),),
        names=r"sigmoid\(x\), not tanh\(x\)",
        why="copied from Sigmoid and not changed",
    ),
    Entry(
        "relu_layer_output_shape_without_batch", "layers_solution", LESS,
        edits=(("    def call(self, inputs):\n        return relu(inputs)\n\n"
                "    def compute_output_shape(self, input_shape):\n"
                "        return tuple(input_shape)",
                "    def call(self, inputs):\n        return relu(inputs)\n\n"
                "    def compute_output_shape(self, input_shape):\n"
                "        return tuple(input_shape[1:])"),),
        names=r"compute_output_shape",
        why="compute_output_shape drops the batch axis",
    ),
    Entry(
        "sigmoid_layer_builtin", "layers_solution", LESS,
        edits=(("    def call(self, inputs):\n        return sigmoid(inputs)",
                "    def call(self, inputs):\n        return keras.activations.sigmoid(inputs)"),),
        names=r"keras\.activations\.sigmoid",
        why="the built-in activation inside the layer",
    ),
    Entry(
        "relu_layer_subclasses_builtin", "layers_solution", LESS,
        edits=(("class ReLU(keras.layers.Layer):", "class ReLU(keras.layers.ReLU):"),),
        names=r"keras\.layers\.ReLU",
        why="subclasses the built-in layer",
    ),
    Entry(
        "elu_layer_wraps_builtin", "layers_solution", LESS,
        edits=(("        super().__init__(**kwargs)\n        self.alpha = float(alpha)",
                "        super().__init__(**kwargs)\n        self.alpha = float(alpha)\n"
                "        self.inner = keras.layers.ELU(alpha=alpha)"),
               ("return elu(inputs, alpha=self.alpha)", "return self.inner(inputs)")),
        names=r"keras\.layers\.ELU",
        why="wraps keras.layers.ELU",
    ),
    Entry(
        "leaky_layer_slope_as_alpha", "layers_solution", LESS,
        edits=(('config["negative_slope"] = self.negative_slope',
                'config["alpha"] = self.negative_slope'),),
        names=r"no 'negative_slope'|[Uu]nrecognized keyword arguments.*'alpha'",
        why="the slope saved under Keras 2's old name alpha",
    ),
]

_LAYERS_VALID = [
    Entry(
        "layers_common_base", "layers_solution", FULL,
        source='''\
class _Activation(keras.layers.Layer):
    """An elementwise activation: no weights, output shape = input shape."""

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class ReLU(_Activation):
    def call(self, inputs):
        return relu(inputs)


class LeakyReLU(_Activation):
    def __init__(self, negative_slope=0.3, **kwargs):
        super().__init__(**kwargs)
        self.negative_slope = negative_slope

    def call(self, inputs):
        return leaky_relu(inputs, self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(_Activation):
    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha

    def call(self, inputs):
        return elu(inputs, self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class Softmax(_Activation):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs):
        return softmax(inputs, self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Sigmoid(_Activation):
    def call(self, inputs):
        return sigmoid(inputs)


class Tanh(_Activation):
    def call(self, inputs):
        return tanh(inputs)


class GELU(_Activation):
    def __init__(self, approximate=False, **kwargs):
        super().__init__(**kwargs)
        self.approximate = approximate

    def call(self, inputs):
        return gelu(inputs, self.approximate)

    def get_config(self):
        return {**super().get_config(), "approximate": self.approximate}
''',
        why="a common base class, config merged with {**super().get_config(), ...}",
    ),
    Entry(
        "layers_config_update", "layers_solution", FULL,
        edits=(('        config["negative_slope"] = self.negative_slope\n',
                '        config.update({"negative_slope": self.negative_slope})\n'),
               ('        config["alpha"] = self.alpha\n',
                '        config.update(alpha=self.alpha)\n')),
        why="config.update instead of item assignment",
    ),
    Entry(
        "layers_function_stored", "layers_solution", FULL,
        edits=(("    def __init__(self, approximate=False, **kwargs):\n"
                "        super().__init__(**kwargs)\n"
                "        self.approximate = bool(approximate)",
                "    def __init__(self, approximate=False, **kwargs):\n"
                "        super().__init__(**kwargs)\n"
                "        self.approximate = bool(approximate)\n"
                "        self.fn = lambda v: gelu(v, approximate=self.approximate)"),
               ("return gelu(inputs, approximate=self.approximate)", "return self.fn(inputs)")),
        why="the function kept in an attribute",
    ),
]

ENTRIES: list[Entry] = (_ELEMENTWISE + _ELEMENTWISE_VALID + _SOFTMAX + _SOFTMAX_VALID
                        + _DERIVATIVES + _DERIVATIVES_VALID + _LAYERS + _LAYERS_VALID)
