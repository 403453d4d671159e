# ---
# jupyter:
#   kernelspec:
#     display_name: Keras from the inside (Python 3)
#     language: python
#     name: kcourse
# ---

# %% [markdown]
# # 04 · Pooling: write `MaxPooling2D`, `AveragePooling2D` and global pooling yourself
#
# A convolutional network alternates two kinds of layers: convolutions, which detect local
# patterns, and **pooling** layers, which summarise each small neighbourhood of a feature
# map by one number, its maximum or its mean. Pooling has no weights at all, yet it is easy
# to get subtly wrong: where the windows start, how many there are, what happens at the
# border, and which input cell receives the gradient. In this notebook you write Keras'
# pooling layers from `keras.layers.Layer`, and the tests compare yours with the real ones
# on many shapes: same outputs, same gradients, same configuration.
#
# **Learning goals.** After this notebook you can
#
# 1. compute the output size of a pooling layer for `padding="valid"` and `"same"` and any
#    strides, and place Keras' `"same"` padding (the extra cell goes at the bottom/right);
# 2. write max and average pooling with `keras.ops` on strided slices of the input, for
#    `channels_last` and `channels_first` inputs;
# 3. say why padded cells must never win a max and why `"same"` average pooling divides by
#    the number of real cells in the window, not by the pool area;
# 4. derive the gradient of max pooling (it goes to each window's arg-max only) and of
#    average pooling, and check it by automatic differentiation;
# 5. write global average and max pooling (with `keepdims`), and see what pooling does to
#    the feature maps of real digits.
#
# **How to work.** Fill in the cells marked `# YOUR CODE HERE`, then run the test cell
# below each exercise. A test prints a line starting with ✔ when it passes; when it fails
# it says where your layer differs from Keras and, when it recognises the mistake, what the
# mistake probably is. More tests (other shapes, strides, paddings and seeds) run when your
# notebook is graded.

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np

from kcourse import checks, data

keras.utils.set_random_seed(0)
print("Keras", keras.__version__, "on", keras.config.backend())

# %% [markdown]
# ## 1. Windows, strides and the output size
#
# Take a batch of feature maps $X \in \mathbb{R}^{N \times H \times W \times C}$ (Keras'
# default `channels_last` layout). A 2-D pooling layer with pool size $(k_h, k_w)$ and
# strides $(s_h, s_w)$ looks at windows of $k_h \times k_w$ cells; output cell $(i, j)$
# summarises the window whose top-left corner is at row $i s_h$, column $j s_w$ (counted in
# the padded input when there is padding, see below), separately for every image $n$ and
# every channel $c$:
#
# $$ \text{max pooling:}\quad Y_{n,i,j,c} = \max_{0 \le u < k_h,\; 0 \le v < k_w} X_{n,\; i s_h + u,\; j s_w + v,\; c} $$
#
# $$ \text{average pooling:}\quad Y_{n,i,j,c} = \frac{1}{|\mathcal{W}_{ij}|} \sum_{(p, q) \in \mathcal{W}_{ij}} X_{n,p,q,c}, $$
#
# where $\mathcal{W}_{ij}$ is the set of input cells in window $(i, j)$. Channels never
# mix: pooling works on each channel on its own, so $C$ is unchanged.
#
# **Strides default to the pool size.** `MaxPooling2D(pool_size=2)` moves its windows by
# 2, so they tile the input without overlapping and halve each spatial size. A stride
# smaller than the pool size makes windows overlap; a larger one skips cells.
#
# **`padding="valid"`** uses whole windows only. Along an axis of length $H$:
#
# $$ H_{\text{out}} = \left\lfloor \frac{H - k_h}{s_h} \right\rfloor + 1 . $$
#
# Cells that no whole window reaches (at the bottom or right edge) are ignored.
#
# **`padding="same"`** keeps one output per stride step, including a partial window at the
# end, and pads the input just enough for every window to fit:
#
# $$ H_{\text{out}} = \left\lceil \frac{H}{s_h} \right\rceil, \qquad
#    P_h = \max\big((H_{\text{out}} - 1)\, s_h + k_h - H,\; 0\big), \qquad
#    P_{\text{top}} = \left\lfloor \frac{P_h}{2} \right\rfloor, \quad
#    P_{\text{bottom}} = P_h - P_{\text{top}} . $$
#
# When $P_h$ is odd the extra cell goes at the **bottom** (and at the **right** for the
# width): that is TensorFlow's rule, which Keras follows on every backend. With stride 1,
# `"same"` gives an output as large as the input, hence the name.
#
# The padded cells are not data. Max pooling must never choose one (think of them as
# $-\infty$: with zeros, a window whose real values are all negative would return 0), and
# average pooling divides by $|\mathcal{W}_{ij}|$, the number of **real** cells in the
# window, not by the pool area $k_h k_w$.
#
# Here are the built-in layers on a small example: one 4×5 image with one channel, shown
# without its batch and channel axes.

# %%
x_demo = np.arange(20, dtype="float32").reshape(1, 4, 5, 1)
print("input:\n", x_demo[0, :, :, 0])
for layer in (keras.layers.MaxPooling2D(pool_size=2),
              keras.layers.MaxPooling2D(pool_size=2, padding="same"),
              keras.layers.AveragePooling2D(pool_size=2, padding="same"),
              keras.layers.AveragePooling2D(pool_size=3, strides=1)):
    config = layer.get_config()
    out = keras.ops.convert_to_numpy(layer(x_demo))[0, :, :, 0]
    print(f"\n{type(layer).__name__}(pool_size={config['pool_size']}, "
          f"strides={config['strides']}, padding={config['padding']!r}) -> {out.shape}:\n",
          np.round(out, 2))

# %% [markdown]
# Read the third result closely. The width 5 with pool 2 and stride 2 gives
# $\lceil 5/2 \rceil = 3$ outputs and $P_w = 2 \cdot 2 + 2 - 5 = 1$ padded column, on the
# right. The top-right window therefore holds two real cells, 4 and 9, and one padded
# column: Keras returns $(4 + 9) / 2 = 6.5$; dividing by the pool area would give
# $13 / 4 = 3.25$. Max pooling with `"same"` returns 9 there, the larger real value.
#
# The output sizes of a few more configurations, straight from the built-in layer:

# %%
print(" H  pool stride   valid  same")
for size, pool, stride in [(4, 2, 2), (5, 2, 2), (5, 3, 2), (6, 3, 1), (7, 3, 3), (6, 2, 3)]:
    sizes = [keras.layers.MaxPooling2D(pool, stride, padding).compute_output_shape(
        (1, size, size, 1))[1] for padding in ("valid", "same")]
    print(f"{size:2d}  {pool:4d} {stride:6d}   {sizes[0]:5d} {sizes[1]:5d}")

# %% [markdown]
# ## 2. The gradient of max pooling
#
# Pooling has no weights, but it sits between layers that do, so backpropagation must pass
# gradients through it. Write $G = \partial L / \partial Y$ for the gradient that arrives
# from above (one number per output cell).
#
# **Max pooling.** Inside one window the output equals one input cell, the arg-max
# $(p^*, q^*) = \arg\max_{(p,q) \in \mathcal{W}_{ij}} X_{p,q}$. Nudging any other cell a
# little does not change the max, so
#
# $$ \frac{\partial Y_{i,j}}{\partial X_{p,q}} = \begin{cases} 1 & (p, q) = (p^*_{ij}, q^*_{ij}) \\ 0 & \text{otherwise,} \end{cases}
#    \qquad
#    \frac{\partial L}{\partial X_{p,q}} = \sum_{(i, j)\,:\,(p^*_{ij}, q^*_{ij}) = (p, q)} G_{i,j} . $$
#
# The whole upstream gradient of a window goes to its arg-max; the other cells get
# exactly 0. With overlapping windows a cell can be the arg-max of several windows and
# collects the sum of their gradients; a cell that wins no window gets nothing. (When two
# cells tie for the max the derivative is not defined; frameworks pick one or split, so
# the tests use random inputs, where ties do not happen.)
#
# **Average pooling.** $Y_{i,j}$ is linear in the window, so every real cell of the window
# receives an equal share:
#
# $$ \frac{\partial L}{\partial X_{p,q}} = \sum_{(i, j)\,:\,(p, q) \in \mathcal{W}_{ij}} \frac{G_{i,j}}{|\mathcal{W}_{ij}|} . $$
#
# You never write these formulas in code: if `call` computes the max with `keras.ops.max`
# (or `keras.ops.maximum`), automatic differentiation routes the gradient to the arg-max
# by itself. A layer that computes the right output in a way whose gradient spreads over
# the window (for instance `mean + stop_gradient(max - mean)`) trains differently from
# Keras' layer, and the tests compare gradients too.
#
# The figure shows both rules on a 4×4 input. The helper below asks the backend's
# automatic differentiation for $\partial L / \partial X$ with $L = \sum_{i,j} G_{i,j} Y_{i,j}$.

# %%
def input_gradient(layer, x, upstream):
    """dL/dx for L = sum(layer(x) * upstream), by automatic differentiation (TF or JAX).

    x: (batch, h, w, c) float32; upstream: the shape of layer(x). Returns x's shape.
    """
    if keras.config.backend() == "jax":
        import jax

        return np.asarray(jax.grad(lambda t: keras.ops.sum(layer(t) * upstream))(x))
    import tensorflow as tf

    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = keras.ops.sum(layer(x) * upstream)
    return keras.ops.convert_to_numpy(tape.gradient(loss, x))


def show_grid(ax, values, title, cmap="Blues"):
    """A small matrix as a heat map with its numbers written in."""
    ax.imshow(values, cmap=cmap)
    middle = (values.min() + values.max()) / 2
    for (row, col), value in np.ndenumerate(values):
        ax.text(col, row, f"{value:g}", ha="center", va="center", fontsize=10,
                color="white" if value > middle else "black")
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])


grid = np.array([[3, 9, 2, 12], [7, 1, 15, 4], [14, 0, 6, 8], [5, 11, 10, 13]], "float32")
x_grid = grid.reshape(1, 4, 4, 1)
max_pool = keras.layers.MaxPooling2D(pool_size=2)
g_tiles = np.array([[1, 2], [3, 4]], "float32").reshape(1, 2, 2, 1)
overlapping = keras.layers.MaxPooling2D(pool_size=2, strides=1)
g_ones = np.ones((1, 3, 3, 1), "float32")
fig, axes = plt.subplots(1, 5, figsize=(15, 3.2))
show_grid(axes[0], grid, "input X (4×4)", cmap="Greys")
show_grid(axes[1], keras.ops.convert_to_numpy(max_pool(x_grid))[0, :, :, 0],
          "MaxPooling2D(2): Y")
show_grid(axes[2], input_gradient(max_pool, x_grid, g_tiles)[0, :, :, 0],
          "dL/dX, G = [[1, 2], [3, 4]]")
show_grid(axes[3], input_gradient(overlapping, x_grid, g_ones)[0, :, :, 0],
          "strides=1, G = 1: windows won")
show_grid(axes[4], input_gradient(keras.layers.AveragePooling2D(2), x_grid, g_tiles)[0, :, :, 0],
          "AveragePooling2D(2): dL/dX")
fig.suptitle("max pooling sends each window's gradient to its arg-max; "
             "average pooling shares it")
fig.tight_layout()
plt.show()

# %% [markdown]
# In the third panel each 2×2 tile passes its $G$ to one cell: 9 (top left tile, $G=1$),
# 15 ($G=2$), 14 ($G=3$) and 13 ($G=4$). In the fourth the nine overlapping windows each
# pass 1: the 15 wins four windows, the 14 two, and most cells none at all. In the last
# panel each cell gets a quarter of its tile's $G$.

# %% [markdown]
# ## Exercise 1 · `MaxPooling2D` (7 points)
#
# Max and average pooling share everything except the reduction, so (as in Keras, whose
# pooling layers share a base class) you write the common part once, in `Pooling2D`, and
# `MaxPooling2D` adds only its reduction. Specification:
#
# | piece | must do |
# |---|---|
# | `as_pair(value)` | an int `k` → `(k, k)`; a pair (tuple or list) → a tuple of its two ints |
# | `pool_geometry(size, pool, stride, padding)` | for one spatial axis of length `size`: return `(out, before, after)`, the output size and the cells padded before and after, by the formulas of section 1 (`before = after = 0` for `"valid"`) |
# | `Pooling2D.__init__(pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs)` | call `super().__init__(**kwargs)`; store `self.pool_size` and `self.strides` as tuples of two ints (an int `k` means `(k, k)`; `strides=None` means `pool_size`), `self.padding` (`"valid"` or `"same"`), and `self.data_format`, `None` becoming `keras.config.image_data_format()` (`"channels_last"`) |
# | `Pooling2D.windows(x, fill)` | for a `channels_last` input `(batch, h, w, c)`: pad it with the value `fill` as `pool_geometry` says, and return the $k_h k_w$ shifted, strided views stacked on a last axis: `(batch, out_h, out_w, c, k_h * k_w)` |
# | `Pooling2D.call(inputs)` | `channels_last`: `self.pool(inputs)`; `channels_first` (`(batch, c, h, w)`): transpose to `channels_last`, pool, transpose back |
# | `Pooling2D.compute_output_shape(input_shape)` | the output shape, in the layer's `data_format`, with `pool_geometry`'s output sizes |
# | `Pooling2D.get_config()` | `super().get_config()` plus `"pool_size"`, `"strides"`, `"padding"`, `"data_format"` (tuples, as stored) |
# | `MaxPooling2D.pool(x)` | `channels_last` `x` → the max over each window; padded cells must never win |
#
# Inputs are float32 (float16 under mixed precision); the output has the input's dtype.
#
# **The shifted views.** For each offset $(u, v)$ in the window, the slice that starts at
# row $u$, column $v$ and steps by the strides, `x[:, u::s_h, v::s_w, :]`, cut to its first
# `out_h` rows and `out_w` columns, holds element $(u, v)$ of **every** window at once.
# Stacking the $k_h k_w$ views and reducing over the new axis gives the pooled map with a
# Python loop over the window only, never over the image. `keras.ops.pad(x, pad_width,
# constant_values=fill)` pads; `float("-inf")` is a fine `fill` for max pooling.
#
# **Forbidden:** `keras.layers.MaxPooling2D` (alias `MaxPool2D`) and every other Keras
# pooling layer, `keras.ops.max_pool` / `average_pool` / `adaptive_*_pool`, `tf.nn.*pool*`,
# `jax.lax.reduce_window` and their relatives: the tests refuse them. `keras.ops.max`,
# `maximum`, `pad`, `stack`, `transpose`, `reshape` and slicing are what you need.

# %% nbgrader={"grade": false, "grade_id": "max_pooling_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def as_pair(value):
    """An int or a pair of ints as a tuple (rows, columns): 2 -> (2, 2)."""
    ### BEGIN SOLUTION
    return (value, value) if isinstance(value, int) else tuple(value)
    ### END SOLUTION


def pool_geometry(size, pool, stride, padding):
    """(output size, cells padded before, cells padded after) along one spatial axis."""
    ### BEGIN SOLUTION
    if padding == "same":
        out = -(-size // stride)  # ceil(size / stride)
        total = max((out - 1) * stride + pool - size, 0)
    else:
        out = (size - pool) // stride + 1
        total = 0
    return out, total // 2, total - total // 2
    ### END SOLUTION


class Pooling2D(keras.layers.Layer):
    """What 2-D max and average pooling share: configuration, windows, output shape.

    inputs: (batch, h, w, c) channels_last or (batch, c, h, w) channels_first
    outputs: (batch, out_h, out_w, c) or (batch, c, out_h, out_w)
    """

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        ### BEGIN SOLUTION
        self.pool_size = as_pair(pool_size)
        self.strides = self.pool_size if strides is None else as_pair(strides)
        self.padding = padding
        self.data_format = data_format or keras.config.image_data_format()
        ### END SOLUTION

    def windows(self, x, fill):
        """(batch, h, w, c) -> (batch, out_h, out_w, c, k_h * k_w): every window's cells."""
        ### BEGIN SOLUTION
        (kh, kw), (sh, sw) = self.pool_size, self.strides
        out_h, top, bottom = pool_geometry(x.shape[1], kh, sh, self.padding)
        out_w, left, right = pool_geometry(x.shape[2], kw, sw, self.padding)
        x = keras.ops.pad(x, [(0, 0), (top, bottom), (left, right), (0, 0)],
                          constant_values=fill)
        views = [x[:, u::sh, v::sw, :][:, :out_h, :out_w, :]
                 for u in range(kh) for v in range(kw)]
        return keras.ops.stack(views, axis=-1)
        ### END SOLUTION

    def call(self, inputs):
        ### BEGIN SOLUTION
        if self.data_format == "channels_first":
            pooled = self.pool(keras.ops.transpose(inputs, (0, 2, 3, 1)))
            return keras.ops.transpose(pooled, (0, 3, 1, 2))
        return self.pool(inputs)
        ### END SOLUTION

    def compute_output_shape(self, input_shape):
        ### BEGIN SOLUTION
        if self.data_format == "channels_first":
            batch, channels, height, width = input_shape
        else:
            batch, height, width, channels = input_shape
        out_h = pool_geometry(height, self.pool_size[0], self.strides[0], self.padding)[0]
        out_w = pool_geometry(width, self.pool_size[1], self.strides[1], self.padding)[0]
        if self.data_format == "channels_first":
            return (batch, channels, out_h, out_w)
        return (batch, out_h, out_w, channels)
        ### END SOLUTION

    def get_config(self):
        ### BEGIN SOLUTION
        config = super().get_config()
        config.update({"pool_size": self.pool_size, "strides": self.strides,
                       "padding": self.padding, "data_format": self.data_format})
        return config
        ### END SOLUTION


class MaxPooling2D(Pooling2D):
    """The max of each window; padded cells never win."""

    def pool(self, x):
        """channels_last (batch, h, w, c) -> (batch, out_h, out_w, c)."""
        ### BEGIN SOLUTION
        return keras.ops.max(self.windows(x, float("-inf")), axis=-1)
        ### END SOLUTION


# %% [markdown]
# ### Visible test
#
# `checks.check_layer` runs your layer and `keras.layers.MaxPooling2D` on the same random
# input and compares the outputs (in inference and training mode), the gradient with respect
# to the input, the `get_config` → `from_config` round trip and `compute_output_shape`.
# `config_keys` lists the configuration entries that must equal Keras'.

# %% nbgrader={"grade": true, "grade_id": "max_pooling_basic", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
POOL_KEYS = ("pool_size", "strides", "padding", "data_format")
checks.check_layer(MaxPooling2D(), keras.layers.MaxPooling2D(), input_shape=(2, 4, 4, 3),
                   config_keys=POOL_KEYS)
checks.check_layer(MaxPooling2D(pool_size=3, strides=2, padding="same"),
                   keras.layers.MaxPooling2D(pool_size=3, strides=2, padding="same"),
                   input_shape=(1, 5, 5, 2), config_keys=POOL_KEYS)
### BEGIN HIDDEN TESTS
for seed, config, shape in [
    (1, {"pool_size": 3}, (1, 7, 7, 1)),
    (2, {"pool_size": 2, "padding": "same"}, (2, 5, 5, 3)),
    (3, {"pool_size": (2, 2), "strides": None}, (3, 6, 8, 2)),
]:
    checks.check_layer(MaxPooling2D(**config), keras.layers.MaxPooling2D(**config),
                       input_shape=shape, seed=seed, config_keys=POOL_KEYS)
### END HIDDEN TESTS

# %% [markdown]
# The next cell tries rectangular pools with strides that differ from the pool size, and
# the `channels_first` layout.

# %% nbgrader={"grade": true, "grade_id": "max_pooling_shapes", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
checks.check_layer(MaxPooling2D(pool_size=(2, 3), strides=(1, 2), padding="same"),
                   keras.layers.MaxPooling2D(pool_size=(2, 3), strides=(1, 2), padding="same"),
                   input_shape=(2, 5, 7, 3), config_keys=POOL_KEYS)
checks.check_layer(MaxPooling2D(pool_size=2, data_format="channels_first"),
                   keras.layers.MaxPooling2D(pool_size=2, data_format="channels_first"),
                   input_shape=(2, 3, 6, 5), config_keys=POOL_KEYS)
### BEGIN HIDDEN TESTS
negative = -np.abs(np.random.default_rng(11).standard_normal((1, 5, 5, 2))).astype("float32")
for seed, config, shape in [
    (4, {"pool_size": (3, 2), "strides": (2, 1)}, (3, 6, 8, 4)),
    (5, {"pool_size": 2, "strides": 1, "padding": "same"}, (2, 6, 6, 2)),
    (6, {"pool_size": 2, "strides": 3, "padding": "same"}, (1, 6, 7, 3)),
    (7, {"pool_size": (1, 2), "strides": 2}, (2, 5, 4, 3)),
    (8, {"pool_size": 3, "strides": 2, "padding": "same", "data_format": "channels_first"},
     (1, 2, 5, 8)),
    (9, {"pool_size": (3, 4), "strides": (2, 3), "padding": "same"}, (1, 8, 9, 1)),
]:
    checks.check_layer(MaxPooling2D(**config), keras.layers.MaxPooling2D(**config),
                       input_shape=shape, seed=seed, config_keys=POOL_KEYS)
checks.check_layer(MaxPooling2D(pool_size=2, padding="same"),
                   keras.layers.MaxPooling2D(pool_size=2, padding="same"), inputs=negative)
checks.check_layer(MaxPooling2D(pool_size=(2, 3), strides=(3, 1), padding="same",
                                data_format="channels_first"),
                   keras.layers.MaxPooling2D(pool_size=(2, 3), strides=(3, 1), padding="same",
                                             data_format="channels_first"),
                   inputs=np.transpose(negative, (0, 3, 1, 2)), config_keys=POOL_KEYS)
### END HIDDEN TESTS

# %% [markdown]
# ### The gradient goes to the arg-max
#
# The tests above already compare gradients. This one makes every cell belong to many
# windows (pool 3, stride 1, `"same"`), so a gradient that is spread over a window instead
# of sent to its arg-max shows everywhere.

# %% nbgrader={"grade": true, "grade_id": "max_pooling_gradient", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_layer(MaxPooling2D(pool_size=3, strides=1, padding="same"),
                   keras.layers.MaxPooling2D(pool_size=3, strides=1, padding="same"),
                   input_shape=(2, 6, 6, 2))
### BEGIN HIDDEN TESTS
checks.check_layer(MaxPooling2D(pool_size=(2, 2), strides=(1, 1)),
                   keras.layers.MaxPooling2D(pool_size=(2, 2), strides=(1, 1)),
                   input_shape=(1, 5, 5, 3), seed=12)
checks.check_layer(MaxPooling2D(pool_size=4), keras.layers.MaxPooling2D(pool_size=4),
                   input_shape=(3, 4, 4, 2), seed=13)
### END HIDDEN TESTS

# %% [markdown]
# ### The layer contract
#
# As in 01: under `"mixed_float16"` your layer computes in float16 (so `-inf` padding must
# work there too), it runs on a symbolic `keras.Input`, inside a jit-compiled training step,
# and survives `keras.saving.serialize_keras_object` and back.

# %% nbgrader={"grade": true, "grade_id": "max_pooling_contract", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_layer(MaxPooling2D(pool_size=3, strides=2, padding="same"),
                   keras.layers.MaxPooling2D(pool_size=3, strides=2, padding="same"),
                   input_shape=(2, 5, 5, 3), contract=True)
### BEGIN HIDDEN TESTS
checks.check_layer(MaxPooling2D(pool_size=2, data_format="channels_first"),
                   keras.layers.MaxPooling2D(pool_size=2, data_format="channels_first"),
                   input_shape=(1, 2, 4, 6), seed=14, contract=True)
### END HIDDEN TESTS

# %% [markdown]
# ## Exercise 2 · `AveragePooling2D` (5 points)
#
# Now the mean of each window. With your `Pooling2D` the layer is one method:
#
# | piece | must do |
# |---|---|
# | `AveragePooling2D(Pooling2D)` | the same constructor, configuration and output shape as `MaxPooling2D` (inherited; Keras' own `AveragePooling2D` has no default `pool_size`, yours may keep `(2, 2)`) |
# | `AveragePooling2D.pool(x)` | `channels_last` `x` → each window's sum of real cells divided by the **number of real cells** in it, $\lvert\mathcal{W}_{ij}\rvert$ |
#
# With `"valid"` every window is whole and $|\mathcal{W}_{ij}| = k_h k_w$. With `"same"` the
# windows at the bottom and right edges (and at the top and left when
# $P \ge 2$) hold fewer real cells. One way to count them without any geometry: pool a
# tensor of ones (`keras.ops.ones_like(x)`) padded with zeros the same way; each window's
# sum of ones is its number of real cells.
#
# **Forbidden:** as in exercise 1 (`keras.layers.AveragePooling2D`, `AvgPool2D`,
# `keras.ops.average_pool`, `tf.nn.avg_pool2d`, ...).

# %% nbgrader={"grade": false, "grade_id": "average_pooling_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
class AveragePooling2D(Pooling2D):
    """The mean of the real (not padded) cells of each window."""

    def pool(self, x):
        """channels_last (batch, h, w, c) -> (batch, out_h, out_w, c)."""
        ### BEGIN SOLUTION
        sums = keras.ops.sum(self.windows(x, 0.0), axis=-1)
        counts = keras.ops.sum(self.windows(keras.ops.ones_like(x), 0.0), axis=-1)
        return sums / counts
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "average_pooling_basic", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_layer(AveragePooling2D(pool_size=2), keras.layers.AveragePooling2D(pool_size=2),
                   input_shape=(2, 4, 4, 3), config_keys=POOL_KEYS)
checks.check_layer(AveragePooling2D(pool_size=3, strides=2, padding="same"),
                   keras.layers.AveragePooling2D(pool_size=3, strides=2, padding="same"),
                   input_shape=(1, 6, 6, 2), config_keys=POOL_KEYS)
### BEGIN HIDDEN TESTS
for seed, config, shape in [
    (21, {"pool_size": 3}, (1, 7, 7, 1)),
    (22, {"pool_size": 2, "padding": "same"}, (2, 5, 5, 3)),
    (23, {"pool_size": 3, "strides": 1, "padding": "same"}, (2, 5, 6, 2)),
]:
    checks.check_layer(AveragePooling2D(**config), keras.layers.AveragePooling2D(**config),
                       input_shape=shape, seed=seed, config_keys=POOL_KEYS)
### END HIDDEN TESTS

# %% [markdown]
# Rectangular pools, other strides, `channels_first`, and a batch of one:

# %% nbgrader={"grade": true, "grade_id": "average_pooling_shapes", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_layer(AveragePooling2D(pool_size=(3, 2), strides=(2, 1), padding="same"),
                   keras.layers.AveragePooling2D(pool_size=(3, 2), strides=(2, 1),
                                                 padding="same"),
                   input_shape=(2, 5, 6, 3), config_keys=POOL_KEYS)
checks.check_layer(AveragePooling2D(pool_size=2, data_format="channels_first"),
                   keras.layers.AveragePooling2D(pool_size=2, data_format="channels_first"),
                   input_shape=(1, 3, 5, 4), config_keys=POOL_KEYS)
### BEGIN HIDDEN TESTS
for seed, config, shape in [
    (24, {"pool_size": (2, 3), "strides": (1, 2)}, (3, 6, 7, 2)),
    (25, {"pool_size": 2, "strides": 3, "padding": "same"}, (1, 7, 6, 3)),
    (26, {"pool_size": 4, "strides": 2, "padding": "same"}, (2, 7, 9, 1)),
    (27, {"pool_size": (3, 3), "strides": (1, 2), "padding": "same",
          "data_format": "channels_first"}, (2, 2, 6, 7)),
    (28, {"pool_size": 1, "strides": 2}, (1, 5, 5, 2)),
]:
    checks.check_layer(AveragePooling2D(**config), keras.layers.AveragePooling2D(**config),
                       input_shape=shape, seed=seed, config_keys=POOL_KEYS)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "average_pooling_contract", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_layer(AveragePooling2D(pool_size=3, strides=2, padding="same"),
                   keras.layers.AveragePooling2D(pool_size=3, strides=2, padding="same"),
                   input_shape=(2, 5, 5, 3), contract=True)
### BEGIN HIDDEN TESTS
checks.check_layer(AveragePooling2D(pool_size=(2, 3), data_format="channels_first"),
                   keras.layers.AveragePooling2D(pool_size=(2, 3), data_format="channels_first"),
                   input_shape=(1, 2, 4, 6), seed=29, contract=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 3. Global pooling
#
# A global pooling layer is a pooling layer whose single window is the whole feature map:
# for each image and channel it returns one number,
#
# $$ \text{GlobalAveragePooling2D:}\quad Z_{n,c} = \frac{1}{HW} \sum_{p=1}^{H} \sum_{q=1}^{W} X_{n,p,q,c},
#    \qquad
#    \text{GlobalMaxPooling2D:}\quad Z_{n,c} = \max_{p,\,q} X_{n,p,q,c} . $$
#
# It turns a stack of feature maps $(N, H, W, C)$ into a feature vector $(N, C)$ for the
# dense layers of a classifier, whatever $H$ and $W$ are. The reduction runs over the two
# **spatial** axes only, axes 1 and 2 for `channels_last` and 2 and 3 for `channels_first`;
# with `keepdims=True` they stay, with size 1: $(N, 1, 1, C)$ or $(N, C, 1, 1)$. The
# gradients follow section 2 with one window: the global max sends each $G_{n,c}$ to the
# single arg-max cell of its map, the global average gives every cell $G_{n,c} / (HW)$.

# %% [markdown]
# ## Exercise 3 · global pooling (5 points)
#
# | piece | must do |
# |---|---|
# | `GlobalPooling2D.__init__(data_format=None, keepdims=False, **kwargs)` | call `super().__init__(**kwargs)`; store `self.data_format` (`None` becomes `keras.config.image_data_format()`) and `self.keepdims` |
# | `GlobalPooling2D.spatial_axes()` | `(1, 2)` for `channels_last`, `(2, 3)` for `channels_first` |
# | `GlobalPooling2D.call(inputs)` | `self.reduce(inputs, self.spatial_axes())` |
# | `GlobalPooling2D.compute_output_shape(input_shape)` | the input shape without the spatial axes, or with them set to 1 when `keepdims` |
# | `GlobalPooling2D.get_config()` | `super().get_config()` plus `"data_format"` and `"keepdims"` |
# | `GlobalAveragePooling2D.reduce(x, axes)` / `GlobalMaxPooling2D.reduce(x, axes)` | the mean / max of `x` over `axes`, keeping them when `self.keepdims` |
#
# `(batch, h, w, c)` float32 → `(batch, c)` (or `(batch, 1, 1, c)` with `keepdims=True`).
# **Forbidden:** the built-in global pooling layers (and `GlobalAvgPool2D`,
# `GlobalMaxPool2D`), the window pooling layers and ops of exercises 1-2, and
# `keras.ops.adaptive_average_pool` / `adaptive_max_pool`. Use `keras.ops.mean` and
# `keras.ops.max`.

# %% nbgrader={"grade": false, "grade_id": "global_pooling_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
class GlobalPooling2D(keras.layers.Layer):
    """One window per feature map: (batch, h, w, c) -> (batch, c), or (batch, 1, 1, c)."""

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        ### BEGIN SOLUTION
        self.data_format = data_format or keras.config.image_data_format()
        self.keepdims = keepdims
        ### END SOLUTION

    def spatial_axes(self):
        ### BEGIN SOLUTION
        return (2, 3) if self.data_format == "channels_first" else (1, 2)
        ### END SOLUTION

    def call(self, inputs):
        ### BEGIN SOLUTION
        return self.reduce(inputs, self.spatial_axes())
        ### END SOLUTION

    def compute_output_shape(self, input_shape):
        ### BEGIN SOLUTION
        axes = self.spatial_axes()
        if self.keepdims:
            return tuple(1 if axis in axes else size for axis, size in enumerate(input_shape))
        return tuple(size for axis, size in enumerate(input_shape) if axis not in axes)
        ### END SOLUTION

    def get_config(self):
        ### BEGIN SOLUTION
        config = super().get_config()
        config.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return config
        ### END SOLUTION


class GlobalAveragePooling2D(GlobalPooling2D):
    def reduce(self, x, axes):
        ### BEGIN SOLUTION
        return keras.ops.mean(x, axis=axes, keepdims=self.keepdims)
        ### END SOLUTION


class GlobalMaxPooling2D(GlobalPooling2D):
    def reduce(self, x, axes):
        ### BEGIN SOLUTION
        return keras.ops.max(x, axis=axes, keepdims=self.keepdims)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "global_average_pooling", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
GLOBAL_KEYS = ("data_format", "keepdims")
checks.check_layer(GlobalAveragePooling2D(), keras.layers.GlobalAveragePooling2D(),
                   input_shape=(2, 5, 5, 3), config_keys=GLOBAL_KEYS)
checks.check_layer(GlobalAveragePooling2D(keepdims=True),
                   keras.layers.GlobalAveragePooling2D(keepdims=True),
                   input_shape=(1, 4, 6, 2), config_keys=GLOBAL_KEYS)
### BEGIN HIDDEN TESTS
for seed, config, shape in [
    (31, {"data_format": "channels_first"}, (2, 3, 4, 5)),
    (32, {"data_format": "channels_first", "keepdims": True}, (1, 2, 3, 3)),
    (33, {}, (3, 4, 3, 4)),
    (34, {}, (2, 3, 5, 3)),
    (35, {"keepdims": True}, (1, 1, 1, 4)),
]:
    checks.check_layer(GlobalAveragePooling2D(**config),
                       keras.layers.GlobalAveragePooling2D(**config),
                       input_shape=shape, seed=seed, config_keys=GLOBAL_KEYS)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "global_max_pooling", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_layer(GlobalMaxPooling2D(), keras.layers.GlobalMaxPooling2D(),
                   input_shape=(2, 5, 5, 3), config_keys=GLOBAL_KEYS)
checks.check_layer(GlobalMaxPooling2D(data_format="channels_first"),
                   keras.layers.GlobalMaxPooling2D(data_format="channels_first"),
                   input_shape=(2, 3, 4, 5), config_keys=GLOBAL_KEYS)
### BEGIN HIDDEN TESTS
for seed, config, shape in [
    (36, {"keepdims": True}, (1, 4, 6, 2)),
    (37, {"data_format": "channels_first", "keepdims": True}, (2, 2, 3, 3)),
    (38, {}, (3, 4, 3, 4)),
    (39, {}, (2, 3, 5, 3)),
    (40, {}, (1, 6, 7, 1)),
]:
    checks.check_layer(GlobalMaxPooling2D(**config), keras.layers.GlobalMaxPooling2D(**config),
                       input_shape=shape, seed=seed, config_keys=GLOBAL_KEYS)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "global_pooling_contract", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_layer(GlobalAveragePooling2D(keepdims=True),
                   keras.layers.GlobalAveragePooling2D(keepdims=True),
                   input_shape=(2, 4, 4, 3), contract=True)
checks.check_layer(GlobalMaxPooling2D(), keras.layers.GlobalMaxPooling2D(),
                   input_shape=(2, 4, 4, 3), contract=True)
### BEGIN HIDDEN TESTS
checks.check_layer(GlobalMaxPooling2D(data_format="channels_first", keepdims=True),
                   keras.layers.GlobalMaxPooling2D(data_format="channels_first", keepdims=True),
                   input_shape=(1, 3, 4, 5), seed=41, contract=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Pooling real feature maps
#
# What does pooling do to the output of a convolution? Below, four MNIST digits go through
# two hand-made 3×3 edge filters (Sobel filters: one responds to vertical edges, one to
# horizontal ones; 03_convolution explains them), a ReLU, and then **your** layers. Each
# 2×2 max pooling halves the resolution but keeps the strongest response of every block,
# so the strokes survive at 14×14 and, coarser, at 7×7; average pooling blurs them.
# Global average pooling keeps a single number per filter, printed above each digit: how
# much of that kind of edge the digit has, wherever it is.

# %%
mnist = data.load_mnist_subset(images=True)
digits = mnist.train.x[:4]  # (4, 28, 28, 1), values in [0, 1]
sobel = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], "float32")
edge_kernel = np.stack([sobel, sobel.T], axis=-1)[:, :, None, :]  # (3, 3, 1, 2)
edges = keras.ops.relu(keras.ops.conv(digits, edge_kernel, padding="same"))  # (4, 28, 28, 2)
pooled = MaxPooling2D(pool_size=2)(edges)  # (4, 14, 14, 2)
pooled_twice = MaxPooling2D(pool_size=2)(pooled)  # (4, 7, 7, 2)
averaged = AveragePooling2D(pool_size=2)(edges)  # (4, 14, 14, 2)
amounts = keras.ops.convert_to_numpy(GlobalAveragePooling2D()(edges))  # (4, 2)

columns = [("digit", digits, 0), ("vertical edges 28×28", edges, 0),
           ("max pooled 14×14", pooled, 0), ("max pooled twice 7×7", pooled_twice, 0),
           ("average pooled 14×14", averaged, 0), ("horizontal edges 28×28", edges, 1),
           ("max pooled 14×14", pooled, 1)]
fig, axes = plt.subplots(len(digits), len(columns), figsize=(2 * len(columns), 8.4))
for row in range(len(digits)):
    for col, (title, maps, channel) in enumerate(columns):
        axes[row, col].imshow(keras.ops.convert_to_numpy(maps)[row, :, :, channel],
                              cmap="gray_r" if col == 0 else "magma")
        axes[row, col].axis("off")
        if row == 0 and col > 0:
            axes[row, col].set_title(title, fontsize=9)
    axes[row, 0].set_title(f"digit {mnist.train.y[row]}; global average:\n"
                           f"vertical {amounts[row, 0]:.2f}, horizontal {amounts[row, 1]:.2f}",
                           fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 5. What pooling buys: a little tolerance to shifts
#
# Move each digit one pixel to the right. The edge maps move with it, so almost every value
# changes; after 2×2 max pooling a stroke that moves inside its block gives the same max,
# and global pooling forgets positions altogether (the shifted digit's edge map holds the
# same values, elsewhere, so its mean and max do not change at all). The table
# gives the relative change $\lVert f(x) - f(x_{\text{shifted}}) \rVert / \lVert f(x) \rVert$
# over 200 training digits: the further down the pooling, the less the features care where
# exactly the digit is. This is one reason CNNs pool, the other being that each later layer
# sees a wider part of the image at a lower cost.

# %%
sample = mnist.train.x[:200]
shifted = np.roll(sample, shift=1, axis=2)  # one pixel right (the border columns are blank)


def features(images):
    """The edge maps and three pooled versions of them, as NumPy arrays."""
    maps = keras.ops.relu(keras.ops.conv(images, edge_kernel, padding="same"))
    once = MaxPooling2D(pool_size=2)(maps)
    return {"edge maps (28×28)": maps, "max pooled (14×14)": once,
            "max pooled twice (7×7)": MaxPooling2D(pool_size=2)(once),
            "global average (1 per filter)": GlobalAveragePooling2D()(maps)}


before, after = features(sample), features(shifted)
for name in before:
    a, b = (keras.ops.convert_to_numpy(t) for t in (before[name], after[name]))
    change = np.linalg.norm(a - b) / np.linalg.norm(a)
    print(f"{name:>30}: relative change {change:.2f}")

# %% [markdown]
# ## Summary
#
# * A pooling layer slides a $k_h \times k_w$ window by its strides (by default the pool
#   size) and reduces each window, channel by channel, to its max or its mean; it has no
#   weights.
# * `"valid"`: $\lfloor (H - k)/s \rfloor + 1$ outputs. `"same"`: $\lceil H / s \rceil$
#   outputs and $\max((H_{\text{out}} - 1)s + k - H, 0)$ padded cells, the extra one at the
#   bottom/right. Padded cells never win a max and are not counted in an average.
# * Strided slices of the padded input, one per offset in the window, compute every window
#   at once with `keras.ops`; `channels_first` is a transpose away.
# * The gradient of max pooling goes to each window's arg-max only (summed over the windows
#   a cell wins); average pooling shares it equally among the window's real cells.
#   Automatic differentiation gets this right as long as the max is computed as a max.
# * Global pooling reduces the spatial axes only, and turns feature maps of any size into a
#   feature vector. Next: putting convolutions and pooling together into a CNN.

# %% [markdown]
# ## Where you stand
#
# The cell below lists this notebook's test cells as they ran in this session: passed,
# failed or not run yet, and the points that pass. Grading runs more tests than these.

# %%
checks.progress("04_pooling.ipynb")
