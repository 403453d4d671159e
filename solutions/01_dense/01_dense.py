# ---
# jupyter:
#   kernelspec:
#     display_name: Keras from the inside (Python 3)
#     language: python
#     name: kcourse
# ---

# %% [markdown]
# # 01 · The anatomy of a Keras 3 layer: write `Dense` yourself
#
# `keras.layers.Dense` is the layer every network starts with. In this notebook you
# rebuild it from `keras.layers.Layer`, and the tests compare your layer with the real one:
# same weights, same outputs, same gradients, same configuration.
#
# **Learning goals.** After this notebook you can
#
# 1. name the four methods of a Keras 3 layer and say when Keras calls each
#    (`__init__`, `build`, `call`, `get_config`);
# 2. create weights with `self.add_weight(shape=..., initializer=..., name=...)` in the
#    layout Keras uses, kernel `(input_dim, units)`;
# 3. write `call` with `keras.ops`, so that the layer runs (and differentiates) on every backend;
# 4. make a layer serialisable with `get_config`, so `.keras` files can rebuild it;
# 5. use your layer in a model and train it on real digits.
#
# **How to work.** Fill in the cells marked `# YOUR CODE HERE`, then run the test cell
# below each exercise. A test prints a line starting with ✔ when it passes; when it
# fails it says where your layer differs from Keras and, when it recognises the mistake,
# what the mistake probably is. More tests (other shapes, seeds and configurations) run
# when your notebook is graded.

# %%
import keras
import numpy as np

from kcourse import checks, data, plots

keras.utils.set_random_seed(0)
print("Keras", keras.__version__, "on", keras.config.backend())

# %% [markdown]
# ## 1. What a Dense layer computes
#
# For an input row $x \in \mathbb{R}^{d}$ (the $d$ input features), a Dense layer with
# $u$ units computes
#
# $$ y = \sigma\left(x W + b\right), \qquad W \in \mathbb{R}^{d \times u},\; b \in \mathbb{R}^{u},\; y \in \mathbb{R}^{u}, $$
#
# where $\sigma$ is the activation applied elementwise (the identity when
# `activation=None`). A batch stacks rows, $X \in \mathbb{R}^{n \times d}$, and the same
# formula holds with $XW \in \mathbb{R}^{n \times u}$ and $b$ broadcast over the $n$ rows.
# Keras also accepts more leading axes: an input of shape `(batch, time, d)` gives
# `(batch, time, u)`; the product is always taken over the **last** axis.
#
# Two Keras conventions matter for this exercise:
#
# * the kernel is stored as `(input_dim, units)` and the product is `x @ kernel`
#   (not `kernel @ x`, not `x @ kernel.T`);
# * the bias is added **before** the activation: $\sigma(xW + b)$, not $\sigma(xW) + b$.
#
# The number of parameters is $d \cdot u$ for the kernel plus $u$ for the bias.

# %% [markdown]
# ## 2. The life of a layer
#
# ```text
# layer = Dense(units=3, activation="relu")   # __init__: store the configuration, no weights yet
# y = layer(x)                                 # first call: build(x.shape), then call(x)
# y = layer(x2)                                # later calls: call(x2) only
# config = layer.get_config()                  # a JSON-friendly dict: enough to rebuild the layer
# clone = Dense.from_config(config)            # default from_config is cls(**config)
# ```
#
# * `__init__(self, units, activation=None, use_bias=True, **kwargs)` stores the arguments.
#   It must pass `**kwargs` (name, dtype, trainable, ...) to `super().__init__`.
#   The input size is unknown here, so no weights can be made yet.
# * `build(self, input_shape)` runs once, on the first call, with the input's shape
#   (batch included, e.g. `(32, 64)`). This is where `self.add_weight` creates variables.
# * `call(self, inputs)` computes the output with `keras.ops` (backend-neutral:
#   TensorFlow, JAX or PyTorch run the same code and can differentiate it).
# * `get_config(self)` returns `super().get_config()` updated with the constructor
#   arguments, so that `Dense.from_config(config)` builds an identical layer.
#
# Here is how the pieces look in the real layer, on a batch of 2 rows with 4 features:

# %%
builtin = keras.layers.Dense(3, activation="relu")
x_demo = np.arange(8, dtype="float32").reshape(2, 4) / 8
print("output shape:", tuple(builtin(x_demo).shape))
for weight in builtin.weights:
    print(f"{weight.name:>6}: shape {tuple(weight.shape)}, trainable={weight.trainable}")
print("config keys used here:", {k: builtin.get_config()[k] for k in ("units", "activation", "use_bias")})

# %% [markdown]
# ## Exercise 1 · `Dense` (6 points)
#
# Complete the class below. Specification:
#
# | method | must do |
# |---|---|
# | `__init__(units, activation=None, use_bias=True, **kwargs)` | call `super().__init__(**kwargs)`; store `self.units` (int), `self.activation = keras.activations.get(activation)` (a function; `None` becomes the identity `linear`), `self.use_bias` |
# | `build(input_shape)` | `self.kernel`: shape `(input_shape[-1], units)`, initializer `"glorot_uniform"`, name `"kernel"`; if `use_bias`, `self.bias`: shape `(units,)`, initializer `"zeros"`, name `"bias"`; both trainable |
# | `call(inputs)` | `activation(inputs @ kernel + bias)` with `keras.ops.matmul`; input `(batch, ..., input_dim)` float32 → output `(batch, ..., units)` float32 |
# | `compute_output_shape(input_shape)` | return `input_shape[:-1] + (units,)` as a tuple: `(batch, ..., input_dim)` → `(batch, ..., units)` |
# | `get_config()` | `super().get_config()` plus `"units"`, `"activation"` (as a name: `keras.activations.serialize(self.activation)`), `"use_bias"` |
#
# **Why `compute_output_shape`.** When a layer is called on a symbolic `keras.Input` (in a
# Functional or `Sequential` model, for `summary()`, under mixed precision), Keras needs
# the output's shape before any data exists. If the layer defines
# `compute_output_shape(input_shape)`, Keras uses it; otherwise it has to trace `call`
# symbolically. Dense only replaces the last axis,
# $(n, \ldots, d) \mapsto (n, \ldots, u)$, so the rule is one line,
# `tuple(input_shape[:-1]) + (self.units,)`; a batch size of `None` stays `None`.
#
# Do not use `keras.layers.Dense` inside your layer: the test refuses it.

# %% nbgrader={"grade": false, "grade_id": "dense_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Dense(keras.layers.Layer):
    """Fully connected layer: outputs = activation(inputs @ kernel + bias).

    inputs: (batch, ..., input_dim) -> outputs: (batch, ..., units)
    kernel: (input_dim, units); bias: (units,)
    """

    def __init__(self, units, activation=None, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        ### BEGIN SOLUTION
        self.units = int(units)
        self.activation = keras.activations.get(activation)
        self.use_bias = bool(use_bias)
        ### END SOLUTION

    def build(self, input_shape):
        ### BEGIN SOLUTION
        input_dim = input_shape[-1]
        self.kernel = self.add_weight(
            shape=(input_dim, self.units), initializer="glorot_uniform", name="kernel"
        )
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")
        ### END SOLUTION

    def call(self, inputs):
        ### BEGIN SOLUTION
        outputs = keras.ops.matmul(inputs, self.kernel)
        if self.use_bias:
            outputs = outputs + self.bias
        return self.activation(outputs)
        ### END SOLUTION

    def compute_output_shape(self, input_shape):
        ### BEGIN SOLUTION
        return tuple(input_shape[:-1]) + (self.units,)
        ### END SOLUTION

    def get_config(self):
        ### BEGIN SOLUTION
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "activation": keras.activations.serialize(self.activation),
                "use_bias": self.use_bias,
            }
        )
        return config
        ### END SOLUTION


# %% [markdown]
# ### Visible test
#
# `checks.check_layer` builds your layer and `keras.layers.Dense` on the same input
# shape, copies the Keras weights into yours (kernel `(5, 3)`, bias `(3,)`), and compares
# outputs in inference and training mode, the gradients with respect to the input, the
# kernel and the bias, and the `get_config` → `from_config` round trip.

# %% nbgrader={"grade": true, "grade_id": "dense_relu", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_layer(
    Dense(units=3, activation="relu"),
    keras.layers.Dense(units=3, activation="relu"),
    input_shape=(4, 5),
    config_keys=("units", "activation", "use_bias"),
)

# %% [markdown]
# The next test cell checks the other configurations the specification mentions:
# no activation and no bias, and an input with a time axis.

# %% nbgrader={"grade": true, "grade_id": "dense_variants", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_layer(
    Dense(units=2, use_bias=False),
    keras.layers.Dense(units=2, use_bias=False),
    input_shape=(3, 4),
    config_keys=("units", "activation", "use_bias"),
)
checks.check_layer(
    Dense(units=4, activation="tanh"),
    keras.layers.Dense(units=4, activation="tanh"),
    input_shape=(2, 3, 5),
)
### BEGIN HIDDEN TESTS
for seed, units, activation, shape in [
    (1, 1, "sigmoid", (1, 7)),
    (2, 6, "softmax", (5, 6)),
    (3, 6, None, (6, 6)),
    (4, 3, "gelu", (2, 1, 4, 3)),
]:
    checks.check_layer(
        Dense(units=units, activation=activation),
        keras.layers.Dense(units=units, activation=activation),
        input_shape=shape,
        seed=seed,
        config_keys=("units", "activation", "use_bias"),
    )
### END HIDDEN TESTS

# %% [markdown]
# ### The layer contract
#
# Keras tests each of its own layers for more than outputs and gradients: the layer must
# also run under the `"mixed_float16"` policy (float16 outputs, float32 weights, and a
# symbolic output spec that agrees, which is where `compute_output_shape` comes in), be
# called on a symbolic `keras.Input`, train one jit-compiled step, and survive
# `keras.saving.serialize_keras_object` and back. `contract=True` runs those probes on your
# layer and on `keras.layers.Dense`, and requires the same results.

# %% nbgrader={"grade": true, "grade_id": "dense_contract", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_layer(
    Dense(units=3, activation="relu"),
    keras.layers.Dense(units=3, activation="relu"),
    input_shape=(4, 5),
    contract=True,
)

# %% [markdown]
# ## 3. Your layer in a model
#
# A layer that passes these tests is a real Keras layer: it goes into `keras.Sequential`,
# trains with `fit`, and is saved in `.keras` files. Here it classifies scikit-learn's
# handwritten digits: 8×8 images flattened to 64 features in $[0, 1]$, ten classes.

# %%
digits = data.load_digits()
print("train", digits.train.x.shape, "validation", digits.validation.x.shape,
      "test", digits.test.x.shape)
fig = plots.plot_images(digits.train.x[:20], digits.train.y[:20], title="training digits")

# %% [markdown]
# ## Exercise 2 · a digit classifier from your `Dense` (2 points)
#
# Write `build_digit_classifier()` returning a `keras.Sequential` model made of
# `keras.Input(shape=(64,))`, **your** `Dense(32, activation="relu")`, and **your**
# `Dense(10, activation="softmax")`, compiled with the `"adam"` optimizer,
# `"sparse_categorical_crossentropy"` loss (the labels are integers 0–9) and the
# `"accuracy"` metric. The hidden layer has $64 \cdot 32 + 32 = 2080$ parameters and the
# output layer $32 \cdot 10 + 10 = 330$.
#
# The cell after it trains the model for 30 epochs; the test then requires at least 90 %
# accuracy on the 270 held-out test digits, which the model never saw.

# %% nbgrader={"grade": false, "grade_id": "classifier_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def build_digit_classifier():
    """Sequential model (batch, 64) -> (batch, 10) class probabilities, compiled."""
    ### BEGIN SOLUTION
    model = keras.Sequential(
        [
            keras.Input(shape=(64,)),
            Dense(32, activation="relu"),
            Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model
    ### END SOLUTION


# %%
keras.utils.set_random_seed(1)
model = build_digit_classifier()
history = model.fit(
    digits.train.x, digits.train.y,
    validation_data=(digits.validation.x, digits.validation.y),
    epochs=30, batch_size=32, verbose=0,
)
print(f"final validation accuracy: {history.history['val_accuracy'][-1]:.2f}")
fig = plots.plot_history(history, title="your Dense layers learning digits")

# %% [markdown]
# The test checks each layer's class (your `Dense`, not `keras.layers.Dense`), output shape,
# parameter count and settings, the compile settings, and then the accuracy. The epochs
# are fixed by the cell above, so if the accuracy is too low, look for the cause in the
# model, not in the training time.

# %% nbgrader={"grade": true, "grade_id": "classifier_accuracy", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_model_style(model, "sequential")
checks.check_architecture(
    model,
    [
        ("Dense", (None, 32), 2080, {"units": 32, "activation": "relu", "use_bias": True}),
        ("Dense", (None, 10), 330, {"units": 10, "activation": "softmax", "use_bias": True}),
    ],
    own=("Dense",),
    compiled={
        "optimizer": "adam",
        "loss": "sparse_categorical_crossentropy",
        "metrics": ["accuracy"],
    },
)
checks.check_accuracy(model, digits.test.x, digits.test.y, at_least=0.90, epochs_fixed=True)
### BEGIN HIDDEN TESTS
checks.check_history(history, ["loss", "accuracy", "val_loss", "val_accuracy"], epochs=30)
### END HIDDEN TESTS

# %% [markdown]
# ## 4. What did the hidden units learn?
#
# Column $j$ of the kernel holds the 64 weights unit $j$ gives to the 64 pixels, so it
# can be drawn as an 8×8 image: red pixels push the unit's pre-activation up, blue pixels
# push it down. Many units look like strokes or pieces of digits.

# %%
first_layer = model.layers[0]
kernel = keras.ops.convert_to_numpy(first_layer.kernel)  # (64, 32)
fig = plots.plot_dense_kernel(kernel[:, :10], title="kernel columns of 10 hidden units")

# %% [markdown]
# ## Summary
#
# * A Keras 3 layer stores its configuration in `__init__`, makes its weights in `build`
#   (once the input size is known), computes in `call` with `keras.ops`, and describes
#   itself in `get_config`.
# * Dense computes $\sigma(xW + b)$ with the kernel stored `(input_dim, units)`.
# * Because your layer follows the protocol, `Sequential`, `fit`, `evaluate` and saving
#   work with it unchanged. Next: activations, and how their derivatives shape training.

# %% [markdown]
# ## Where you stand
#
# The cell below lists this notebook's test cells as they ran in this session: passed,
# failed or not run yet, and the points that pass. Grading runs more tests than these.

# %%
checks.progress("01_dense.ipynb")
