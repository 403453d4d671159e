"""Student answers for solutions/01_dense: the Dense layer and the digit classifier.

Each Entry is a whole solution cell (`source`) or the instructor's cell with small
edits (`edits`, each `old` text occurring exactly once). Mistakes (LESS) say, in
`names`, a regex the failing test's message must match: the words that name the
mistake for the student. Valid alternatives (FULL) must keep every point.
"""

from __future__ import annotations

from .harness import FULL, LESS, Entry

NOTEBOOK = "01_dense"

#: Mutants of the solution cells (bench/mutants.py --list) that must lose points.
MUTANT_SAMPLE = (
    "dense_solution/drop_return/return self.activation(outputs)",
    "dense_solution/swap_operands/keras.ops.matmul(inputs, self.kernel)",
    "dense_solution/swap_string/'zeros'->'ones'",
    "classifier_solution/swap_string/'softmax'->'linear'",
)

# ----------------------------------------------------------------------- Dense: mistakes

_MISTAKES = [
    Entry(
        "dense_bias_not_added", "dense_solution", LESS,
        edits=(("            outputs = outputs + self.bias\n", "            pass\n"),),
        names=r"bias was not added",
        why="creates the bias but never adds it",
    ),
    Entry(
        "dense_activation_ignored", "dense_solution", LESS,
        edits=(("        return self.activation(outputs)", "        return outputs"),),
        names=r"activation '\w+' was not applied",
        why="stores the activation and never applies it",
    ),
    Entry(
        "dense_activation_before_bias", "dense_solution", LESS,
        source='''\
class Dense(keras.layers.Layer):
    def __init__(self, units, activation=None, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                      initializer="glorot_uniform", name="kernel")
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        y = self.activation(keras.ops.matmul(inputs, self.kernel))
        if self.use_bias:
            y = y + self.bias
        return y

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units,
                       "activation": keras.activations.serialize(self.activation),
                       "use_bias": self.use_bias})
        return config
''',
        names=r"activation was applied before the bias",
        why="sigma(xW) + b instead of sigma(xW + b)",
    ),
    Entry(
        "dense_kernel_transposed", "dense_solution", LESS,
        edits=(("shape=(input_dim, self.units)", "shape=(self.units, input_dim)"),
               ("keras.ops.matmul(inputs, self.kernel)",
                "keras.ops.matmul(inputs, keras.ops.transpose(self.kernel))")),
        names=r"transposed",
        why="kernel stored (units, input_dim), as in the maths of W x",
    ),
    Entry(
        "dense_weights_in_init_hardcoded", "dense_solution", LESS,
        source='''\
class Dense(keras.layers.Layer):
    def __init__(self, units, activation=None, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias
        # the digits have 64 pixels
        self.kernel = self.add_weight(shape=(64, units), initializer="glorot_uniform",
                                      name="kernel")
        if use_bias:
            self.bias = self.add_weight(shape=(units,), initializer="zeros", name="bias")

    def call(self, inputs):
        out = keras.ops.matmul(inputs, self.kernel)
        if self.use_bias:
            out = out + self.bias
        return self.activation(out)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units,
                       "activation": keras.activations.serialize(self.activation),
                       "use_bias": self.use_bias})
        return config
''',
        names=r"input_shape\[-1\]",
        why="weights made in __init__ for a hard-coded 64 inputs",
    ),
    Entry(
        "dense_input_shape_first_axis", "dense_solution", LESS,
        edits=(("input_dim = input_shape[-1]", "input_dim = input_shape[0]"),),
        names=r"input_shape\[-1\]",
        why="input_shape[0] (the batch size) as the input size",
    ),
    Entry(
        "dense_super_init_forgotten", "dense_solution", LESS,
        edits=(("        super().__init__(**kwargs)\n", ""),),
        names=r"super\(\)\.__init__",
        why="never calls super().__init__",
    ),
    Entry(
        "dense_super_init_without_kwargs", "dense_solution", LESS,
        edits=(("super().__init__(**kwargs)", "super().__init__()"),),
        names=r"\*\*kwargs|super\(\)\.__init__",
        why="super().__init__() drops name, dtype, trainable: from_config(config) breaks",
    ),
    Entry(
        "dense_config_without_units", "dense_solution", LESS,
        edits=(('                "units": self.units,\n', ""),),
        names=r"'units'",
        why="get_config forgets units",
    ),
    Entry(
        "dense_config_activation_object", "dense_solution", LESS,
        edits=(('"activation": keras.activations.serialize(self.activation)',
                '"activation": self.activation'),),
        names=r"serializ|JSON",
        why="get_config stores the activation function itself",
    ),
    Entry(
        "dense_config_without_use_bias", "dense_solution", LESS,
        edits=(('                "use_bias": self.use_bias,\n', ""),),
        names=r"'use_bias'",
        why="get_config forgets use_bias",
    ),
    Entry(
        "dense_config_without_super", "dense_solution", LESS,
        edits=(("        config = super().get_config()\n        config.update(\n",
                "        config = {}\n        config.update(\n"),),
        names=r"super\(\)\.get_config|'name'|'dtype'|'trainable'",
        why="get_config from scratch: name, trainable and dtype are lost",
    ),
    Entry(
        "dense_without_compute_output_shape", "dense_solution", LESS,
        edits=(("    def compute_output_shape(self, input_shape):\n"
                "        return tuple(input_shape[:-1]) + (self.units,)\n", ""),),
        names=r"compute_output_shape",
        why="no compute_output_shape: Keras must trace call() for the output spec",
    ),
    Entry(
        "dense_output_shape_drops_leading_axes", "dense_solution", LESS,
        edits=(("return tuple(input_shape[:-1]) + (self.units,)",
                "return (input_shape[0], self.units)"),),
        names=r"compute_output_shape|output spec|shape",
        why="compute_output_shape written for 2-D inputs only",
    ),
    Entry(
        "dense_numpy_in_call", "dense_solution", LESS,
        edits=(("outputs = keras.ops.matmul(inputs, self.kernel)",
                "outputs = np.matmul(np.asarray(inputs), np.asarray(self.kernel))"),),
        names=r"keras\.ops|NumPy",
        why="NumPy inside call: no gradients, no symbolic tensors",
    ),
    Entry(
        "dense_bias_initialised_ones", "dense_solution", LESS,
        edits=(('initializer="zeros", name="bias"', 'initializer="ones", name="bias"'),),
        names=r"initial 'bias'",
        why="bias starts at one",
    ),
    Entry(
        "dense_kernel_initialised_zeros", "dense_solution", LESS,
        edits=(('initializer="glorot_uniform", name="kernel"',
                'initializer="zeros", name="kernel"'),),
        names=r"initial 'kernel'",
        why="kernel starts at zero (the units never become different)",
    ),
    Entry(
        "dense_kernel_random_normal", "dense_solution", LESS,
        edits=(('initializer="glorot_uniform", name="kernel"',
                'initializer="random_normal", name="kernel"'),),
        names=r"initial 'kernel'",
        why="kernel initialised with random_normal instead of glorot_uniform",
    ),
    Entry(
        "dense_wraps_builtin", "dense_solution", LESS,
        source='''\
class Dense(keras.layers.Layer):
    def __init__(self, units, activation=None, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias
        self.dense = keras.layers.Dense(units, activation=activation, use_bias=use_bias)

    def call(self, inputs):
        return self.dense(inputs)

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units,
                       "activation": keras.activations.serialize(self.activation),
                       "use_bias": self.use_bias})
        return config
''',
        names=r"keras\.layers\.Dense",
        why="delegates to keras.layers.Dense",
    ),
    Entry(
        "dense_subclasses_builtin", "dense_solution", LESS,
        source='''\
class Dense(keras.layers.Dense):
    def __init__(self, units, activation=None, use_bias=True, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias, **kwargs)
''',
        names=r"keras\.layers\.Dense",
        why="subclasses keras.layers.Dense",
    ),
    Entry(
        "dense_activation_string_called", "dense_solution", LESS,
        edits=(("self.activation = keras.activations.get(activation)",
                "self.activation = activation"),
               ('"activation": keras.activations.serialize(self.activation)',
                '"activation": self.activation')),
        names=r"not callable|keras\.activations\.get",
        why="keeps the activation's name and calls the string",
    ),
    Entry(
        "dense_relu_always", "dense_solution", LESS,
        edits=(("return self.activation(outputs)", "return keras.ops.relu(outputs)"),),
        names=r"'relu' was applied",
        why="relu whatever activation was asked for",
    ),
    Entry(
        "dense_use_bias_ignored", "dense_solution", LESS,
        edits=(("        if self.use_bias:\n            self.bias = self.add_weight(",
                "        if True:\n            self.bias = self.add_weight("),
               ("        if self.use_bias:\n            outputs = outputs + self.bias",
                "        if True:\n            outputs = outputs + self.bias")),
        names=r"use_bias|weight\(s\)",
        why="always makes and adds a bias, even with use_bias=False",
    ),
    Entry(
        "dense_bias_shape_row", "dense_solution", LESS,
        edits=(("shape=(self.units,)", "shape=(1, self.units)"),),
        names=r"\(units,\)",
        why="bias (1, units): broadcasts, but is not Keras' layout",
    ),
    Entry(
        "dense_weights_not_trainable", "dense_solution", LESS,
        edits=(('initializer="glorot_uniform", name="kernel"',
                'initializer="glorot_uniform", name="kernel", trainable=False'),),
        names=r"trainable",
        why="kernel created with trainable=False",
    ),
]

# --------------------------------------------------------------------- Dense: alternatives

_VALID = [
    Entry(
        "dense_einsum", "dense_solution", FULL,
        edits=(("keras.ops.matmul(inputs, self.kernel)",
                'keras.ops.einsum("...i,ij->...j", inputs, self.kernel)'),),
        why="einsum over the last axis",
    ),
    Entry(
        "dense_at_operator", "dense_solution", FULL,
        edits=(("keras.ops.matmul(inputs, self.kernel)", "inputs @ self.kernel"),),
        why="the @ operator on tensors",
    ),
    Entry(
        "dense_tensordot", "dense_solution", FULL,
        edits=(("keras.ops.matmul(inputs, self.kernel)",
                "keras.ops.tensordot(inputs, self.kernel, axes=1)"),),
        why="tensordot over one axis",
    ),
    Entry(
        "dense_dot_and_add", "dense_solution", FULL,
        edits=(("keras.ops.matmul(inputs, self.kernel)", "keras.ops.dot(inputs, self.kernel)"),
               ("outputs = outputs + self.bias", "outputs = keras.ops.add(outputs, self.bias)")),
        why="keras.ops.dot and keras.ops.add",
    ),
    Entry(
        "dense_flatten_then_reshape", "dense_solution", FULL,
        edits=(("        outputs = keras.ops.matmul(inputs, self.kernel)\n",
                "        flat = keras.ops.reshape(inputs, (-1, keras.ops.shape(inputs)[-1]))\n"
                "        outputs = keras.ops.matmul(flat, self.kernel)\n"
                "        outputs = keras.ops.reshape(\n"
                "            outputs, tuple(keras.ops.shape(inputs)[:-1]) + (self.units,))\n"),),
        why="flattens the leading axes, multiplies, restores them",
    ),
    Entry(
        "dense_separate_code_paths", "dense_solution", FULL,
        source='''\
class Dense(keras.layers.Layer):
    """Dense layer written with one code path per configuration."""

    def __init__(self, units, activation=None, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias

    def build(self, input_shape):
        n_in = input_shape[-1]
        if self.use_bias:
            self.kernel = self.add_weight(shape=(n_in, self.units), initializer="glorot_uniform",
                                          name="kernel")
            self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")
        else:
            self.kernel = self.add_weight(shape=(n_in, self.units), initializer="glorot_uniform",
                                          name="kernel")

    def call(self, inputs):
        if self.use_bias:
            return self.activation(keras.ops.matmul(inputs, self.kernel) + self.bias)
        return self.activation(keras.ops.matmul(inputs, self.kernel))

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        config = super().get_config()
        config["units"] = self.units
        config["activation"] = keras.activations.serialize(self.activation)
        config["use_bias"] = self.use_bias
        return config
''',
        why="an if/else per configuration, config filled key by key",
    ),
    Entry(
        "dense_activation_dict_lookup", "dense_solution", FULL,
        source='''\
ACTIVATIONS = {
    None: keras.activations.linear,
    "linear": keras.activations.linear,
    "relu": keras.activations.relu,
    "sigmoid": keras.activations.sigmoid,
    "tanh": keras.activations.tanh,
    "softmax": keras.activations.softmax,
    "gelu": keras.activations.gelu,
}


class Dense(keras.layers.Layer):
    def __init__(self, units, activation=None, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = ACTIVATIONS[activation] if not callable(activation) else activation
        self.use_bias = use_bias

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                      initializer="glorot_uniform", name="kernel")
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        z = keras.ops.matmul(inputs, self.kernel)
        if self.use_bias:
            z = z + self.bias
        return self.activation(z)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units,
                       "activation": keras.activations.serialize(self.activation),
                       "use_bias": self.use_bias})
        return config
''',
        why="activations from a dict of Keras' own functions",
    ),
    Entry(
        "dense_activation_looked_up_in_call", "dense_solution", FULL,
        edits=(("self.activation = keras.activations.get(activation)",
                "self.activation_name = keras.activations.serialize(\n"
                "            keras.activations.get(activation))"),
               ("return self.activation(outputs)",
                "return keras.activations.get(self.activation_name)(outputs)"),
               ('"activation": keras.activations.serialize(self.activation)',
                '"activation": self.activation_name')),
        why="stores the activation's name, looks the function up when called",
    ),
    Entry(
        "dense_weights_named_w_b", "dense_solution", FULL,
        edits=(('name="kernel"', 'name="w"'), ('name="bias"', 'name="b"')),
        why="weights named w and b, made in Keras' order",
    ),
    Entry(
        "dense_weights_unnamed", "dense_solution", FULL,
        edits=((', name="kernel"', ""), (', name="bias"', "")),
        why="add_weight without names",
    ),
    Entry(
        "dense_config_from_scratch", "dense_solution", FULL,
        source='''\
class Dense(keras.layers.Layer):
    def __init__(self, units, activation=None, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                      initializer=keras.initializers.GlorotUniform(),
                                      name="kernel")
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.units,),
                                        initializer=keras.initializers.Zeros(), name="bias")

    def call(self, inputs):
        outputs = keras.ops.matmul(inputs, self.kernel)
        if self.use_bias:
            outputs = keras.ops.add(outputs, self.bias)
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        base = super().get_config()
        return {
            "name": base["name"],
            "trainable": base["trainable"],
            "dtype": base["dtype"],
            "units": self.units,
            "activation": keras.activations.serialize(self.activation),
            "use_bias": self.use_bias,
        }
''',
        why="get_config written out: name, trainable, dtype from super, then the arguments; "
            "initializer objects instead of names",
    ),
    Entry(
        "dense_broadcast_sum", "dense_solution", FULL,
        edits=(("outputs = keras.ops.matmul(inputs, self.kernel)",
                "outputs = keras.ops.sum(keras.ops.expand_dims(inputs, -1) * self.kernel, "
                "axis=-2)"),),
        why="the product written as a broadcast and a sum",
    ),
]

# ----------------------------------------------------------------- classifier: mistakes

_CLASSIFIER = '''\
def build_digit_classifier():
    model = keras.Sequential([
        keras.Input(shape=(64,)),
        {hidden},
        {output},
    ]){compile}
    return model
'''


def classifier(hidden='Dense(32, activation="relu")', output='Dense(10, activation="softmax")',
               compile='optimizer="adam", loss="sparse_categorical_crossentropy", '
                       'metrics=["accuracy"]') -> str:
    """A student's classifier cell with one part changed (compile=None: no compile call)."""
    compile = "" if compile is None else f"\n    model.compile({compile})"
    return _CLASSIFIER.format(hidden=hidden, output=output, compile=compile)


_CLASSIFIER_MISTAKES = [
    Entry(
        "classifier_builtin_dense", "classifier_solution", LESS,
        source=classifier('keras.layers.Dense(32, activation="relu")',
                          'keras.layers.Dense(10, activation="softmax")'),
        names=r"your Dense|keras\.layers\.Dense|built-in",
        why="keras.layers.Dense instead of the student's Dense",
    ),
    Entry(
        "classifier_hidden_without_activation", "classifier_solution", LESS,
        source=classifier(hidden="Dense(32)"),
        names=r"relu",
        why="the hidden layer is linear",
    ),
    Entry(
        "classifier_without_softmax", "classifier_solution", LESS,
        source=classifier(output="Dense(10)"),
        names=r"softmax",
        why="the output layer has no softmax: scores, not probabilities",
    ),
    Entry(
        "classifier_logits_from_logits_loss", "classifier_solution", LESS,
        source=classifier(output="Dense(10)",
                          compile='optimizer="adam", loss=keras.losses.'
                                  'SparseCategoricalCrossentropy(from_logits=True), '
                                  'metrics=["accuracy"]'),
        names=r"softmax",
        why="logits out (trained with from_logits=True): not the probabilities asked for",
    ),
    Entry(
        "classifier_categorical_loss", "classifier_solution", LESS,
        source=classifier(compile='optimizer="adam", loss="categorical_crossentropy", '
                                  'metrics=["accuracy"]'),
        names=r"sparse_categorical_crossentropy",
        why="categorical_crossentropy with integer labels",
    ),
    Entry(
        "classifier_mse_loss", "classifier_solution", LESS,
        source=classifier(compile='optimizer="adam", loss="mse", metrics=["accuracy"]'),
        names=r"sparse_categorical_crossentropy|loss",
        why="mean squared error on integer labels",
    ),
    Entry(
        "classifier_compile_defaults", "classifier_solution", LESS,
        source=classifier(compile=""),
        names=r"compile|loss",
        why="model.compile() with no arguments",
    ),
    Entry(
        "classifier_not_compiled", "classifier_solution", LESS,
        source=classifier(compile=None),
        names=r"compile",
        why="returns the model without compiling it",
    ),
    Entry(
        "classifier_without_metrics", "classifier_solution", LESS,
        source=classifier(compile='optimizer="adam", loss="sparse_categorical_crossentropy"'),
        names=r"'accuracy'|metric",
        why="compiled without the accuracy metric",
    ),
    Entry(
        "classifier_sgd", "classifier_solution", LESS,
        source=classifier(compile='optimizer="sgd", loss="sparse_categorical_crossentropy", '
                                  'metrics=["accuracy"]'),
        names=r"optimi[sz]er|adam",
        why="SGD instead of Adam",
    ),
    Entry(
        "classifier_64_hidden_units", "classifier_solution", LESS,
        source=classifier(hidden='Dense(64, activation="relu")'),
        names=r"\(None, 32\)|2080",
        why="64 hidden units instead of 32",
    ),
    Entry(
        "classifier_extra_layer", "classifier_solution", LESS,
        source=classifier(hidden='Dense(32, activation="relu"),\n        '
                                 'Dense(32, activation="relu")'),
        names=r"3 layer",
        why="two hidden layers",
    ),
    Entry(
        "classifier_sigmoid_output", "classifier_solution", LESS,
        source=classifier(output='Dense(10, activation="sigmoid")'),
        names=r"softmax",
        why="sigmoid instead of softmax on the output",
    ),
    Entry(
        "classifier_functional", "classifier_solution", LESS,
        source='''\
def build_digit_classifier():
    inputs = keras.Input(shape=(64,))
    hidden = Dense(32, activation="relu")(inputs)
    outputs = Dense(10, activation="softmax")(hidden)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model
''',
        names=r"[Ss]equential",
        why="a Functional model where a Sequential one is asked for",
    ),
]

# ------------------------------------------------------------- classifier: alternatives

_CLASSIFIER_VALID = [
    Entry(
        "classifier_with_add", "classifier_solution", FULL,
        source='''\
def build_digit_classifier():
    model = keras.Sequential()
    model.add(keras.Input(shape=(64,)))
    model.add(Dense(32, activation="relu"))
    model.add(Dense(10, activation="softmax"))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model
''',
        why="Sequential().add(...) layer by layer",
    ),
    Entry(
        "classifier_compile_objects", "classifier_solution", FULL,
        source=classifier(compile="optimizer=keras.optimizers.Adam(), "
                                  "loss=keras.losses.SparseCategoricalCrossentropy(), "
                                  'metrics=["accuracy"]'),
        why="optimizer and loss objects with their default settings",
    ),
    Entry(
        "classifier_named_layers", "classifier_solution", FULL,
        source=classifier('Dense(units=32, activation="relu", name="hidden")',
                          'Dense(units=10, activation="softmax", name="probabilities")'),
        why="named layers, units as a keyword",
    ),
    Entry(
        "classifier_activation_functions", "classifier_solution", FULL,
        source=classifier("Dense(32, activation=keras.activations.relu)",
                          "Dense(10, activation=keras.activations.softmax)"),
        why="activation functions instead of their names",
    ),
]

ENTRIES: list[Entry] = _MISTAKES + _VALID + _CLASSIFIER_MISTAKES + _CLASSIFIER_VALID
