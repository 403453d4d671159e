# ---
# jupyter:
#   kernelspec:
#     display_name: Keras from the inside (Python 3)
#     language: python
#     name: kcourse
# ---

# %% [markdown]
# # 00 · A tour of Keras 3 from the outside
#
# Before taking Keras apart, use it as a user does. This notebook trains a small
# classifier on handwritten digits three ways and follows one model through its whole
# life: build → compile → fit → evaluate → predict → save → load.
#
# **Learning goals.** After this notebook you can
#
# 1. write the same model as a `Sequential` stack, with the Functional API, and as a
#    subclass of `keras.Model`, and say when each style fits;
# 2. read a model's layers, output shapes and parameter counts, and compute the counts
#    by hand;
# 3. `compile`, `fit` (with validation data), `evaluate` and `predict`, and read
#    `history.history["accuracy"]`;
# 4. save a model to a `.keras` file and load it back unchanged.
#
# **How to work.** Fill in the cells marked `# YOUR CODE HERE` and run the test cell
# after each. A passing test prints lines starting with ✔; a failing one says what
# differs. More tests run when the notebook is graded.

# %%
import tempfile
from pathlib import Path

import keras
import numpy as np

from kcourse import checks, data, plots

keras.utils.set_random_seed(0)
print("Keras", keras.__version__, "on", keras.config.backend())

# %% [markdown]
# ## 1. The data: 1,797 handwritten digits
#
# scikit-learn ships 8×8 grey-scale digits (no download). `kcourse.data.load_digits()`
# scales the 64 pixels to $[0, 1]$ as float32 and splits the examples, stratified and
# always the same way, into training (70 %), validation (15 %) and test (15 %) sets.
# The labels are integers 0–9.

# %%
digits = data.load_digits()
x_train, y_train = digits.train
x_val, y_val = digits.validation
x_test, y_test = digits.test
print("x_train", x_train.shape, x_train.dtype, "| y_train", y_train.shape, y_train.dtype)
print("validation", x_val.shape, "| test", x_test.shape)
print("examples per class in training:", np.bincount(y_train).tolist())
fig = plots.plot_images(x_train[:20], y_train[:20], title="the first 20 training digits")

# %% [markdown]
# ## 2. The model, and what its parameters are
#
# All three exercises below build the same network, a *multi-layer perceptron*:
#
# $$ h = \mathrm{relu}(x W_1 + b_1), \qquad p = \mathrm{softmax}(h W_2 + b_2), $$
#
# with $x \in \mathbb{R}^{64}$, $W_1 \in \mathbb{R}^{64 \times 32}$, $b_1 \in \mathbb{R}^{32}$,
# $W_2 \in \mathbb{R}^{32 \times 10}$, $b_2 \in \mathbb{R}^{10}$. Softmax turns the ten
# scores into probabilities, $p_k = e^{z_k} / \sum_j e^{z_j}$. The parameter counts are
# $64 \cdot 32 + 32 = 2080$ and $32 \cdot 10 + 10 = 330$: 2,410 in all.
#
# | layer | output shape | parameters |
# |---|---|---|
# | `Dense(32, activation="relu")` | `(None, 32)` | 2080 |
# | `Dense(10, activation="softmax")` | `(None, 10)` | 330 |
#
# `None` is the batch size, unknown until data arrives.

# %% [markdown]
# ## Exercise 1 · `Sequential` (2 points)
#
# `build_sequential()` returns a `keras.Sequential` model: `keras.Input(shape=(64,))`,
# then `keras.layers.Dense(32, activation="relu")`, then
# `keras.layers.Dense(10, activation="softmax")`. Do not compile it.

# %% nbgrader={"grade": false, "grade_id": "sequential_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def build_sequential():
    """keras.Sequential: (batch, 64) -> (batch, 10) probabilities. Not compiled."""
    ### BEGIN SOLUTION
    return keras.Sequential(
        [
            keras.Input(shape=(64,)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    ### END SOLUTION


# %%
build_sequential().summary()

# %% nbgrader={"grade": true, "grade_id": "sequential_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
sequential = build_sequential()
checks.check_model_style(sequential, "sequential")
checks.check_architecture(
    sequential,
    [
        ("Dense", (None, 32), 2080, {"units": 32, "activation": "relu"}),
        ("Dense", (None, 10), 330, {"units": 10, "activation": "softmax"}),
    ],
)

# %% [markdown]
# ## Exercise 2 · the Functional API (2 points)
#
# The Functional API describes the model as a graph: start from a symbolic
# `inputs = keras.Input(shape=(64,))`, call layers on symbolic tensors, and close with
# `keras.Model(inputs=inputs, outputs=outputs)`. It is what you need for several inputs
# or outputs, or for branches that merge (ResNet, later in the course).
#
# `build_functional()` returns the same network written this way.

# %% nbgrader={"grade": false, "grade_id": "functional_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def build_functional():
    """Functional keras.Model: (batch, 64) -> (batch, 10) probabilities. Not compiled."""
    ### BEGIN SOLUTION
    inputs = keras.Input(shape=(64,))
    hidden = keras.layers.Dense(32, activation="relu")(inputs)
    outputs = keras.layers.Dense(10, activation="softmax")(hidden)
    return keras.Model(inputs=inputs, outputs=outputs)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "functional_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
functional = build_functional()
checks.check_model_style(functional, "functional")
checks.check_architecture(
    functional,
    [
        ("Dense", (None, 32), 2080, {"units": 32, "activation": "relu"}),
        ("Dense", (None, 10), 330, {"units": 10, "activation": "softmax"}),
    ],
)

# %% [markdown]
# ## Exercise 3 · subclassing `keras.Model` (2 points)
#
# A subclass creates its layers in `__init__` and writes the forward pass in
# `call(self, inputs)` as ordinary Python: the most flexible style, and the one the
# rest of the course uses for custom models.
#
# `DigitClassifier(hidden_units=32, **kwargs)` must call `super().__init__(**kwargs)`,
# create `self.hidden = keras.layers.Dense(hidden_units, activation="relu")` and
# `self.classifier = keras.layers.Dense(10, activation="softmax")` (in that order), and
# `call(inputs)` returns `classifier(hidden(inputs))`: `(batch, 64)` → `(batch, 10)`.

# %% nbgrader={"grade": false, "grade_id": "subclassed_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
class DigitClassifier(keras.Model):
    """(batch, 64) -> (batch, 10) class probabilities, as a keras.Model subclass."""

    def __init__(self, hidden_units=32, **kwargs):
        ### BEGIN SOLUTION
        super().__init__(**kwargs)
        self.hidden = keras.layers.Dense(hidden_units, activation="relu")
        self.classifier = keras.layers.Dense(10, activation="softmax")
        ### END SOLUTION

    def call(self, inputs):
        ### BEGIN SOLUTION
        return self.classifier(self.hidden(inputs))
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "subclassed_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
subclassed = DigitClassifier()
probabilities = subclassed(x_train[:4])  # the first call builds the layers
checks.check_model_style(subclassed, "subclassed")
checks.check_architecture(
    subclassed,
    [
        ("Dense", None, 2080, {"units": 32, "activation": "relu"}),
        ("Dense", None, 330, {"units": 10, "activation": "softmax"}),
    ],
)
### BEGIN HIDDEN TESTS
wide = DigitClassifier(hidden_units=16, name="wide_classifier")
wide(x_train[:1])
checks.check_model_style(wide, "subclassed", name="wide_classifier")
checks.check_architecture(
    wide,
    [
        ("Dense", None, 64 * 16 + 16, {"units": 16, "activation": "relu"}),
        ("Dense", None, 16 * 10 + 10, {"units": 10, "activation": "softmax"}),
    ],
)
### END HIDDEN TESTS

# %% [markdown]
# ## Exercise 4 · compile and fit (3 points)
#
# Training minimises the average *sparse categorical cross-entropy* between the predicted
# probabilities $p$ and the integer label $y$ of each example,
#
# $$ \mathcal{L} = -\frac{1}{n}\sum_{i=1}^{n} \log p_{i, y_i}, $$
#
# by gradient descent; Adam adapts the step size of each parameter.
#
# `compile_and_fit(model, dataset, epochs)`:
#
# * compiles `model` with `optimizer=keras.optimizers.Adam(learning_rate=1e-2)`,
#   `loss="sparse_categorical_crossentropy"` and `metrics=["accuracy"]`;
# * fits it on `dataset.train` for `epochs` epochs with `batch_size=32`, passing
#   `dataset.validation` as `validation_data`, with `verbose=0`;
# * returns the `History` object that `fit` returns.

# %% nbgrader={"grade": false, "grade_id": "fit_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def compile_and_fit(model, dataset, epochs):
    """Compile `model` and train it on dataset.train; return the keras.callbacks.History."""
    ### BEGIN SOLUTION
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-2),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model.fit(
        dataset.train.x, dataset.train.y,
        validation_data=(dataset.validation.x, dataset.validation.y),
        epochs=epochs, batch_size=32, verbose=0,
    )
    ### END SOLUTION


# %%
keras.utils.set_random_seed(42)
model = build_sequential()
history = compile_and_fit(model, digits, epochs=15)
print("recorded:", sorted(history.history))
fig = plots.plot_history(history, title="Sequential MLP on digits")

# %% [markdown]
# The curves show training and validation loss falling together and accuracy rising:
# the model is not yet memorising the training set (that would show as a validation loss
# turning upwards while the training loss keeps falling).

# %% [markdown]
# The test checks the compile settings first (optimizer and its learning rate, loss,
# metrics), then the history, then the accuracy on the test set. The number of epochs is
# the cell's, so a low accuracy points to the model or its compile settings.

# %% nbgrader={"grade": true, "grade_id": "fit_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
checks.check_architecture(
    model,
    [("Dense", (None, 32), 2080), ("Dense", (None, 10), 330)],
    compiled={
        "optimizer": "adam",
        "learning_rate": 1e-2,
        "loss": "sparse_categorical_crossentropy",
        "metrics": ["accuracy"],
    },
)
checks.check_history(history, ["loss", "accuracy", "val_loss", "val_accuracy"], epochs=15,
                     train_size=len(x_train), batch_size=32, validation_data=(x_val, y_val))
checks.check_accuracy(model, x_test, y_test, at_least=0.90, epochs_fixed=True)
### BEGIN HIDDEN TESTS
keras.utils.set_random_seed(7)
functional_model = build_functional()
checks.check_history(compile_and_fit(functional_model, digits, epochs=10), ["loss"], epochs=10)
checks.check_architecture(
    functional_model,
    [("Dense", (None, 32), 64 * 32 + 32), ("Dense", (None, 10), 32 * 10 + 10)],
    compiled=dict(optimizer="adam", learning_rate=1e-2, metrics=["accuracy"],
                  loss="sparse_categorical_crossentropy"),
)
checks.check_accuracy(functional_model, x_test, y_test, at_least=0.85, epochs_fixed=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 3. Evaluate and predict
#
# `evaluate` returns the loss and the compiled metrics on data the model never trained
# on; `predict` returns the probabilities, shape `(n, 10)`. The predicted class is the
# most probable one, `argmax` over the last axis.

# %%
test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy {test_accuracy:.2f}")
predicted = np.argmax(model.predict(x_test, verbose=0), axis=-1)
wrong = np.flatnonzero(predicted != y_test)[:10]
labels = [f"{p} (is {t})" for p, t in zip(predicted[wrong], y_test[wrong], strict=True)]
fig = plots.plot_images(x_test[wrong], labels, title="misclassified test digits: predicted (true)")

# %% [markdown]
# ## Exercise 5 · save and load (2 points)
#
# Keras 3 saves a whole model (architecture, weights, compile configuration, optimizer
# state) in one `.keras` file, a zip archive with `config.json` and `model.weights.h5`.
#
# `save_and_reload(model, path)` saves `model` to `path` (a `pathlib.Path` ending in
# `.keras`) with `model.save` and returns the model loaded back with
# `keras.saving.load_model`.

# %% nbgrader={"grade": false, "grade_id": "save_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def save_and_reload(model, path):
    """Save `model` to the .keras file `path`; return the model loaded from it."""
    ### BEGIN SOLUTION
    model.save(path)
    return keras.saving.load_model(path)
    ### END SOLUTION


# %% [markdown]
# The test checks the file, and that the model you return was read back from it: a
# different object with its own variables, giving the same predictions as `model`.

# %% nbgrader={"grade": true, "grade_id": "save_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
path = Path(tempfile.mkdtemp()) / "digits_mlp.keras"
reloaded = save_and_reload(model, path)
checks.check_saved_model_file(path)
checks.check_same_predictions(model, reloaded, x_test)

# %% [markdown]
# ## Summary
#
# * `Sequential` for a plain stack, the Functional API for graphs, subclassing for
#   arbitrary Python in `call`: all three give a `keras.Model` with the same methods.
# * `compile` chooses optimizer, loss and metrics; `fit` returns a `History` whose
#   `history` dict has one list per metric (`"loss"`, `"accuracy"`, `"val_loss"`,
#   `"val_accuracy"`).
# * `model.save("name.keras")` and `keras.saving.load_model` round-trip the whole model.
#
# Next notebook: open up `keras.layers.Dense` and write it yourself.

# %% [markdown]
# ## Where you stand
#
# The cell below lists this notebook's test cells as they ran in this session: passed,
# failed or not run yet, and the points that pass. Grading runs more tests than these.

# %%
checks.progress("00_keras_tour.ipynb")
