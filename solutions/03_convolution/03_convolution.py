# ---
# jupyter:
#   kernelspec:
#     display_name: Keras from the inside (Python 3)
#     language: python
#     name: kcourse
# ---

# %% [markdown]
# # 03 · Convolution from the inside: write `Conv2D` yourself
#
# A convolution layer slides a small grid of weights over an image and, at every
# position, takes a weighted sum of the pixels under it. Because the same weights are used
# everywhere, a pattern is detected wherever it appears, with far fewer parameters than a
# Dense layer would need. In this notebook you compute that operation three times, each
# time closer to what Keras does: with plain loops, vectorized with `keras.ops`, and as a
# `Conv2D` layer that the tests compare with `keras.layers.Conv2D`.
#
# **Learning goals.** After this notebook you can
#
# 1. write the sum a 2-D convolution layer computes, and say why Keras' "convolution" is a
#    *cross-correlation* (the kernel is not flipped);
# 2. compute the output size for `valid` and `same` padding, strides and dilation, and say
#    where Keras puts the padding (the extra row or column goes at the bottom/right);
# 3. handle several input channels, several filters and a bias, with the kernel in Keras'
#    layout `(kernel_height, kernel_width, in_channels, filters)`;
# 4. vectorize the sliding window (im2col: gather the windows, then one matrix product),
#    and measure what that buys;
# 5. write a complete `Conv2D` layer (`build`, `call`, `compute_output_shape`,
#    `get_config`), train a small CNN made of it on MNIST digits, and look at what its
#    filters learned.
#
# **How to work.** Fill in the cells marked `# YOUR CODE HERE`, then run the test cell
# below each exercise. A passing test prints lines starting with ✔; a failing one says
# where your result differs from Keras' and, when it recognises the mistake, what it
# probably is. More tests (other shapes, strides, paddings and seeds) run when your
# notebook is graded.

# %%
import time

import keras
import matplotlib.pyplot as plt
import numpy as np

from kcourse import checks, data

keras.utils.set_random_seed(0)
print("Keras", keras.__version__, "on", keras.config.backend())

# %% [markdown]
# ## 1. Cross-correlation: what Keras calls convolution
#
# Take a one-channel image $x$ of $h \times w$ pixels and a kernel $K$ of
# $k_h \times k_w$ weights. Keras' convolution computes, for every position $(i, j)$ where
# the kernel fits inside the image,
#
# $$ y_{i,j} \;=\; \sum_{u=0}^{k_h-1} \sum_{v=0}^{k_w-1} x_{i+u,\; j+v}\; K_{u,v}. $$
#
# The kernel's top-left weight $K_{0,0}$ multiplies the window's top-left pixel: the kernel
# is laid on the image as it is stored. Mathematicians call this a **cross-correlation**.
# The convolution of the textbooks (and of signal processing, `scipy.signal.convolve2d`)
# runs the kernel backwards,
#
# $$ (x * K)_{i,j} \;=\; \sum_{u,v} x_{i-u,\; j-v}\; K_{u,v}, $$
#
# which is the same as a cross-correlation with the kernel rotated by 180°. For a network
# the difference does not matter, since the kernel is learned either way, but it matters
# as soon as you copy weights between libraries or write a filter by hand: with a flipped
# kernel every result changes. TensorFlow, JAX, PyTorch and Keras all compute the
# cross-correlation and call it convolution; so will you.
#
# A 4×4 example with a 2×2 kernel. The top-left output is
# $0 \cdot 1 + 1 \cdot 2 + 4 \cdot 3 + 5 \cdot 4 = 34$; with the kernel flipped it would be
# $0 \cdot 4 + 1 \cdot 3 + 4 \cdot 2 + 5 \cdot 1 = 16$.

# %%
x_small = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)  # (batch, height, width, channels)
k_small = np.array([[1, 2], [3, 4]], dtype="float32").reshape(2, 2, 1, 1)  # (kh, kw, in, out)
y_small = keras.ops.convert_to_numpy(keras.ops.conv(x_small, k_small))
print("image:\n", x_small[0, :, :, 0])
print("keras.ops.conv (3x3 valid positions):\n", y_small[0, :, :, 0])
print("top-left by hand:", float((x_small[0, :2, :2, 0] * k_small[:, :, 0, 0]).sum()),
      "| flipped kernel:", float((x_small[0, :2, :2, 0] * k_small[::-1, ::-1, 0, 0]).sum()))

# %% [markdown]
# ## 2. Channels, filters and bias
#
# Real inputs have channels (3 for a colour image, or the many feature maps an earlier
# layer produced), and a layer computes several outputs, one per **filter**. Each filter
# has one $k_h \times k_w$ slice of weights per input channel and sums over all of them.
# With the batch index $b$, stride $s$ and dilation $d$ (section 3), a Conv2D layer with
# activation $\sigma$ computes
#
# $$ y_{b,i,j,f} \;=\; \sigma\!\left( \beta_f + \sum_{u=0}^{k_h-1} \sum_{v=0}^{k_w-1}
#    \sum_{c=0}^{c_\text{in}-1} \tilde x_{b,\; i s_h + u d_h,\; j s_w + v d_w,\; c}\;
#    K_{u,v,c,f} \right), $$
#
# where $\tilde x$ is the input after padding, $\beta \in \mathbb{R}^{F}$ holds one bias
# per filter, and the kernel $K$ is stored in Keras' layout
#
# $$ K \in \mathbb{R}^{k_h \times k_w \times c_\text{in} \times F}, $$
#
# that is `kernel.shape == (kernel_height, kernel_width, in_channels, filters)`. So
# `kernel[u, v]` is a $c_\text{in} \times F$ matrix: at each kernel offset $(u, v)$ the
# pixel's channel vector is multiplied by it, exactly as a Dense layer multiplies its input
# by its kernel. (PyTorch stores the same weights as `(filters, in_channels, kh, kw)`;
# copying one into the other needs a transpose.) The layer has
# $k_h k_w c_\text{in} F + F$ parameters, however large the image.

# %%
builtin = keras.layers.Conv2D(filters=4, kernel_size=(3, 2))
y_demo = builtin(np.zeros((1, 8, 8, 3), dtype="float32"))
print("output shape:", tuple(y_demo.shape))
for weight in builtin.weights:
    print(f"{weight.name:>6}: shape {tuple(weight.shape)}")
print("parameters:", builtin.count_params(), "= 3*2*3*4 + 4")

# %% [markdown]
# ## 3. Output size: padding, strides, dilation
#
# Along one axis, let the input have $n$ cells, the kernel $k$ weights, the stride be $s$
# (the window moves $s$ cells at a time) and the dilation $d$ (the kernel's taps are $d$
# cells apart, so it covers $\hat k = (k-1)\,d + 1$ cells).
#
# **`padding="valid"`** keeps only windows that lie entirely inside the input:
#
# $$ n_\text{out} = \left\lfloor \frac{n - \hat k}{s} \right\rfloor + 1 . $$
#
# **`padding="same"`** pads the input with zeros so that, with $s = 1$, the output has as
# many positions as the input; in general
#
# $$ n_\text{out} = \left\lceil \frac{n}{s} \right\rceil, \qquad
#    p = \max\!\big( (n_\text{out} - 1)\, s + \hat k - n,\; 0 \big), \qquad
#    p_\text{before} = \left\lfloor \frac{p}{2} \right\rfloor, \quad
#    p_\text{after} = p - p_\text{before}. $$
#
# When the total padding $p$ is odd, **the extra row goes at the bottom and the extra
# column at the right** (TensorFlow's and JAX's rule, which Keras follows). That happens
# with an even kernel at stride 1 ($\hat k = 2$: $p = 1$, all of it at the bottom), or with
# strides: $n = 6$, $k = 3$, $s = 2$ gives $n_\text{out} = 3$ and
# $p = 2 \cdot 2 + 3 - 6 = 1$, so no row on top and one at the bottom.
#
# Keras' `Conv2D` refuses `strides > 1` together with `dilation_rate > 1`; you never need
# both at once.
#
# Below, a 4×4 image of ones and a 2×2 kernel of ones with `padding="same"`: each output
# counts the real pixels under its window. The last row and column see padded zeros, so the
# padding went to the bottom and the right. The picture after it shows the three windows
# along the diagonal for $n = 6$, $k = 3$, $s = 2$.

# %%
ones = np.ones((1, 4, 4, 1), dtype="float32")
counts = keras.ops.conv(ones, np.ones((2, 2, 1, 1), dtype="float32"), padding="same")
print(keras.ops.convert_to_numpy(counts)[0, :, :, 0])

print("\n  n  k  s  d  padding -> Keras' output size")
for n, k, s, d, padding in [(7, 3, 1, 1, "valid"), (7, 3, 2, 1, "valid"), (6, 3, 2, 1, "same"),
                            (7, 3, 2, 1, "same"), (7, 3, 1, 2, "valid"), (6, 4, 1, 1, "same")]:
    layer = keras.layers.Conv2D(1, k, strides=s, dilation_rate=d, padding=padding)
    print(f"{n:3d}{k:3d}{s:3d}{d:3d}  {padding:7s} -> {layer.compute_output_shape((1, n, n, 1))[1]}")


# %%
def draw_same_padding(n=6, k=3, s=2):
    """The padded grid of padding="same" along both axes, with the diagonal windows."""
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    before = total // 2
    size = n + total
    fig, ax = plt.subplots(figsize=(4, 4))
    for r in range(size):
        for c in range(size):
            inside = before <= r < before + n and before <= c < before + n
            ax.add_patch(plt.Rectangle((c, size - 1 - r), 1, 1, edgecolor="grey",
                                       facecolor="white" if inside else "lightgrey"))
    colours = ["tab:blue", "tab:orange", "tab:green", "tab:red"]
    for i in range(out):
        top = i * s
        ax.add_patch(plt.Rectangle((top + 0.08 * i, size - top - k + 0.08 * i), k - 0.16 * i,
                                   k - 0.16 * i, fill=False, linewidth=2.5,
                                   edgecolor=colours[i % len(colours)]))
    ax.set_xlim(0, size)
    ax.set_ylim(0, size)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(f"padding='same', n={n}, k={k}, s={s}: p={total}\n"
                 f"{before} before, {total - before} after (grey = zeros)")
    return fig


fig = draw_same_padding()

# %% [markdown]
# ## Exercise 1 · the sliding window, with loops (3 points)
#
# Write four functions. The first three are small helpers you will reuse in the next
# exercises.
#
# | function | returns |
# |---|---|
# | `as_pair(value)` | `(value, value)` for an int, else the two items of a tuple or list as a tuple of ints: `as_pair(3) == (3, 3)`, `as_pair([2, 1]) == (2, 1)` |
# | `conv_output_size(size, kernel_size, stride, padding, dilation=1)` | $n_\text{out}$ of section 3 for one axis (`padding` is `"valid"` or `"same"`) |
# | `same_padding(size, kernel_size, stride, dilation=1)` | `(before, after)`: the zeros `padding="same"` adds on one axis, the extra one after |
# | `conv2d_naive(x, kernel, strides=1, padding="valid")` | the convolution of section 2 without bias or activation, dilation 1 |
#
# `conv2d_naive` takes its arguments in the order of `keras.ops.conv`, against which it is
# tested:
#
# * `x`: shape `(batch, height, width, in_channels)`, float32, a NumPy array or a tensor
#   (start with `x = np.asarray(x)`; the same for `kernel`);
# * `kernel`: shape `(kernel_height, kernel_width, in_channels, filters)`;
# * `strides`: an int or a pair `(s_h, s_w)`; `padding`: `"valid"` or `"same"`;
# * returns a float32 NumPy array of shape `(batch, out_height, out_width, filters)`.
#
# Write it with loops and NumPy: at least over the output positions $(i, j)$; you may take
# the sum over one window and all filters at once (`np.tensordot(window, kernel, axes=3)`
# sums over the last three axes of `window` and the first three of `kernel`), or loop over
# everything. Pad with `np.pad`. This version is about getting every index right, not speed:
# the tests call it on tiny inputs and compare its output (not gradients: NumPy code cannot
# be differentiated by Keras) with `keras.ops.conv`.
#
# Forbidden, here and in the next exercises: `keras.ops.conv`, `keras.layers.Conv2D`, their
# TensorFlow, JAX, SciPy and NumPy relatives (`tf.nn.conv2d`, `jax.lax.conv_general_dilated`,
# `scipy.signal.correlate2d`, `np.correlate`, ...) and patch extractors
# (`keras.ops.image.extract_patches`). The tests refuse them, and so does grading.

# %% nbgrader={"grade": false, "grade_id": "naive_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def as_pair(value):
    """3 -> (3, 3); (2, 1) or [2, 1] -> (2, 1)."""
    ### BEGIN SOLUTION
    if isinstance(value, int):
        return (value, value)
    first, second = value
    return (int(first), int(second))
    ### END SOLUTION


def conv_output_size(size, kernel_size, stride, padding, dilation=1):
    """Output length along one axis of a convolution (padding "valid" or "same")."""
    ### BEGIN SOLUTION
    effective = (kernel_size - 1) * dilation + 1
    if padding == "same":
        return -(-size // stride)
    return (size - effective) // stride + 1
    ### END SOLUTION


def same_padding(size, kernel_size, stride, dilation=1):
    """(before, after) zeros that padding="same" adds along one axis; the extra one after."""
    ### BEGIN SOLUTION
    effective = (kernel_size - 1) * dilation + 1
    out = conv_output_size(size, kernel_size, stride, "same", dilation)
    total = max((out - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2
    ### END SOLUTION


def conv2d_naive(x, kernel, strides=1, padding="valid"):
    """Cross-correlation with loops: x (batch, h, w, cin), kernel (kh, kw, cin, filters)
    -> (batch, out_h, out_w, filters) float32 NumPy array."""
    ### BEGIN SOLUTION
    x = np.asarray(x)
    kernel = np.asarray(kernel)
    sh, sw = as_pair(strides)
    kh, kw, _, filters = kernel.shape
    batch, height, width, _ = x.shape
    if padding == "same":
        top, bottom = same_padding(height, kh, sh)
        left, right = same_padding(width, kw, sw)
        x = np.pad(x, [(0, 0), (top, bottom), (left, right), (0, 0)])
    out_h = conv_output_size(height, kh, sh, padding)
    out_w = conv_output_size(width, kw, sw, padding)
    out = np.zeros((batch, out_h, out_w, filters), dtype=x.dtype)
    for i in range(out_h):
        for j in range(out_w):
            window = x[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :]  # (batch, kh, kw, cin)
            out[:, i, j, :] = np.tensordot(window, kernel, axes=3)
    return out
    ### END SOLUTION


# %% [markdown]
# ### Visible test
#
# `checks.check_function(your_fn, keras.ops.conv, inputs, kwargs=...)` draws random inputs
# of the given shapes (one per positional argument: `x`, then `kernel`), calls both
# functions with the same keyword arguments, and compares shapes, dtypes and values.

# %% nbgrader={"grade": true, "grade_id": "naive_test", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_function(conv2d_naive, keras.ops.conv, ((1, 5, 5, 1), (3, 3, 1, 1)),
                      gradients=False)
checks.check_function(conv2d_naive, keras.ops.conv, ((2, 6, 5, 3), (3, 3, 3, 2)),
                      kwargs={"strides": 2, "padding": "same"}, gradients=False)

# %% [markdown]
# The next cell tries even and odd sizes, rectangular kernels, strides `(1, 2)` and a
# batch of one when graded.

# %% nbgrader={"grade": true, "grade_id": "naive_variants", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_function(conv2d_naive, keras.ops.conv, ((2, 4, 4, 1), (2, 2, 1, 1)),
                      kwargs={"padding": "same"}, gradients=False)
### BEGIN HIDDEN TESTS
for seed, x_shape, k_shape, kwargs in [
    (1, (1, 7, 6, 2), (3, 2, 2, 3), {}),
    (2, (2, 6, 7, 2), (2, 3, 2, 2), {"padding": "same"}),
    (3, (1, 8, 8, 1), (3, 3, 1, 2), {"strides": 2}),
    (4, (2, 7, 6, 3), (3, 3, 3, 1), {"strides": (1, 2), "padding": "same"}),
    (5, (1, 5, 9, 2), (1, 4, 2, 2), {"strides": (2, 3), "padding": "same"}),
    (6, (1, 3, 3, 1), (3, 3, 1, 1), {}),
]:
    checks.check_function(conv2d_naive, keras.ops.conv, (x_shape, k_shape), kwargs=kwargs,
                          gradients=False, seed=seed)
### END HIDDEN TESTS

# %% [markdown]
# ## Exercise 2 · vectorized, with `keras.ops` (4 points)
#
# The loops visit $h_\text{out} w_\text{out}$ windows one at a time. Every window is
# multiplied by the same kernel, so gather all of them first and do **one** matrix product
# (the *im2col* trick). The window of output row $i$ covers the padded rows
# $i s_h + u d_h$, $u = 0, \ldots, k_h - 1$: a small table of integers,
#
# $$ R_{i,u} = i\, s_h + u\, d_h \quad (R \in \mathbb{Z}^{h_\text{out} \times k_h}), \qquad
#    C_{j,v} = j\, s_w + v\, d_w \quad (C \in \mathbb{Z}^{w_\text{out} \times k_w}), $$
#
# which NumPy builds in one line with broadcasting
# (`np.arange(out_h)[:, None] * s_h + np.arange(kh)[None, :] * d_h`). Indexing the padded
# input with both tables gathers every window at once:
#
# $$ P_{b,i,j,u,v,c} = \tilde x_{b,\; R_{i,u},\; C_{j,v},\; c}, \qquad
#    y_{b,i,j,f} = \sum_{u,v,c} P_{b,i,j,u,v,c}\, K_{u,v,c,f}. $$
#
# `keras.ops.take(x, R, axis=1)` picks the rows (the table's two axes replace axis 1:
# shape `(batch, out_h, kh, width, cin)`), a second `take` on the column axis picks the
# columns, and after moving the axes into the order $(b, i, j, u, v, c)$ and reshaping to
# $(B, h_\text{out}, w_\text{out}, k_h k_w c_\text{in})$ the sum is one matrix product with
# `kernel.reshape(kh * kw * cin, filters)`, whose rows are ordered $(u, v, c)$ as well:
#
# $$ y = P \, \operatorname{reshape}(K,\; (k_h k_w c_\text{in},\; F)). $$
#
# (Another way, also accepted: for each kernel offset $(u, v)$ take the strided slice
# `x[:, u*dh : u*dh + (out_h-1)*sh + 1 : sh, v*dw : ..., :]`, which holds that offset's
# pixel of every window, and either concatenate the $k_h k_w$ slices or add up
# $k_h k_w$ products `slice @ kernel[u, v]`. Python then loops $k_h k_w$ times, never once
# per output pixel.)
#
# Write `conv2d(x, kernel, strides=1, padding="valid", dilation_rate=1)`, with the
# arguments, shapes and result of Exercise 1 plus `dilation_rate` (an int or a pair), with
# these differences:
#
# * use `keras.ops` on `x` and `kernel` (`keras.ops.pad`, `keras.ops.take` or slicing,
#   `keras.ops.transpose`, `keras.ops.reshape`, `keras.ops.matmul`), never NumPy, so that
#   the result is a tensor Keras can differentiate: the test also compares the gradients
#   with respect to `x` and `kernel`. Sizes (`x.shape[1]`, `kernel.shape`) are plain Python
#   ints, and NumPy may build integer index tables from them;
# * no Python loop over output positions (a loop over the kernel offsets is fine);
# * the result keeps the input's dtype;
# * your helpers from Exercise 1 are welcome (`as_pair`, `conv_output_size`,
#   `same_padding`, now with `dilation`).
#
# Your `Conv2D` layer in Exercise 3 will call this function.

# %% nbgrader={"grade": false, "grade_id": "vectorized_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv2d(x, kernel, strides=1, padding="valid", dilation_rate=1):
    """Cross-correlation with keras.ops (im2col): x (batch, h, w, cin),
    kernel (kh, kw, cin, filters) -> (batch, out_h, out_w, filters), x's dtype."""
    ### BEGIN SOLUTION
    sh, sw = as_pair(strides)
    dh, dw = as_pair(dilation_rate)
    kh, kw, cin, filters = kernel.shape
    height, width = x.shape[1], x.shape[2]
    if padding == "same":
        top, bottom = same_padding(height, kh, sh, dh)
        left, right = same_padding(width, kw, sw, dw)
        x = keras.ops.pad(x, [(0, 0), (top, bottom), (left, right), (0, 0)])
    out_h = conv_output_size(height, kh, sh, padding, dh)
    out_w = conv_output_size(width, kw, sw, padding, dw)
    rows = np.arange(out_h)[:, None] * sh + np.arange(kh)[None, :] * dh  # (out_h, kh)
    cols = np.arange(out_w)[:, None] * sw + np.arange(kw)[None, :] * dw  # (out_w, kw)
    patches = keras.ops.take(x, rows, axis=1)  # (batch, out_h, kh, width, cin)
    patches = keras.ops.take(patches, cols, axis=3)  # (batch, out_h, kh, out_w, kw, cin)
    patches = keras.ops.transpose(patches, (0, 1, 3, 2, 4, 5))  # (batch, i, j, u, v, c)
    patches = keras.ops.reshape(patches, (-1, out_h, out_w, kh * kw * cin))
    return keras.ops.matmul(patches, keras.ops.reshape(kernel, (kh * kw * cin, filters)))
    ### END SOLUTION


# %% [markdown]
# ### Visible test
#
# This time the test also differentiates: it compares the gradient of
# $\sum y \odot c$ (for a random $c$) with respect to `x` and to `kernel` with Keras'.

# %% nbgrader={"grade": true, "grade_id": "vectorized_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_function(conv2d, keras.ops.conv, ((2, 6, 6, 2), (3, 3, 2, 4)),
                      kwargs={"padding": "same"})
checks.check_function(conv2d, keras.ops.conv, ((1, 7, 8, 3), (3, 3, 3, 2)),
                      kwargs={"strides": 2})

# %% [markdown]
# Graded with more: even sizes, rectangular kernels, strides `(2, 1)`, dilation 2 with both
# paddings, a batch of one.

# %% nbgrader={"grade": true, "grade_id": "vectorized_variants", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_function(conv2d, keras.ops.conv, ((1, 7, 7, 1), (3, 3, 1, 2)),
                      kwargs={"dilation_rate": 2})
### BEGIN HIDDEN TESTS
for seed, x_shape, k_shape, kwargs in [
    (1, (2, 6, 6, 3), (3, 3, 3, 2), {"strides": 2, "padding": "same"}),
    (2, (1, 5, 8, 2), (2, 3, 2, 3), {"padding": "same"}),
    (3, (2, 9, 7, 2), (3, 2, 2, 2), {"strides": (2, 1)}),
    (4, (1, 8, 8, 2), (3, 3, 2, 2), {"dilation_rate": 2, "padding": "same"}),
    (5, (2, 9, 6, 1), (2, 3, 1, 2), {"dilation_rate": (3, 1), "padding": "same"}),
    (6, (1, 4, 4, 2), (4, 4, 2, 1), {}),
]:
    checks.check_function(conv2d, keras.ops.conv, (x_shape, k_shape), kwargs=kwargs, seed=seed)
### END HIDDEN TESTS

# %% [markdown]
# ## 4. How much does vectorizing buy?
#
# The same convolution (a batch of 4 images of 28×28 pixels with 3 channels, 8 filters of
# 3×3), timed three ways: your loops, your vectorized function, and Keras' own
# `keras.ops.conv`, which calls an optimised C++ kernel of the backend. The figures depend
# on the machine, so the notebook tests do not compare them (that is what the first line of
# the cell asks).

# %%
# NBVAL_IGNORE_OUTPUT
def best_time(fn, repeat):
    """Fastest of `repeat` calls, in milliseconds (after one warm-up call)."""
    keras.ops.convert_to_numpy(fn())
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        keras.ops.convert_to_numpy(fn())
        times.append(time.perf_counter() - started)
    return 1000 * min(times)


rng = np.random.default_rng(0)
x_bench = rng.standard_normal((4, 28, 28, 3)).astype("float32")
k_bench = rng.standard_normal((3, 3, 3, 8)).astype("float32")
timings = {
    "naive loops (NumPy)": best_time(lambda: conv2d_naive(x_bench, k_bench), 1),
    "vectorized (keras.ops)": best_time(lambda: conv2d(x_bench, k_bench), 5),
    "built-in keras.ops.conv": best_time(lambda: keras.ops.conv(x_bench, k_bench), 5),
}
fastest = timings["built-in keras.ops.conv"]
print(f"{'implementation':26s} {'ms':>9s} {'x built-in':>11s}")
for name, ms in timings.items():
    print(f"{name:26s} {ms:9.2f} {ms / fastest:11.1f}")

# %% [markdown]
# The loops pay Python's overhead once per window; the vectorized version a handful of
# times in all, and a single large matrix product does the arithmetic. The built-in is
# faster still: it never materialises the patch matrix, which holds every input pixel
# $k_h k_w$ times.

# %% [markdown]
# ## Exercise 3 · the `Conv2D` layer (7 points)
#
# Wrap your `conv2d` in a layer with the behaviour and configuration of
# `keras.layers.Conv2D` (channels last). Specification:
#
# | method | must do |
# |---|---|
# | `__init__(filters, kernel_size, strides=(1, 1), padding="valid", dilation_rate=(1, 1), activation=None, use_bias=True, **kwargs)` | call `super().__init__(**kwargs)`; store `self.filters` (int); `self.kernel_size`, `self.strides`, `self.dilation_rate` as **tuples of two ints** (`as_pair`); `self.padding` in lower case; `self.activation = keras.activations.get(activation)`; `self.use_bias` |
# | `build(input_shape)` | `self.kernel`: shape `(kernel_height, kernel_width, input_shape[-1], filters)`, initializer `"glorot_uniform"`, name `"kernel"`; if `use_bias`, `self.bias`: shape `(filters,)`, initializer `"zeros"`, name `"bias"` |
# | `call(inputs)` | `activation(conv2d(inputs, kernel, strides, padding, dilation_rate) + bias)`: input `(batch, h, w, in_channels)` → output `(batch, out_h, out_w, filters)` in the input's dtype |
# | `compute_output_shape(input_shape)` | `(batch, out_h, out_w, filters)` from the formulas of section 3 (`batch` may be `None`) |
# | `get_config()` | `super().get_config()` plus `"filters"`, `"kernel_size"`, `"strides"`, `"padding"`, `"dilation_rate"`, `"activation"` (its name: `keras.activations.serialize`), `"use_bias"` |
#
# The tests build your layer and `keras.layers.Conv2D` with the same arguments, copy
# Keras' weights into yours (so your kernel must have Keras' shape), and compare outputs,
# the gradients with respect to the input, the kernel and the bias, and the configuration.
# `keras.layers.Conv2D` and the ops listed in Exercise 1 are forbidden.

# %% nbgrader={"grade": false, "grade_id": "conv2d_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Conv2D(keras.layers.Layer):
    """2-D convolution (cross-correlation), channels last.

    inputs (batch, h, w, in_channels) -> (batch, out_h, out_w, filters)
    kernel (kernel_height, kernel_width, in_channels, filters); bias (filters,)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 dilation_rate=(1, 1), activation=None, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        ### BEGIN SOLUTION
        self.filters = int(filters)
        self.kernel_size = as_pair(kernel_size)
        self.strides = as_pair(strides)
        self.padding = padding.lower()
        self.dilation_rate = as_pair(dilation_rate)
        self.activation = keras.activations.get(activation)
        self.use_bias = bool(use_bias)
        ### END SOLUTION

    def build(self, input_shape):
        ### BEGIN SOLUTION
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, input_shape[-1], self.filters),
            initializer="glorot_uniform", name="kernel",
        )
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.filters,), initializer="zeros", name="bias")
        ### END SOLUTION

    def call(self, inputs):
        ### BEGIN SOLUTION
        outputs = conv2d(inputs, self.kernel, self.strides, self.padding, self.dilation_rate)
        if self.use_bias:
            outputs = outputs + self.bias
        return self.activation(outputs)
        ### END SOLUTION

    def compute_output_shape(self, input_shape):
        ### BEGIN SOLUTION
        batch, height, width, _ = input_shape
        out_h = conv_output_size(height, self.kernel_size[0], self.strides[0], self.padding,
                                 self.dilation_rate[0])
        out_w = conv_output_size(width, self.kernel_size[1], self.strides[1], self.padding,
                                 self.dilation_rate[1])
        return (batch, out_h, out_w, self.filters)
        ### END SOLUTION

    def get_config(self):
        ### BEGIN SOLUTION
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "strides": self.strides,
                "padding": self.padding,
                "dilation_rate": self.dilation_rate,
                "activation": keras.activations.serialize(self.activation),
                "use_bias": self.use_bias,
            }
        )
        return config
        ### END SOLUTION


# %% [markdown]
# ### Visible test

# %% nbgrader={"grade": true, "grade_id": "conv2d_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
CONFIG_KEYS = ("filters", "kernel_size", "strides", "padding", "dilation_rate", "activation",
               "use_bias")
checks.check_layer(
    Conv2D(filters=4, kernel_size=3, activation="relu"),
    keras.layers.Conv2D(filters=4, kernel_size=3, activation="relu"),
    input_shape=(2, 6, 6, 3),
    config_keys=CONFIG_KEYS,
)

# %% [markdown]
# The next cell checks strides and `same` padding on an even size (where the padding is
# odd), and, when graded, rectangular kernels, dilation, strides that differ per axis,
# no bias, 1×1 kernels and a batch of one.

# %% nbgrader={"grade": true, "grade_id": "conv2d_variants", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
checks.check_layer(
    Conv2D(filters=2, kernel_size=3, strides=2, padding="same"),
    keras.layers.Conv2D(filters=2, kernel_size=3, strides=2, padding="same"),
    input_shape=(2, 6, 6, 2),
    config_keys=CONFIG_KEYS,
)
### BEGIN HIDDEN TESTS
for seed, arguments, shape in [
    (1, {"filters": 3, "kernel_size": (2, 3), "padding": "same"}, (2, 5, 6, 2)),
    (2, {"filters": 2, "kernel_size": 3, "strides": 2, "activation": "tanh"}, (2, 7, 8, 2)),
    (3, {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same",
         "activation": "relu"}, (1, 7, 6, 3)),
    (4, {"filters": 4, "kernel_size": 3, "dilation_rate": 2, "padding": "same"}, (2, 7, 7, 2)),
    (5, {"filters": 2, "kernel_size": (3, 2), "dilation_rate": (2, 1), "use_bias": False},
     (1, 8, 6, 3)),
    (6, {"filters": 5, "kernel_size": 1, "activation": "sigmoid"}, (3, 4, 4, 3)),
    (7, {"filters": 2, "kernel_size": 4, "strides": (1, 2), "padding": "same"}, (2, 5, 8, 1)),
]:
    checks.check_layer(Conv2D(**arguments), keras.layers.Conv2D(**arguments),
                       input_shape=shape, seed=seed, config_keys=CONFIG_KEYS)
### END HIDDEN TESTS

# %% [markdown]
# ### The layer contract
#
# As in notebook 01, `contract=True` also runs your layer under `"mixed_float16"` (float16
# outputs, float32 weights, and `compute_output_shape` giving the symbolic output),
# on a symbolic `keras.Input`, in one jit-compiled training step, and through
# `keras.saving.serialize_keras_object` and back, and requires what Keras' layer gives.

# %% nbgrader={"grade": true, "grade_id": "conv2d_contract", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_layer(
    Conv2D(filters=3, kernel_size=3, strides=2, padding="same", activation="relu"),
    keras.layers.Conv2D(filters=3, kernel_size=3, strides=2, padding="same", activation="relu"),
    input_shape=(2, 6, 6, 2),
    contract=True,
)

# %% [markdown]
# ## 5. Hand-made filters on real digits
#
# Before networks learned their filters, people designed them. The **Sobel** kernels
# estimate how fast the brightness changes from left to right and from top to bottom:
#
# $$ K_x = \begin{pmatrix} -1 & 0 & 1 \\ -2 & 0 & 2 \\ -1 & 0 & 1 \end{pmatrix}, \qquad
#    K_y = K_x^\top, \qquad
#    L = \begin{pmatrix} 0 & 1 & 0 \\ 1 & -4 & 1 \\ 0 & 1 & 0 \end{pmatrix}. $$
#
# As a cross-correlation, $K_x$ gives a positive response (red below) where the stroke
# starts, going right, and a negative one (blue) where it ends; the textbook convolution
# would swap the colours. The Laplacian $L$ responds to the thin strokes themselves, and a
# 3×3 average blurs. Four filters on one input channel make one kernel of shape
# `(3, 3, 1, 4)`, applied by your `conv2d` to MNIST digits (28×28, values in $[0, 1]$).

# %%
mnist = data.load_mnist_subset(images=True)
print("train", mnist.train.x.shape, "validation", mnist.validation.x.shape,
      "test", mnist.test.x.shape)

sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype="float32")
laplacian = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype="float32")
blur = np.full((3, 3), 1 / 9, dtype="float32")
filter_names = ["Sobel x", "Sobel y", "Laplacian", "blur"]
hand_kernel = np.stack([sobel_x, sobel_x.T, laplacian, blur], axis=-1)[:, :, None, :]
print("kernel shape:", hand_kernel.shape)

digits_shown = mnist.test.x[:4]
responses = keras.ops.convert_to_numpy(conv2d(digits_shown, hand_kernel, padding="same"))
print("responses:", responses.shape)

fig, axes = plt.subplots(4, 5, figsize=(8, 6.6))
for row in range(4):
    axes[row, 0].imshow(digits_shown[row, :, :, 0], cmap="gray_r")
    for col in range(4):
        response = responses[row, :, :, col]
        limit = np.abs(response).max()
        axes[row, col + 1].imshow(response, cmap="RdBu_r", vmin=-limit, vmax=limit)
for col, title in enumerate(["digit", *filter_names]):
    axes[0, col].set_title(title)
for ax in axes.flat:
    ax.axis("off")
fig.tight_layout()

# %% [markdown]
# ## Exercise 4 · a small CNN from your `Conv2D` (2 points)
#
# Write `build_digit_cnn()` returning a `keras.Sequential` model of
#
# 1. `keras.Input(shape=(28, 28, 1))`,
# 2. **your** `Conv2D(8, 5, activation="relu")`: 8 filters of 5×5, output `(None, 24, 24, 8)`,
#    $5 \cdot 5 \cdot 1 \cdot 8 + 8 = 208$ parameters,
# 3. **your** `Conv2D(16, 3, strides=2, activation="relu")`: output `(None, 11, 11, 16)`,
#    $3 \cdot 3 \cdot 8 \cdot 16 + 16 = 1168$ parameters,
# 4. `keras.layers.Flatten()`: `(None, 1936)`,
# 5. `keras.layers.Dense(10, activation="softmax")`: $1936 \cdot 10 + 10 = 19370$
#    parameters,
#
# compiled with the `"adam"` optimizer, the `"sparse_categorical_crossentropy"` loss and the
# `"accuracy"` metric. The cell after it trains it for 3 epochs on the 3,500 training
# digits, after which it gets a little over 90 % of unseen digits right; the test requires
# at least 85 % accuracy on the 750 test digits.

# %% nbgrader={"grade": false, "grade_id": "cnn_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def build_digit_cnn():
    """Sequential CNN (batch, 28, 28, 1) -> (batch, 10) class probabilities, compiled."""
    ### BEGIN SOLUTION
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            Conv2D(8, 5, activation="relu"),
            Conv2D(16, 3, strides=2, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model
    ### END SOLUTION


# %%
keras.utils.set_random_seed(1)
cnn = build_digit_cnn()
history = cnn.fit(
    mnist.train.x, mnist.train.y,
    validation_data=(mnist.validation.x, mnist.validation.y),
    epochs=3, batch_size=64, verbose=0,
)
print(f"validation accuracy per epoch: {[round(a, 2) for a in history.history['val_accuracy']]}")

# %% nbgrader={"grade": true, "grade_id": "cnn_accuracy", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_model_style(cnn, "sequential")
checks.check_architecture(
    cnn,
    [
        ("Conv2D", (None, 24, 24, 8), 208,
         {"filters": 8, "kernel_size": (5, 5), "strides": (1, 1), "activation": "relu"}),
        ("Conv2D", (None, 11, 11, 16), 1168,
         {"filters": 16, "kernel_size": (3, 3), "strides": (2, 2), "activation": "relu"}),
        ("Flatten", (None, 1936), 0),
        ("Dense", (None, 10), 19370, {"units": 10, "activation": "softmax"}),
    ],
    own=("Conv2D",),
    compiled={
        "optimizer": "adam",
        "loss": "sparse_categorical_crossentropy",
        "metrics": ["accuracy"],
    },
)
checks.check_accuracy(cnn, mnist.test.x, mnist.test.y, at_least=0.85, epochs_fixed=True)
### BEGIN HIDDEN TESTS
checks.check_history(history, ["loss", "accuracy", "val_loss", "val_accuracy"], epochs=3)
### END HIDDEN TESTS

# %% [markdown]
# ## 6. What did the first layer learn?
#
# The first layer's kernel has shape `(5, 5, 1, 8)`: eight 5×5 filters, drawn below (red
# weights add the pixel under them, blue ones subtract it). After three short epochs they
# are still rough, but several already pair a red band with a blue one, the signature of
# the edge detectors of section 5, at various angles. Under each filter is its **feature
# map** for one test digit: that output channel after the ReLU, bright where the digit
# contains the filter's pattern (one filter lights up on horizontal strokes, another on the
# diagonal one).

# %%
first = cnn.layers[0]
learned = keras.ops.convert_to_numpy(first.kernel)[:, :, 0, :]  # (5, 5, 8)
digit = mnist.test.x[:1]
maps = keras.ops.convert_to_numpy(first(digit))[0]  # (24, 24, 8)

fig, axes = plt.subplots(2, 9, figsize=(12, 3.2))
axes[0, 0].imshow(digit[0, :, :, 0], cmap="gray_r")
axes[0, 0].set_title("digit")
axes[1, 0].axis("off")
for f in range(8):
    limit = np.abs(learned[:, :, f]).max()
    axes[0, f + 1].imshow(learned[:, :, f], cmap="RdBu_r", vmin=-limit, vmax=limit)
    axes[0, f + 1].set_title(f"filter {f}")
    axes[1, f + 1].imshow(maps[:, :, f], cmap="magma")
for ax in axes.flat:
    ax.set_xticks([])
    ax.set_yticks([])
axes[1, 1].set_ylabel("feature map")
fig.tight_layout()

# %% [markdown]
# ## Summary
#
# * Keras' convolution is a cross-correlation:
#   $y_{b,i,j,f} = \sigma(\beta_f + \sum_{u,v,c} \tilde x_{b,\,i s + u d,\,j s + v d,\,c}\,
#   K_{u,v,c,f})$, with the kernel stored `(kh, kw, in_channels, filters)` and used unflipped.
# * `valid` keeps the windows that fit, $\lfloor (n - \hat k)/s \rfloor + 1$ of them; `same`
#   gives $\lceil n/s \rceil$ and pads $p = \max((n_\text{out}-1)s + \hat k - n, 0)$ zeros,
#   the odd one at the bottom/right; dilation spreads the taps, $\hat k = (k-1)d + 1$.
# * Vectorizing means gathering the windows (im2col) and doing one matrix product: Python
#   then loops $k_h k_w$ times instead of once per output pixel.
# * A convolution layer is a Dense layer applied to every window with shared weights; the
#   first layer of a trained CNN learns edge and stroke detectors much like hand-made ones.
#   Next: pooling, which shrinks feature maps.

# %% [markdown]
# ## Where you stand
#
# The cell below lists this notebook's test cells as they ran in this session: passed,
# failed or not run yet, and the points that pass. Grading runs more tests than these.

# %%
checks.progress("03_convolution.ipynb")
