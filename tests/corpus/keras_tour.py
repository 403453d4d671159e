"""Student answers for solutions/00_keras_tour: three model styles, fit, save and load.

Each Entry is a whole solution cell (`source`) or the instructor's cell with small
edits (`edits`, each `old` text occurring exactly once). Mistakes (LESS) say, in
`names`, a regex the failing test's message must match: the words that name the
mistake for the student. Valid alternatives (FULL) must keep every point.
"""

from __future__ import annotations

from .harness import FULL, LESS, Entry

NOTEBOOK = "00_keras_tour"

#: Mutants of the solution cells (bench/mutants.py --list) that must lose points.
MUTANT_SAMPLE = (
    "fit_solution/drop_keyword/validation_data=(dataset.validation.x, dataset.validation.y)",
    "subclassed_solution/change_number/10->11 in self.classifier = "
    "keras.layers.Dense(10, activatio",
    "save_solution/delete_statement/model.save(path)",
    "sequential_solution/swap_string/'relu'->'linear'",
)

_SEQUENTIAL = '''\
def build_sequential():
    return keras.Sequential([
        keras.Input(shape=(64,)),
        {hidden},
        {output},
    ])
'''


def sequential(hidden='keras.layers.Dense(32, activation="relu")',
               output='keras.layers.Dense(10, activation="softmax")') -> str:
    """A student's build_sequential cell with one layer changed."""
    return _SEQUENTIAL.format(hidden=hidden, output=output)


_FUNCTIONAL = '''\
def build_functional():
    inputs = keras.Input(shape=(64,))
    x = {hidden}(inputs)
    outputs = {output}(x)
    return keras.Model(inputs=inputs, outputs=outputs)
'''


def functional(hidden='keras.layers.Dense(32, activation="relu")',
               output='keras.layers.Dense(10, activation="softmax")') -> str:
    """A student's build_functional cell with one layer changed."""
    return _FUNCTIONAL.format(hidden=hidden, output=output)


_FIT = '''\
def compile_and_fit(model, dataset, epochs):
    model.compile(optimizer={optimizer}, loss={loss}, metrics={metrics})
    history = model.fit(dataset.train.x, dataset.train.y, {fit})
    return history
'''


def fit(optimizer="keras.optimizers.Adam(learning_rate=1e-2)",
        loss='"sparse_categorical_crossentropy"', metrics='["accuracy"]',
        fit="validation_data=(dataset.validation.x, dataset.validation.y), epochs=epochs, "
            "batch_size=32, verbose=0") -> str:
    """A student's compile_and_fit cell with one argument changed."""
    return _FIT.format(optimizer=optimizer, loss=loss, metrics=metrics, fit=fit)


_VALIDATION = "validation_data=(dataset.validation.x, dataset.validation.y)"

# ------------------------------------------------------------------------------ Sequential

_SEQUENTIAL_ENTRIES = [
    Entry("sequential_without_input", "sequential_solution", LESS,
          source='''\
def build_sequential():
    return keras.Sequential([
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
''',
          names=r"not built|keras\.Input",
          why="no keras.Input: the model has no input shape until it first sees data"),
    Entry("sequential_hidden_without_activation", "sequential_solution", LESS,
          source=sequential(hidden="keras.layers.Dense(32)"),
          names=r"relu",
          why="the hidden layer is linear"),
    Entry("sequential_without_softmax", "sequential_solution", LESS,
          source=sequential(output="keras.layers.Dense(10)"),
          names=r"softmax",
          why="the output layer gives scores, not probabilities"),
    Entry("sequential_sigmoid_output", "sequential_solution", LESS,
          source=sequential(output='keras.layers.Dense(10, activation="sigmoid")'),
          names=r"softmax",
          why="sigmoid on the output"),
    Entry("sequential_activations_swapped", "sequential_solution", LESS,
          source=sequential('keras.layers.Dense(32, activation="softmax")',
                            'keras.layers.Dense(10, activation="relu")'),
          names=r"relu|softmax",
          why="softmax on the hidden layer, relu on the output"),
    Entry("sequential_64_hidden_units", "sequential_solution", LESS,
          source=sequential(hidden='keras.layers.Dense(64, activation="relu")'),
          names=r"\(None, 32\)|2080",
          why="64 hidden units"),
    Entry("sequential_extra_dropout", "sequential_solution", LESS,
          source=sequential(hidden='keras.layers.Dense(32, activation="relu"),\n        '
                                   "keras.layers.Dropout(0.2)"),
          names=r"3 layer|Dropout",
          why="a Dropout layer the specification does not have"),
    Entry("sequential_image_input", "sequential_solution", LESS,
          edits=(("keras.Input(shape=(64,))", "keras.Input(shape=(8, 8))"),),
          names=r"output shape|parameters",
          why="the input as an 8x8 image: Dense then acts on each row"),
    Entry("sequential_written_functional", "sequential_solution", LESS,
          source=functional().replace("build_functional", "build_sequential"),
          names=r"[Ss]equential",
          why="a Functional model where a Sequential one is asked for"),
    # valid alternatives
    Entry("sequential_with_add", "sequential_solution", FULL,
          source='''\
def build_sequential():
    model = keras.Sequential()
    model.add(keras.Input(shape=(64,)))
    model.add(keras.layers.Dense(32, activation="relu"))
    model.add(keras.layers.Dense(10, activation="softmax"))
    return model
''',
          why="Sequential().add(...)"),
    Entry("sequential_named_layers", "sequential_solution", FULL,
          source='''\
def build_sequential():
    layers = [
        keras.Input((64,)),
        keras.layers.Dense(units=32, activation="relu", name="hidden"),
        keras.layers.Dense(units=10, activation="softmax", name="probabilities"),
    ]
    return keras.Sequential(layers, name="digits_mlp")
''',
          why="named model and layers, positional shape"),
    Entry("sequential_activation_functions", "sequential_solution", FULL,
          source=sequential("keras.layers.Dense(32, activation=keras.activations.relu)",
                            "keras.layers.Dense(10, activation=keras.activations.softmax)"),
          why="activation functions instead of their names"),
]

# ------------------------------------------------------------------------------ Functional

_FUNCTIONAL_ENTRIES = [
    Entry("functional_written_sequential", "functional_solution", LESS,
          source=sequential().replace("build_sequential", "build_functional"),
          names=r"[Ff]unctional",
          why="a Sequential model where a Functional one is asked for"),
    Entry("functional_outputs_hidden", "functional_solution", LESS,
          source='''\
def build_functional():
    inputs = keras.Input(shape=(64,))
    hidden = keras.layers.Dense(32, activation="relu")(inputs)
    outputs = keras.layers.Dense(10, activation="softmax")(hidden)
    return keras.Model(inputs=inputs, outputs=hidden)
''',
          names=r"1 layer",
          why="returns the hidden layer as the model's output"),
    Entry("functional_layers_not_chained", "functional_solution", LESS,
          source='''\
def build_functional():
    inputs = keras.Input(shape=(64,))
    hidden = keras.layers.Dense(32, activation="relu")(inputs)
    outputs = keras.layers.Dense(10, activation="softmax")(inputs)
    return keras.Model(inputs=inputs, outputs=outputs)
''',
          names=r"1 layer",
          why="both layers applied to the inputs: the hidden layer is not in the graph"),
    Entry("functional_hidden_without_activation", "functional_solution", LESS,
          source=functional(hidden="keras.layers.Dense(32)"),
          names=r"relu",
          why="the hidden layer is linear"),
    Entry("functional_without_softmax", "functional_solution", LESS,
          source=functional(output="keras.layers.Dense(10)"),
          names=r"softmax",
          why="the output layer gives scores"),
    Entry("functional_units_swapped", "functional_solution", LESS,
          source=functional('keras.layers.Dense(10, activation="relu")',
                            'keras.layers.Dense(32, activation="softmax")'),
          names=r"output shape|parameters",
          why="10 hidden units and 32 outputs"),
    # valid alternatives
    Entry("functional_positional_model", "functional_solution", FULL,
          source='''\
def build_functional():
    inputs = keras.Input((64,), name="pixels")
    hidden_layer = keras.layers.Dense(32, activation="relu", name="hidden")
    output_layer = keras.layers.Dense(10, activation="softmax", name="probabilities")
    return keras.Model(inputs, output_layer(hidden_layer(inputs)), name="digits_mlp")
''',
          why="layers made first and called nested; positional Model arguments; names"),
]

# ------------------------------------------------------------------------------ Subclassed

_SUBCLASSED_ENTRIES = [
    Entry("subclassed_hidden_units_ignored", "subclassed_solution", LESS,
          edits=(("keras.layers.Dense(hidden_units, activation=",
                  "keras.layers.Dense(32, activation="),),
          names=r"1040|hidden_units",
          why="hard-codes 32 hidden units, ignoring hidden_units"),
    Entry("subclassed_super_init_forgotten", "subclassed_solution", LESS,
          edits=(("        super().__init__(**kwargs)\n", ""),),
          names=r"super\(\)\.__init__",
          why="never calls super().__init__"),
    Entry("subclassed_super_init_without_kwargs", "subclassed_solution", LESS,
          edits=(("super().__init__(**kwargs)", "super().__init__()"),),
          names=r"\*\*kwargs|name",
          why="drops name and the other keyword arguments"),
    Entry("subclassed_hidden_skipped_in_call", "subclassed_solution", LESS,
          edits=(("return self.classifier(self.hidden(inputs))",
                  "return self.classifier(inputs)"),),
          names=r"hidden|0 parameters|not built",
          why="call() never uses the hidden layer"),
    Entry("subclassed_layers_in_call", "subclassed_solution", LESS,
          source='''\
class DigitClassifier(keras.Model):
    def __init__(self, hidden_units=32, **kwargs):
        super().__init__(**kwargs)
        self.hidden_units = hidden_units

    def call(self, inputs):
        x = keras.layers.Dense(self.hidden_units, activation="relu")(inputs)
        return keras.layers.Dense(10, activation="softmax")(x)
''',
          names=r"__init__|0 layer",
          why="new layers made at every call: nothing is trained or saved"),
    Entry("subclassed_layers_created_in_wrong_order", "subclassed_solution", LESS,
          source='''\
class DigitClassifier(keras.Model):
    def __init__(self, hidden_units=32, **kwargs):
        super().__init__(**kwargs)
        self.classifier = keras.layers.Dense(10, activation="softmax")
        self.hidden = keras.layers.Dense(hidden_units, activation="relu")

    def call(self, inputs):
        return self.classifier(self.hidden(inputs))
''',
          names=r"parameters|order",
          why="classifier created before hidden: the model lists its layers in that order"),
    Entry("subclassed_hidden_without_activation", "subclassed_solution", LESS,
          edits=(('keras.layers.Dense(hidden_units, activation="relu")',
                  "keras.layers.Dense(hidden_units)"),),
          names=r"relu",
          why="the hidden layer is linear"),
    Entry("subclassed_without_softmax", "subclassed_solution", LESS,
          edits=(('keras.layers.Dense(10, activation="softmax")', "keras.layers.Dense(10)"),),
          names=r"softmax",
          why="the output layer gives scores"),
    Entry("subclassed_without_call", "subclassed_solution", LESS,
          source='''\
class DigitClassifier(keras.Model):
    def __init__(self, hidden_units=32, **kwargs):
        super().__init__(**kwargs)
        self.hidden = keras.layers.Dense(hidden_units, activation="relu")
        self.classifier = keras.layers.Dense(10, activation="softmax")
''',
          names=r"call",
          why="no call(): the model does not know its forward pass"),
    # valid alternatives
    Entry("subclassed_training_argument", "subclassed_solution", FULL,
          source='''\
class DigitClassifier(keras.Model):
    """Two Dense layers; call takes the usual training flag."""

    def __init__(self, hidden_units=32, **kwargs):
        super().__init__(**kwargs)
        self.hidden = keras.layers.Dense(hidden_units, activation="relu")
        self.classifier = keras.layers.Dense(10, activation="softmax")

    def call(self, inputs, training=None):
        h = self.hidden(inputs, training=training)
        return self.classifier(h, training=training)
''',
          why="call(inputs, training=None) passing the flag on"),
    Entry("subclassed_activation_functions", "subclassed_solution", FULL,
          edits=(('activation="relu"', "activation=keras.activations.relu"),
                 ('activation="softmax"', "activation=keras.activations.softmax")),
          why="activation functions instead of names"),
]

# -------------------------------------------------------------------------- compile and fit

_FIT_ENTRIES = [
    Entry("fit_without_validation", "fit_solution", LESS,
          source=fit(fit="epochs=epochs, batch_size=32, verbose=0"),
          names=r"val_loss|validation",
          why="no validation_data: no val_loss nor val_accuracy"),
    Entry("fit_without_metrics", "fit_solution", LESS,
          source=fit(metrics="[]"),
          names=r"'accuracy'|metric",
          why="no accuracy metric"),
    Entry("fit_categorical_loss", "fit_solution", LESS,
          source=fit(loss='"categorical_crossentropy"'),
          names=r"sparse_categorical_crossentropy",
          why="categorical_crossentropy on integer labels"),
    Entry("fit_mse_loss", "fit_solution", LESS,
          source=fit(loss='"mse"'),
          names=r"sparse_categorical_crossentropy|loss",
          why="mean squared error on integer labels"),
    Entry("fit_adam_default_learning_rate", "fit_solution", LESS,
          source=fit(optimizer='"adam"'),
          names=r"learning.rate|0\.01|1e-2",
          why="Adam's default learning rate 1e-3 instead of 1e-2"),
    Entry("fit_learning_rate_too_high", "fit_solution", LESS,
          source=fit(optimizer="keras.optimizers.Adam(learning_rate=1.0)"),
          names=r"learning.rate|diverge",
          why="learning rate 1.0"),
    Entry("fit_sgd", "fit_solution", LESS,
          source=fit(optimizer="keras.optimizers.SGD(learning_rate=1e-2)"),
          names=r"Adam|optimi[sz]er",
          why="SGD instead of Adam"),
    Entry("fit_optimizer_dropped", "fit_solution", LESS,
          source='''\
def compile_and_fit(model, dataset, epochs):
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model.fit(dataset.train.x, dataset.train.y,
                     validation_data=(dataset.validation.x, dataset.validation.y),
                     epochs=epochs, batch_size=32, verbose=0)
''',
          names=r"Adam|optimi[sz]er|learning.rate",
          why="no optimizer argument (Keras' default is RMSprop at 1e-3)"),
    Entry("fit_epochs_hard_coded", "fit_solution", LESS,
          source=fit(fit=f"{_VALIDATION}, epochs=15, batch_size=32, verbose=0"),
          names=r"epoch",
          why="always 15 epochs, whatever epochs says"),
    Entry("fit_history_not_returned", "fit_solution", LESS,
          source='''\
def compile_and_fit(model, dataset, epochs):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-2),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(dataset.train.x, dataset.train.y,
              validation_data=(dataset.validation.x, dataset.validation.y),
              epochs=epochs, batch_size=32, verbose=0)
''',
          names=r"History",
          why="fits but returns nothing"),
    Entry("fit_returns_model", "fit_solution", LESS,
          source='''\
def compile_and_fit(model, dataset, epochs):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-2),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(dataset.train.x, dataset.train.y,
              validation_data=(dataset.validation.x, dataset.validation.y),
              epochs=epochs, batch_size=32, verbose=0)
    return model
''',
          names=r"History",
          why="returns the model instead of the History"),
    Entry("fit_not_compiled", "fit_solution", LESS,
          source='''\
def compile_and_fit(model, dataset, epochs):
    return model.fit(dataset.train.x, dataset.train.y,
                     validation_data=(dataset.validation.x, dataset.validation.y),
                     epochs=epochs, batch_size=32, verbose=0)
''',
          names=r"compile",
          why="fit without compile"),
    Entry("fit_validation_split", "fit_solution", LESS,
          source=fit(fit="validation_split=0.15, epochs=epochs, batch_size=32, verbose=0"),
          names=r"validation",
          why="carves validation data out of the training set instead of dataset.validation"),
    Entry("fit_trains_on_test_data", "fit_solution", LESS,
          source='''\
def compile_and_fit(model, dataset, epochs):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-2),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model.fit(dataset.test.x, dataset.test.y,
                     validation_data=(dataset.validation.x, dataset.validation.y),
                     epochs=epochs, batch_size=32, verbose=0)
''',
          names=r"train|test",
          why="trains on the test set"),
    # valid alternatives
    Entry("fit_default_batch_size_and_tuples", "fit_solution", FULL,
          source='''\
def compile_and_fit(model, dataset, epochs):
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=["accuracy"],
    )
    x_train, y_train = dataset.train
    x_val, y_val = dataset.validation
    return model.fit(x_train, y_train, epochs=epochs, validation_data=(x_val, y_val),
                     verbose=0)
''',
          why="unpacked splits, positional learning rate, loss object, default batch size 32"),
    Entry("fit_shuffle_written_out", "fit_solution", FULL,
          source=fit(fit=f"{_VALIDATION}, epochs=epochs, batch_size=32, verbose=0, "
                         "shuffle=True"),
          why="shuffle=True written out (the default)"),
]

# --------------------------------------------------------------------------- save and load

_SAVE_ENTRIES = [
    Entry("save_returns_original_model", "save_solution", LESS,
          source='''\
def save_and_reload(model, path):
    model.save(path)
    keras.saving.load_model(path)
    return model
''',
          names=r"same (model|object)|load_model|loaded",
          why="loads the file but returns the model it saved"),
    Entry("save_never_saves", "save_solution", LESS,
          source='''\
def save_and_reload(model, path):
    return keras.saving.load_model(path)
''',
          names=r"not found|no file|model\.save",
          why="loads a file it never wrote"),
    Entry("save_loads_nothing", "save_solution", LESS,
          source='''\
def save_and_reload(model, path):
    model.save(path)
''',
          names=r"NoneType|return",
          why="saves and returns nothing"),
    Entry("save_weights_into_a_clone", "save_solution", LESS,
          source='''\
def save_and_reload(model, path):
    weights = path.with_suffix(".weights.h5")
    model.save_weights(weights)
    clone = keras.models.clone_model(model)
    clone.load_weights(weights)
    return clone
''',
          names=r"no file|model\.save",
          why="saves only the weights, not the .keras file"),
    Entry("save_clone_without_weights", "save_solution", LESS,
          source='''\
def save_and_reload(model, path):
    model.save(path)
    return keras.models.clone_model(model)
''',
          names=r"predict|load_model",
          why="returns a clone with fresh weights instead of the loaded model"),
    Entry("save_to_another_file", "save_solution", LESS,
          source='''\
def save_and_reload(model, path):
    model.save("my_model.keras")
    return keras.saving.load_model("my_model.keras")
''',
          names=r"no file|path",
          why="saves to a fixed file name instead of `path`"),
    # valid alternatives
    Entry("save_with_save_model_and_str_path", "save_solution", FULL,
          source='''\
def save_and_reload(model, path):
    keras.saving.save_model(model, str(path))
    return keras.models.load_model(str(path))
''',
          why="keras.saving.save_model and keras.models.load_model, path as a string"),
]

ENTRIES: list[Entry] = (_SEQUENTIAL_ENTRIES + _FUNCTIONAL_ENTRIES + _SUBCLASSED_ENTRIES
                        + _FIT_ENTRIES + _SAVE_ENTRIES)
