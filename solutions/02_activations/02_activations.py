# ---
# jupyter:
#   kernelspec:
#     display_name: Keras from the inside (Python 3)
#     language: python
#     name: kcourse
# ---

# %% [markdown]
# # 02 · Activation functions, their derivatives, and their numerical traps
#
# A layer computes $\sigma(xW + b)$; notebook 01 took $\sigma$ from `keras.activations`.
# Here you write the activations yourself: as functions of tensors, as their hand-derived
# derivatives, and as Keras layers. The tests compare each one with Keras' own, not only on
# ordinary inputs but at $\pm 1000$ and in float16, where a formula that is right on paper
# returns NaN.
#
# **Learning goals.** After this notebook you can
#
# 1. write ReLU, LeakyReLU, ELU, sigmoid, tanh, GELU (exact and tanh approximation) and
#    softmax over any axis with `keras.ops`, equal to `keras.activations` in float32 and
#    float16, with the same shapes and dtypes;
# 2. explain why `exp` overflows, why a softmax must subtract the maximum first, and why a
#    result that is finite can still have a NaN gradient (the branch of `where` that is not
#    taken is differentiated too), and write formulas that avoid both;
# 3. derive each activation's derivative by hand and check it against automatic
#    differentiation;
# 4. wrap the functions as Keras layers with `get_config`, interchangeable with
#    `keras.layers.ReLU`, `LeakyReLU`, `ELU`, `Softmax` and `Activation`;
# 5. show with a measurement why deep sigmoid networks train slowly: the gradient shrinks
#    layer after layer, and it does not through ReLUs.
#
# **How to work.** Fill in the cells marked `# YOUR CODE HERE` and run the test cell after
# each. A passing check prints a line starting with ✔; a failing one says what was compared,
# where it differs, and the likely mistake. More tests run when the notebook is graded.

# %%
import inspect
import math

import keras
import matplotlib.pyplot as plt
import numpy as np
from keras import ops

from kcourse import checks

keras.utils.set_random_seed(0)
print("Keras", keras.__version__, "on", keras.config.backend())

# %% [markdown]
# ## 1. Why a network needs a nonlinearity
#
# Two Dense layers without activation are one Dense layer in disguise:
#
# $$ (xW_1 + b_1)W_2 + b_2 = x\,(W_1W_2) + (b_1W_2 + b_2). $$
#
# However many linear layers are stacked, the model stays linear in $x$. An activation
# $\sigma$ applied elementwise between them breaks this, and its shape decides how
# gradients flow back through the network (section 6).
#
# ## 2. The activations and Keras' names for them
#
# | name | $f(x)$ | Keras |
# |---|---|---|
# | ReLU | $\max(x, 0)$ | `keras.activations.relu(x)`, `keras.layers.ReLU()` |
# | LeakyReLU | $x$ if $x > 0$, else $a\,x$ | `keras.activations.leaky_relu(x, negative_slope=0.2)`, `keras.layers.LeakyReLU(negative_slope=0.3)` |
# | ELU | $x$ if $x > 0$, else $\alpha\,(e^{x} - 1)$ | `keras.activations.elu(x, alpha=1.0)`, `keras.layers.ELU(alpha=1.0)` |
# | sigmoid | $\sigma(x) = \dfrac{1}{1 + e^{-x}}$ | `keras.activations.sigmoid(x)` |
# | tanh | $\tanh(x) = \dfrac{e^{x} - e^{-x}}{e^{x} + e^{-x}} = 2\,\sigma(2x) - 1$ | `keras.activations.tanh(x)` |
# | GELU | $x\,\Phi(x) = \tfrac{x}{2}\left(1 + \operatorname{erf}\!\left(x/\sqrt{2}\right)\right)$ | `keras.activations.gelu(x, approximate=False)` |
# | GELU (tanh approx.) | $\tfrac{x}{2}\left(1 + \tanh\!\left(\sqrt{2/\pi}\,(x + 0.044715\,x^{3})\right)\right)$ | `keras.activations.gelu(x, approximate=True)` |
# | softmax | $s_i = \dfrac{e^{x_i}}{\sum_j e^{x_j}}$ along one axis | `keras.activations.softmax(x, axis=-1)`, `keras.layers.Softmax(axis=-1)` |
#
# $\Phi$ is the standard normal cumulative distribution function: GELU weights $x$ by the
# probability that a standard normal variable is below it. The two GELU forms differ by at
# most $5 \cdot 10^{-4}$, which the tests can see in float32.
#
# Defaults are not the same everywhere, which is a classic source of silent differences.
# Keras' own signatures say it:

# %%
for fn in (keras.activations.leaky_relu, keras.activations.elu, keras.activations.gelu,
           keras.ops.gelu, keras.activations.softmax):
    module = "keras.ops" if fn is keras.ops.gelu else "keras.activations"
    print(f"{module}.{fn.__name__}{inspect.signature(fn)}")
print("keras.layers.LeakyReLU().negative_slope =", keras.layers.LeakyReLU().negative_slope)

# %% [markdown]
# The function `leaky_relu` defaults to a slope of 0.2 and the layer `LeakyReLU` to 0.3;
# `keras.activations.gelu` is exact by default and `keras.ops.gelu` approximate.
#
# ## 3. Two numerical traps
#
# **Overflow in the forward pass.** The largest float32 is about $3.4 \cdot 10^{38}$, so
# $e^{x}$ is `inf` for $x > 88.7$; in float16 (largest 65504) already for $x > 11.1$.
# Then $\infty/\infty$ and $0/0$ are NaN. A formula that is right on paper can therefore
# return NaN for inputs a network meets, especially under mixed precision:

# %%
x_demo = ops.convert_to_tensor([-1000.0, -5.0, 0.5, 5.0, 1000.0])
naive = ops.exp(x_demo) / (1.0 + ops.exp(x_demo))  # sigmoid on paper
print("exp(x) / (1 + exp(x)):    ", np.round(ops.convert_to_numpy(naive), 4))
print("keras.activations.sigmoid:", np.round(ops.convert_to_numpy(keras.activations.sigmoid(x_demo)), 4))
print("exp(11.1) in float16 =", ops.convert_to_numpy(ops.exp(ops.convert_to_tensor(11.1, "float16"))),
      "| exp(11.2) =", ops.convert_to_numpy(ops.exp(ops.convert_to_tensor(11.2, "float16"))))

# %% [markdown]
# The cure is to rearrange the formula so that `exp` only ever sees arguments $\le 0$,
# where $0 < e^{x} \le 1$. For the sigmoid, with $z = e^{-|x|}$:
#
# $$ \sigma(x) = \frac{1}{1 + z} \;\text{ for } x \ge 0, \qquad \sigma(x) = \frac{z}{1 + z} \;\text{ for } x < 0. $$
#
# For softmax, any constant $c$ can be subtracted from every entry, because it cancels:
#
# $$ \frac{e^{x_i - c}}{\sum_j e^{x_j - c}} = \frac{e^{-c}\, e^{x_i}}{e^{-c} \sum_j e^{x_j}} = \frac{e^{x_i}}{\sum_j e^{x_j}}, $$
#
# and with $c = \max_j x_j$ every exponent is $\le 0$ and the largest term is exactly
# $e^0 = 1$, so the sum is between 1 and $n$: neither overflow nor $0/0$.
#
# **NaN in the backward pass.** `keras.ops.where(condition, a, b)` computes *both* `a` and
# `b` and then picks. Automatic differentiation does the same backwards: the gradient of
# the branch that was not picked is multiplied by 0, and $0 \cdot \infty$ is NaN. So ELU
# written as `where(x > 0, x, alpha * (exp(x) - 1))` gives the right values at $x = 1000$,
# but a NaN gradient there, because `exp(1000)` is computed in the branch that is thrown
# away. The fix is to make the thrown-away branch harmless too, e.g. evaluate the exponential
# at `where(x > 0, 0, x)`, which is never positive. (JAX's own `jax.nn.elu` does exactly
# this.)
#
# Keras 3 has no backend-neutral gradient function, so this notebook defines one for
# elementwise functions: TensorFlow records the computation on a `GradientTape`, JAX
# transforms the function with `jax.grad`. Both give $f'(x)$ at every entry of $x$, as the
# gradient of $\sum_i f(x_i)$.

# %%
def autodiff_derivative(fn, x):
    """f'(x) for an elementwise fn, by automatic differentiation: d/dx sum(fn(x))."""
    x = ops.convert_to_tensor(x)
    if keras.config.backend() == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(x)
            total = ops.sum(fn(x))
        return tape.gradient(total, x)
    import jax

    return jax.jit(jax.grad(lambda v: ops.sum(fn(v))))(x)  # jit: one compilation, not one per op


def naive_elu(x, alpha=1.0):
    return ops.where(x > 0, x, alpha * (ops.exp(x) - 1.0))


x_demo = ops.convert_to_tensor([-1000.0, -1.0, 1.0, 1000.0])
print("naive ELU values:     ", np.round(ops.convert_to_numpy(naive_elu(x_demo)), 4))
print("its autodiff gradient:", np.round(ops.convert_to_numpy(autodiff_derivative(naive_elu, x_demo)), 4))
print("Keras' ELU gradient:  ", np.round(ops.convert_to_numpy(autodiff_derivative(keras.activations.elu, x_demo)), 4))

# %% [markdown]
# ## Exercise 1 · the elementwise activations (6 points)
#
# Write the six functions below with `keras.ops`. For every one of them:
#
# * **input** `x`: a tensor of any shape, float32, float16 or bfloat16;
# * **output**: the same shape and the same dtype (multiply by Python floats, which adopt
#   the tensor's dtype; do not mix in float32 tensors or NumPy arrays);
# * **values** equal to `keras.activations.<name>` with the same arguments, also for inputs
#   near $\pm 1000$: finite wherever Keras' are, and with **finite gradients** there too;
# * **defaults**: `leaky_relu(x, negative_slope=0.2)`, `elu(x, alpha=1.0)`,
#   `gelu(x, approximate=False)` (exact by default, as `keras.activations.gelu`).
#
# Allowed: elementary `keras.ops` (`exp`, `expm1`, `log`, `abs`, `sign`, `where`, `maximum`,
# `minimum`, `erf`, `sqrt`, arithmetic, ...) and your own functions from this cell (e.g.
# `tanh` from `sigmoid`, and the GELU approximation from your `tanh`). Forbidden, anywhere in
# this cell: the built-in versions of these activations and of softmax
# (`keras.activations.*`, `keras.ops.relu`, `keras.ops.sigmoid`, `keras.ops.tanh`, ...,
# `keras.layers.ReLU`, `keras.layers.Activation`, ...) and their TensorFlow and JAX
# equivalents (`tf.nn.relu`, `tf.math.tanh`, `jax.nn.gelu`, `jax.numpy.tanh`, ...).
#
# Hints: follow section 3 for `sigmoid` (use $e^{-|x|}$) and `elu` (a harmless branch);
# `keras.ops.expm1(x)` computes $e^{x} - 1$ accurately near 0. The derivative of a
# piecewise function at exactly $x = 0$ is a convention (the tests avoid $x = 0$).

# %% nbgrader={"grade": false, "grade_id": "elementwise_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def relu(x):
    """max(x, 0), elementwise. x: any shape -> same shape and dtype."""
    ### BEGIN SOLUTION
    return ops.where(x > 0, x, 0.0)
    ### END SOLUTION


def leaky_relu(x, negative_slope=0.2):
    """x for x > 0, negative_slope * x otherwise."""
    ### BEGIN SOLUTION
    return ops.where(x > 0, x, negative_slope * x)
    ### END SOLUTION


def elu(x, alpha=1.0):
    """x for x > 0, alpha * (exp(x) - 1) otherwise; finite gradients at +-1000."""
    ### BEGIN SOLUTION
    negative_part = ops.where(x > 0, 0.0, x)  # never positive: exp cannot overflow
    return ops.where(x > 0, x, alpha * ops.expm1(negative_part))
    ### END SOLUTION


def sigmoid(x):
    """1 / (1 + exp(-x)), written so that exp never overflows (values and gradients)."""
    ### BEGIN SOLUTION
    positive = x >= 0
    z = ops.exp(-ops.where(positive, x, -x))  # exp(-|x|), in (0, 1]
    return ops.where(positive, 1.0 / (1.0 + z), z / (1.0 + z))
    ### END SOLUTION


def tanh(x):
    """(exp(x) - exp(-x)) / (exp(x) + exp(-x)), without overflow."""
    ### BEGIN SOLUTION
    return 2.0 * sigmoid(2.0 * x) - 1.0
    ### END SOLUTION


def gelu(x, approximate=False):
    """x * Phi(x) (exact, with erf) or its tanh approximation when approximate=True."""
    ### BEGIN SOLUTION
    if approximate:
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1.0 + tanh(inner))
    return 0.5 * x * (1.0 + ops.erf(x / math.sqrt(2.0)))
    ### END SOLUTION


# %% [markdown]
# ### Visible test
#
# `checks.check_function(your_fn, keras_fn, inputs, ...)` calls both functions on the same
# random input (`inputs=((4, 5),)`: one argument of shape (4, 5)) and compares the output's
# shape, dtype and values and the gradient of $\sum \text{output} \cdot c$ for a random $c$;
# `extreme=True` repeats this on inputs whose rows or columns sit near $+1000$, near
# $-1000$, or mix both with ordinary values.

# %% nbgrader={"grade": true, "grade_id": "elementwise_visible", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Forbidden in every function of the cell (besides each one's own built-in versions):
BUILT_INS = ["keras.activations", "keras.layers", "keras.ops.nn", "tf.nn", "jax.nn"] + [
    f"{module}.{name}" for module in ("keras.ops", "keras.ops.numpy", "tf.math", "tf", "jax.numpy")
    for name in ("relu", "leaky_relu", "elu", "sigmoid", "tanh", "gelu", "softmax")]
checks.check_function(relu, keras.activations.relu, ((4, 5),), extreme=True, forbidden=BUILT_INS)
checks.check_function(leaky_relu, keras.activations.leaky_relu, ((4, 5),), extreme=True,
                      forbidden=BUILT_INS)
checks.check_function(elu, keras.activations.elu, ((4, 5),), extreme=True, forbidden=BUILT_INS)
checks.check_function(sigmoid, keras.activations.sigmoid, ((4, 5),), extreme=True,
                      forbidden=BUILT_INS)
checks.check_function(tanh, keras.activations.tanh, ((4, 5),), extreme=True, forbidden=BUILT_INS)
checks.check_function(gelu, keras.activations.gelu, ((4, 5),), extreme=True, forbidden=BUILT_INS)

# %% [markdown]
# The next cell tries the arguments: other slopes and alphas, and GELU's approximation.

# %% nbgrader={"grade": true, "grade_id": "elementwise_arguments", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_function(leaky_relu, keras.activations.leaky_relu, ((4, 5),),
                      kwargs={"negative_slope": 0.1}, forbidden=BUILT_INS)
checks.check_function(elu, keras.activations.elu, ((4, 5),), kwargs={"alpha": 0.5},
                      forbidden=BUILT_INS)
checks.check_function(gelu, keras.activations.gelu, ((4, 5),), kwargs={"approximate": True},
                      forbidden=BUILT_INS)
### BEGIN HIDDEN TESTS
checks.check_function(leaky_relu, keras.activations.leaky_relu, ((1, 7),),
                      kwargs={"negative_slope": 0.3}, seed=1, extreme=True, forbidden=BUILT_INS)
checks.check_function(elu, keras.activations.elu, ((2, 3, 4),), kwargs={"alpha": 2.0}, seed=2,
                      extreme=True, forbidden=BUILT_INS)
checks.check_function(gelu, keras.activations.gelu, ((2, 3, 4),), kwargs={"approximate": True},
                      seed=3, extreme=True, forbidden=BUILT_INS)
checks.check_function(gelu, keras.activations.gelu, ((1, 7),), seed=4, forbidden=BUILT_INS)
checks.check_function(relu, keras.activations.relu, ((2, 3, 4),), seed=5, forbidden=BUILT_INS)
checks.check_function(sigmoid, keras.activations.sigmoid, ((1, 7),), seed=6, forbidden=BUILT_INS)
checks.check_function(tanh, keras.activations.tanh, ((2, 3, 4),), seed=7, forbidden=BUILT_INS)
### END HIDDEN TESTS

# %% [markdown]
# The last cell of this exercise runs the same comparisons in float16 (and bfloat16), where
# `exp` overflows already above 11.

# %% nbgrader={"grade": true, "grade_id": "elementwise_half_precision", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_function(sigmoid, keras.activations.sigmoid, ((4, 5),), dtypes=("float16",),
                      extreme=True, forbidden=BUILT_INS)
### BEGIN HIDDEN TESTS
for name, fn, kwargs in [("relu", relu, {}), ("leaky_relu", leaky_relu, {"negative_slope": 0.3}),
                         ("elu", elu, {"alpha": 0.5}), ("sigmoid", sigmoid, {}),
                         ("tanh", tanh, {}), ("gelu", gelu, {})]:
    checks.check_function(fn, getattr(keras.activations, name), ((4, 5),), kwargs=kwargs,
                          dtypes=("float16", "bfloat16"), extreme=True, seed=11,
                          forbidden=BUILT_INS)
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Softmax over any axis
#
# Softmax turns a vector of scores into probabilities: $s_i > 0$ and $\sum_i s_i = 1$. For
# a tensor, `axis` says along which axis the vectors lie; every other axis just indexes
# independent vectors. For logits of shape `(batch, classes)` it is `axis=-1`: each row
# becomes a distribution over the classes. With `axis=0` each *column* would be normalised
# over the batch instead, a silent mistake (the output has the right shape).
#
# Reductions keep the reduced axis with `keepdims=True`, so that `x - max` and `e / sum`
# broadcast against the right axis: for `x` of shape `(4, 5)` and `axis=-1`,
# `ops.max(x, axis=-1, keepdims=True)` has shape `(4, 1)`; without `keepdims` it would be
# `(4,)`, which NumPy-style broadcasting aligns with the *last* axis.
#
# $$ \operatorname{softmax}(x)_i = \frac{e^{x_i - m}}{\sum_j e^{x_j - m}}, \qquad m = \max_j x_j \text{ along the axis}. $$

# %% [markdown]
# ## Exercise 2 · a numerically stable softmax (4 points)
#
# Write `softmax(x, axis=-1)`:
#
# * `x`: any shape, float32, float16 or bfloat16; `axis`: an integer, negative values
#   counting from the end (as in Keras);
# * returns the same shape and dtype as `x`, equal to `keras.activations.softmax(x, axis)`;
# * never overflows or returns NaN, also for inputs near $\pm 1000$, and has finite gradients.
#
# Forbidden: `keras.activations.softmax`, `keras.ops.softmax`, `keras.ops.log_softmax`,
# `keras.ops.logsumexp` (it hides the shift you are asked to write), `keras.layers.Softmax`,
# and the TensorFlow/JAX equivalents (`tf.nn.softmax`, `jax.nn.softmax`, ...).

# %% nbgrader={"grade": false, "grade_id": "softmax_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def softmax(x, axis=-1):
    """exp(x - max) / sum(exp(x - max)) along `axis`; same shape and dtype as x."""
    ### BEGIN SOLUTION
    shifted = x - ops.max(x, axis=axis, keepdims=True)  # every entry <= 0
    e = ops.exp(shifted)
    return e / ops.sum(e, axis=axis, keepdims=True)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "softmax_visible", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
NOT_THE_SHIFT = ["keras.ops.logsumexp", "tf.math.reduce_logsumexp", "jax.nn.logsumexp",
                 "jax.scipy.special.logsumexp", "scipy.special.logsumexp"]
checks.check_function(softmax, keras.activations.softmax, ((4, 5),), extreme=True,
                      forbidden=NOT_THE_SHIFT)
checks.check_function(softmax, keras.activations.softmax, ((4, 5),), kwargs={"axis": 0},
                      forbidden=NOT_THE_SHIFT)

# %% [markdown]
# Hidden tests: three-dimensional inputs over each axis, a batch of one, a single vector,
# float16 and bfloat16, all with extreme inputs.

# %% nbgrader={"grade": true, "grade_id": "softmax_axes", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_function(softmax, keras.activations.softmax, ((2, 3, 4),), kwargs={"axis": 1},
                      extreme=True, forbidden=NOT_THE_SHIFT)
### BEGIN HIDDEN TESTS
for seed, shape, axis in [(21, (2, 3, 4), 0), (22, (2, 3, 4), -1), (23, (1, 7), -1),
                          (24, (7,), 0), (25, (4, 5), 1)]:
    checks.check_function(softmax, keras.activations.softmax, (shape,), kwargs={"axis": axis},
                          seed=seed, extreme=True, forbidden=NOT_THE_SHIFT)
checks.check_function(softmax, keras.activations.softmax, ((4, 5),), kwargs={"axis": 0},
                      dtypes=("float16", "bfloat16"), extreme=True, seed=27,
                      forbidden=NOT_THE_SHIFT)
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Derivatives by hand
#
# Backpropagation multiplies, layer after layer, the incoming gradient by $f'(z)$ at each
# pre-activation $z$. Here are the derivatives; each follows from the definitions in
# section 2.
#
# **ReLU, LeakyReLU, ELU** (piecewise; at $x = 0$ any value between the two one-sided
# derivatives is a valid choice, and backends differ there):
#
# $$ \mathrm{ReLU}'(x) = \begin{cases} 1 & x > 0 \\ 0 & x < 0 \end{cases} \qquad
#    \mathrm{LeakyReLU}_a'(x) = \begin{cases} 1 & x > 0 \\ a & x < 0 \end{cases} \qquad
#    \mathrm{ELU}_\alpha'(x) = \begin{cases} 1 & x > 0 \\ \alpha e^{x} = \mathrm{ELU}_\alpha(x) + \alpha & x < 0 \end{cases} $$
#
# **Sigmoid.** With $\sigma(x) = (1 + e^{-x})^{-1}$, the chain rule gives
#
# $$ \sigma'(x) = \frac{e^{-x}}{(1 + e^{-x})^{2}} = \frac{1}{1 + e^{-x}} \cdot \frac{e^{-x}}{1 + e^{-x}} = \sigma(x)\,\bigl(1 - \sigma(x)\bigr) \le \tfrac14 . $$
#
# **Tanh.** From $\tanh(x) = 2\sigma(2x) - 1$: $\tanh'(x) = 4\,\sigma(2x)(1 - \sigma(2x))$, and
# since $\sigma(2x) = (1 + \tanh x)/2$,
#
# $$ \tanh'(x) = (1 + \tanh x)(1 - \tanh x) = 1 - \tanh^{2}(x) \le 1 . $$
#
# **GELU, exact.** With $\Phi'(x) = \varphi(x) = e^{-x^{2}/2}/\sqrt{2\pi}$ (the normal
# density), the product rule gives
#
# $$ \frac{d}{dx}\,x\,\Phi(x) = \Phi(x) + x\,\varphi(x). $$
#
# **GELU, tanh approximation.** With $u(x) = \sqrt{2/\pi}\,(x + 0.044715\,x^{3})$ and
# $t = \tanh u$:
#
# $$ \frac{d}{dx}\,\frac{x}{2}\bigl(1 + t\bigr) = \frac12 (1 + t) + \frac{x}{2}\,(1 - t^{2})\,\sqrt{2/\pi}\,\bigl(1 + 3 \cdot 0.044715\,x^{2}\bigr). $$
#
# **Softmax** is not elementwise: each output depends on every input along the axis, and
# its derivative is a matrix (the Jacobian) $\partial s_i / \partial x_j = s_i(\delta_{ij} - s_j)$.
# The gradients compared in Exercise 2 already used it.

# %% [markdown]
# ## Exercise 3 · derivatives (4 points)
#
# Write the derivatives above as functions of `x` (the same arguments and defaults as in
# Exercise 1). Each returns $f'(x)$ elementwise, with the shape and dtype of `x` (a boolean
# mask becomes a number with `ops.cast(mask, x.dtype)`). The test compares them with the
# derivative automatic differentiation computes for Keras' own function, also at $\pm 1000$.
#
# You may use your functions from Exercise 1 (e.g. `sigmoid` in `d_sigmoid`). Forbidden:
# automatic differentiation itself (`tf.GradientTape`, `jax.grad`, `autodiff_derivative`
# above, ...): the point is the formula.

# %% nbgrader={"grade": false, "grade_id": "derivatives_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def d_relu(x):
    """ReLU'(x): 1 for x > 0, 0 otherwise."""
    ### BEGIN SOLUTION
    return ops.cast(x > 0, x.dtype)
    ### END SOLUTION


def d_leaky_relu(x, negative_slope=0.2):
    """LeakyReLU'(x): 1 for x > 0, negative_slope otherwise."""
    ### BEGIN SOLUTION
    return ops.where(x > 0, ops.ones_like(x), negative_slope * ops.ones_like(x))
    ### END SOLUTION


def d_elu(x, alpha=1.0):
    """ELU'(x): 1 for x > 0, alpha * exp(x) otherwise."""
    ### BEGIN SOLUTION
    return ops.where(x > 0, ops.ones_like(x), alpha * ops.exp(ops.where(x > 0, 0.0, x)))
    ### END SOLUTION


def d_sigmoid(x):
    """sigma'(x) = sigma(x) * (1 - sigma(x))."""
    ### BEGIN SOLUTION
    s = sigmoid(x)
    return s * (1.0 - s)
    ### END SOLUTION


def d_tanh(x):
    """tanh'(x) = 1 - tanh(x)**2."""
    ### BEGIN SOLUTION
    t = tanh(x)
    return 1.0 - t * t
    ### END SOLUTION


def d_gelu(x, approximate=False):
    """GELU'(x): Phi(x) + x * phi(x), or the derivative of the tanh approximation."""
    ### BEGIN SOLUTION
    if approximate:
        c = math.sqrt(2.0 / math.pi)
        t = tanh(c * (x + 0.044715 * x * x * x))
        return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * c * (1.0 + 3 * 0.044715 * x * x)
    cdf = 0.5 * (1.0 + ops.erf(x / math.sqrt(2.0)))
    pdf = ops.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
    return cdf + x * pdf
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "derivatives_visible", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
NO_AUTODIFF = ["autodiff_derivative"]  # besides tf.GradientTape, jax.grad, ...
checks.check_derivative(d_relu, keras.activations.relu, (4, 5), forbidden=NO_AUTODIFF)
checks.check_derivative(d_leaky_relu, keras.activations.leaky_relu, (4, 5), forbidden=NO_AUTODIFF)
checks.check_derivative(d_elu, keras.activations.elu, (4, 5), forbidden=NO_AUTODIFF)
checks.check_derivative(d_sigmoid, keras.activations.sigmoid, (4, 5), forbidden=NO_AUTODIFF)
checks.check_derivative(d_tanh, keras.activations.tanh, (4, 5), forbidden=NO_AUTODIFF)
checks.check_derivative(d_gelu, keras.activations.gelu, (4, 5), forbidden=NO_AUTODIFF)

# %% [markdown]
# Hidden tests: other arguments, the approximation's derivative, extreme inputs, float16.

# %% nbgrader={"grade": true, "grade_id": "derivatives_arguments", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_derivative(d_gelu, keras.activations.gelu, (4, 5), kwargs={"approximate": True},
                        forbidden=NO_AUTODIFF)
### BEGIN HIDDEN TESTS
checks.check_derivative(d_leaky_relu, keras.activations.leaky_relu, (4, 5),
                        kwargs={"negative_slope": 0.3}, seed=31, extreme=True, forbidden=NO_AUTODIFF)
checks.check_derivative(d_elu, keras.activations.elu, (4, 5), kwargs={"alpha": 0.5}, seed=32,
                        extreme=True, forbidden=NO_AUTODIFF)
for seed, fn, name in [(33, d_relu, "relu"), (34, d_sigmoid, "sigmoid"),
                       (35, d_tanh, "tanh"), (36, d_gelu, "gelu")]:
    checks.check_derivative(fn, getattr(keras.activations, name), (4, 5), seed=seed,
                            extreme=True, dtypes=("float32", "float16"),
                            forbidden=NO_AUTODIFF)
checks.check_derivative(d_gelu, keras.activations.gelu, (2, 3, 4), kwargs={"approximate": True},
                        seed=37, extreme=True, forbidden=NO_AUTODIFF)
### END HIDDEN TESTS

# %% [markdown]
# ### Every function and its derivative
#
# Solid: your function. Dashed: your hand-written derivative. Dots: the derivative automatic
# differentiation computes through your function. Where dots and dashes agree, your
# derivation and your code agree with each other (and the tests showed they agree with
# Keras). The last panel is the first output of a softmax over $(z, 0, 1)$ as $z$ varies,
# with its partial derivative $s_1(1 - s_1)$.

# %%
grid = np.linspace(-4.0, 4.0, 161).astype("float32") + 0.0125  # avoids x = 0 exactly
panels = [
    ("ReLU", relu, d_relu), ("LeakyReLU (0.2)", leaky_relu, d_leaky_relu),
    ("ELU (alpha = 1)", elu, d_elu), ("sigmoid", sigmoid, d_sigmoid), ("tanh", tanh, d_tanh),
    ("GELU (exact)", gelu, d_gelu),
    ("GELU (tanh approx.)", lambda v: gelu(v, approximate=True),
     lambda v: d_gelu(v, approximate=True)),
    ("softmax(z, 0, 1)[0]",
     lambda v: softmax(ops.stack([v, ops.zeros_like(v), ops.ones_like(v)], axis=-1))[..., 0],
     lambda v: (lambda s: s * (1.0 - s))(
         softmax(ops.stack([v, ops.zeros_like(v), ops.ones_like(v)], axis=-1))[..., 0])),
]
fig, axes = plt.subplots(2, 4, figsize=(14, 6), sharex=True)
for ax, (title, fn, derivative) in zip(axes.ravel(), panels, strict=True):
    ax.plot(grid, ops.convert_to_numpy(fn(ops.convert_to_tensor(grid))), label="f(x)")
    ax.plot(grid, ops.convert_to_numpy(derivative(ops.convert_to_tensor(grid))), "--",
            label="f'(x) by hand")
    ax.plot(grid[::10], ops.convert_to_numpy(autodiff_derivative(fn, grid))[::10], "o",
            markersize=3, label="f'(x) by autodiff")
    ax.set_title(title)
    ax.axhline(0, color="grey", linewidth=0.5)
    ax.grid(alpha=0.3)
axes[0, 0].legend(loc="upper left", fontsize=8)
fig.tight_layout()

# %% [markdown]
# The derivatives explain section 6 before it is measured: $\sigma' \le 1/4$ everywhere and
# is tiny once $|x| > 4$; $\tanh' \le 1$, with the same tails; ReLU's derivative is exactly 1
# wherever the unit is active.

# %% [markdown]
# ## Exercise 4 · activation layers (6 points)
#
# Activations are also layers (`keras.layers.ReLU()`, `keras.layers.Activation("tanh")`), so
# they can sit in a `Sequential` model and be saved with it. Write seven layers, each a
# subclass of `keras.layers.Layer` whose `call(inputs)` applies your function from
# Exercise 1 or 2:
#
# | layer | constructor | `get_config()` adds | Keras' equivalent |
# |---|---|---|---|
# | `ReLU` | `ReLU(**kwargs)` | nothing | `keras.layers.ReLU()` |
# | `LeakyReLU` | `LeakyReLU(negative_slope=0.3, **kwargs)` (the **layer's** default) | `"negative_slope"` | `keras.layers.LeakyReLU(negative_slope)` |
# | `ELU` | `ELU(alpha=1.0, **kwargs)` | `"alpha"` | `keras.layers.ELU(alpha)` |
# | `Softmax` | `Softmax(axis=-1, **kwargs)` | `"axis"` | `keras.layers.Softmax(axis)` |
# | `Sigmoid`, `Tanh` | `Sigmoid(**kwargs)`, `Tanh(**kwargs)` | nothing | `keras.layers.Activation("sigmoid")`, `("tanh")` |
# | `GELU` | `GELU(approximate=False, **kwargs)` | `"approximate"` | `keras.layers.Activation("gelu")` (exact) |
#
# Each `__init__` passes `**kwargs` (name, dtype, ...) to `super().__init__`; each
# `get_config` starts from `super().get_config()`; each `compute_output_shape` returns the
# input shape (activations keep shapes). None has weights. The built-in layers and
# activations are forbidden here as in Exercises 1–2.

# %% nbgrader={"grade": false, "grade_id": "layers_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
class ReLU(keras.layers.Layer):
    """relu(inputs); inputs (batch, ...) -> the same shape."""

    def call(self, inputs):
        ### BEGIN SOLUTION
        return relu(inputs)
        ### END SOLUTION

    def compute_output_shape(self, input_shape):
        ### BEGIN SOLUTION
        return tuple(input_shape)
        ### END SOLUTION


class LeakyReLU(keras.layers.Layer):
    """leaky_relu(inputs, negative_slope); the layer's default slope is 0.3."""

    def __init__(self, negative_slope=0.3, **kwargs):
        ### BEGIN SOLUTION
        super().__init__(**kwargs)
        self.negative_slope = float(negative_slope)
        ### END SOLUTION

    def call(self, inputs):
        ### BEGIN SOLUTION
        return leaky_relu(inputs, negative_slope=self.negative_slope)
        ### END SOLUTION

    def compute_output_shape(self, input_shape):
        ### BEGIN SOLUTION
        return tuple(input_shape)
        ### END SOLUTION

    def get_config(self):
        ### BEGIN SOLUTION
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config
        ### END SOLUTION


class ELU(keras.layers.Layer):
    """elu(inputs, alpha)."""

    def __init__(self, alpha=1.0, **kwargs):
        ### BEGIN SOLUTION
        super().__init__(**kwargs)
        self.alpha = float(alpha)
        ### END SOLUTION

    def call(self, inputs):
        ### BEGIN SOLUTION
        return elu(inputs, alpha=self.alpha)
        ### END SOLUTION

    def compute_output_shape(self, input_shape):
        ### BEGIN SOLUTION
        return tuple(input_shape)
        ### END SOLUTION

    def get_config(self):
        ### BEGIN SOLUTION
        config = super().get_config()
        config["alpha"] = self.alpha
        return config
        ### END SOLUTION


class Softmax(keras.layers.Layer):
    """softmax(inputs, axis)."""

    def __init__(self, axis=-1, **kwargs):
        ### BEGIN SOLUTION
        super().__init__(**kwargs)
        self.axis = axis
        ### END SOLUTION

    def call(self, inputs):
        ### BEGIN SOLUTION
        return softmax(inputs, axis=self.axis)
        ### END SOLUTION

    def compute_output_shape(self, input_shape):
        ### BEGIN SOLUTION
        return tuple(input_shape)
        ### END SOLUTION

    def get_config(self):
        ### BEGIN SOLUTION
        config = super().get_config()
        config["axis"] = self.axis
        return config
        ### END SOLUTION


class Sigmoid(keras.layers.Layer):
    """sigmoid(inputs)."""

    def call(self, inputs):
        ### BEGIN SOLUTION
        return sigmoid(inputs)
        ### END SOLUTION

    def compute_output_shape(self, input_shape):
        ### BEGIN SOLUTION
        return tuple(input_shape)
        ### END SOLUTION


class Tanh(keras.layers.Layer):
    """tanh(inputs)."""

    def call(self, inputs):
        ### BEGIN SOLUTION
        return tanh(inputs)
        ### END SOLUTION

    def compute_output_shape(self, input_shape):
        ### BEGIN SOLUTION
        return tuple(input_shape)
        ### END SOLUTION


class GELU(keras.layers.Layer):
    """gelu(inputs, approximate)."""

    def __init__(self, approximate=False, **kwargs):
        ### BEGIN SOLUTION
        super().__init__(**kwargs)
        self.approximate = bool(approximate)
        ### END SOLUTION

    def call(self, inputs):
        ### BEGIN SOLUTION
        return gelu(inputs, approximate=self.approximate)
        ### END SOLUTION

    def compute_output_shape(self, input_shape):
        ### BEGIN SOLUTION
        return tuple(input_shape)
        ### END SOLUTION

    def get_config(self):
        ### BEGIN SOLUTION
        config = super().get_config()
        config["approximate"] = self.approximate
        return config
        ### END SOLUTION


# %% [markdown]
# ### Visible test
#
# `checks.check_layer` (as in notebook 01) compares outputs, gradients and the
# `get_config` → `from_config` round trip with the built-in layer; `config_keys` names the
# entries that must equal Keras' own.

# %% nbgrader={"grade": true, "grade_id": "layers_visible", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_layer(ReLU(), keras.layers.ReLU(), input_shape=(4, 5))
checks.check_layer(LeakyReLU(), keras.layers.LeakyReLU(), input_shape=(4, 5),
                   config_keys=("negative_slope",))
checks.check_layer(ELU(), keras.layers.ELU(), input_shape=(4, 5), config_keys=("alpha",))
checks.check_layer(Softmax(), keras.layers.Softmax(), input_shape=(4, 5), config_keys=("axis",))
checks.check_layer(Sigmoid(), keras.layers.Activation("sigmoid"), input_shape=(4, 5))
checks.check_layer(Tanh(), keras.layers.Activation("tanh"), input_shape=(4, 5))
checks.check_layer(GELU(), keras.layers.Activation("gelu"), input_shape=(4, 5))

# %% [markdown]
# Hidden tests: the layers' arguments (slope, alpha, axis, the GELU approximation) through
# the configuration round trip, three-dimensional inputs, a batch of one, and extreme values.
# Keras has no GELU layer with `approximate=True`, so that one is compared with
# `keras.activations.gelu` through `check_function`, calling the layer rebuilt from its
# configuration.

# %% nbgrader={"grade": true, "grade_id": "layers_arguments", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_layer(LeakyReLU(negative_slope=0.1), keras.layers.LeakyReLU(negative_slope=0.1),
                   input_shape=(4, 5), config_keys=("negative_slope",))
checks.check_layer(Softmax(axis=0), keras.layers.Softmax(axis=0), input_shape=(4, 5),
                   config_keys=("axis",))
checks.check_function(lambda x, approximate: GELU.from_config(
    GELU(approximate=approximate).get_config())(x), keras.activations.gelu, ((4, 5),),
    kwargs={"approximate": True}, label="your GELU(approximate=True) layer")
### BEGIN HIDDEN TESTS
extreme_rows = np.array([[1000.0, 999.0, 998.5, 1000.5, 997.0],
                         [-1000.0, -999.5, -998.0, -1001.0, -997.0],
                         [1000.0, -1000.0, 0.5, -0.5, 3.0],
                         [0.3, -0.2, 1.1, -2.0, 0.7]], dtype="float32")
checks.check_layer(ELU(alpha=0.5), keras.layers.ELU(alpha=0.5), input_shape=(4, 5), seed=41,
                   config_keys=("alpha",))
checks.check_layer(Softmax(axis=1), keras.layers.Softmax(axis=1), input_shape=(2, 3, 4),
                   seed=42, config_keys=("axis",))
checks.check_layer(Softmax(), keras.layers.Softmax(), inputs=extreme_rows, seed=43)
checks.check_layer(Sigmoid(), keras.layers.Activation("sigmoid"), inputs=extreme_rows, seed=44)
checks.check_layer(LeakyReLU(negative_slope=0.2), keras.layers.LeakyReLU(negative_slope=0.2),
                   input_shape=(2, 3, 4), seed=45, config_keys=("negative_slope",))
checks.check_layer(GELU(), keras.layers.Activation("gelu"), input_shape=(2, 3, 4), seed=46)
checks.check_layer(Tanh(), keras.layers.Activation("tanh"), input_shape=(2, 3, 4), seed=47)
checks.check_function(lambda x, approximate: GELU.from_config(
    GELU(approximate=approximate).get_config())(x), keras.activations.gelu, ((2, 3, 4),),
    kwargs={"approximate": False}, seed=48, label="your GELU layer")
### END HIDDEN TESTS

# %% [markdown]
# ### The layer contract
#
# Under `mixed_float16` your layers receive float16 inputs (Exercise 1 made sure the
# functions keep that dtype); they must also work on symbolic inputs, in a jit-compiled
# training step, and survive serialization.

# %% nbgrader={"grade": true, "grade_id": "layers_contract", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_layer(Softmax(axis=-1), keras.layers.Softmax(axis=-1), input_shape=(4, 5),
                   contract=True)
### BEGIN HIDDEN TESTS
checks.check_layer(LeakyReLU(negative_slope=0.2), keras.layers.LeakyReLU(negative_slope=0.2),
                   input_shape=(4, 5), contract=True)
checks.check_layer(ELU(alpha=0.5), keras.layers.ELU(alpha=0.5), input_shape=(4, 5),
                   contract=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 6. Vanishing gradients, measured
#
# Take a stack of $L$ Dense layers with the same activation $f$,
# $z_l = h_{l-1} W_l + b_l$ and $h_l = f(z_l)$, and a loss $\mathcal{L} = \sum h_L \odot c$.
# Backpropagation runs the chain rule from the top:
#
# $$ \delta_L = c, \qquad g_l = \delta_l \odot f'(z_l), \qquad \frac{\partial \mathcal{L}}{\partial W_l} = h_{l-1}^{\top} g_l, \qquad \delta_{l-1} = g_l W_l^{\top}. $$
#
# Every layer multiplies the signal by $f'(z_l)$ (and by $W_l^{\top}$, which with these
# weights keeps its size about constant). For the sigmoid that factor is at most $1/4$, so
# from the last layer down to the first the gradient shrinks by orders of magnitude: the
# first layers' weights barely move. ReLU's factor is exactly 1 on the active units. The cell below runs this backward pass with **your** functions and derivatives
# (no autodiff) on a 10-layer stack of width 64 with He-normal weights, the same for every
# activation, and plots the norm $\lVert \partial \mathcal{L} / \partial W_l \rVert$ per layer.

# %%
def gradient_norms(activation, derivative, depth=10, width=64, batch=32, seed=0):
    """Norm of dL/dW_l for l = 1..depth, by hand-written backpropagation."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, width)).astype("float32")
    weights = [(rng.standard_normal((width, width)) * np.sqrt(2.0 / width)).astype("float32")
               for _ in range(depth)]
    h, saved = ops.convert_to_tensor(x), []
    for w in weights:  # forward pass, keeping what the backward pass needs
        z = ops.matmul(h, w)
        saved.append((h, z))
        h = activation(z)
    delta = ops.convert_to_tensor(rng.standard_normal((batch, width)).astype("float32"))
    norms = []
    for w, (h_in, z) in zip(reversed(weights), reversed(saved), strict=True):
        g = delta * derivative(z)
        norms.append(float(ops.convert_to_numpy(ops.sqrt(ops.sum(ops.matmul(ops.transpose(h_in), g) ** 2)))))
        delta = ops.matmul(g, ops.transpose(w))
    return norms[::-1]


norms = {"sigmoid": gradient_norms(sigmoid, d_sigmoid), "tanh": gradient_norms(tanh, d_tanh),
         "ReLU": gradient_norms(relu, d_relu), "GELU": gradient_norms(gelu, d_gelu)}
for name, values in norms.items():
    print(f"{name:>8}: first layer / last layer = {values[0] / values[-1]:.0e}")
fig, ax = plt.subplots(figsize=(6.5, 3.8))
for name, values in norms.items():
    ax.semilogy(range(1, len(values) + 1), values, marker="o", label=name)
ax.set_xlabel("layer l (1 = next to the input)")
ax.set_ylabel("norm of dL/dW_l")
ax.set_title("gradient norm per layer, 10 layers, same weights")
ax.grid(alpha=0.3, which="both")
ax.legend()
fig.tight_layout()

# %% [markdown]
# The sigmoid stack's first layer receives a gradient four orders of magnitude smaller than
# its last layer; with ReLU (and GELU, which behaves like ReLU for large inputs) the norms
# stay within a small factor of each other. Tanh keeps them too here: its derivative is
# close to 1 around 0, where most pre-activations of this stack fall; it vanishes only once
# its units saturate ($|z| > 2$), e.g. with larger weights. This is why hidden layers use
# ReLU-like (or zero-centred) activations, and why sigmoid and softmax are kept for the
# output, where they turn scores into probabilities.
#
# ## Summary
#
# * Each activation is a few `keras.ops` lines; the care goes into what the formula does at
#   the edges of floating point: `exp` overflows above 88.7 (float32) or 11.1 (float16), and
#   $\infty/\infty$, $0/0$ and $0 \cdot \infty$ are NaN.
# * Rearrange so that `exp` only sees arguments $\le 0$: $e^{-|x|}$ for sigmoid and tanh, the
#   max shift for softmax. Keep the branch of `where` that is not taken finite too, because
#   autodiff differentiates it (ELU's `exp(where(x > 0, 0, x))`).
# * Softmax normalises along one axis; `keepdims=True` keeps the broadcasting right.
# * The derivatives: $\sigma' = \sigma(1 - \sigma) \le 1/4$, $\tanh' = 1 - \tanh^2$,
#   $\mathrm{GELU}' = \Phi + x\varphi$, ReLU's 0 or 1; they decide how the gradient survives
#   many layers.
# * Activation layers are thin: a `call` and a `get_config` with the arguments. Mind the
#   defaults (`leaky_relu`: 0.2, `LeakyReLU`: 0.3; `keras.activations.gelu` exact,
#   `keras.ops.gelu` approximate). Next: convolutions.

# %% [markdown]
# ## Where you stand
#
# The cell below lists this notebook's test cells as they ran in this session: passed,
# failed or not run yet, and the points that pass. Grading runs more tests than these.

# %%
checks.progress("02_activations.ipynb")
