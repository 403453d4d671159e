# GENERATED from solutions/00_keras_tour/00_keras_tour.py by `make build`;
# edit that file, not this one. Only the references: `python -m kcourse build --references-only`.
"""Reference solutions of "00 · A tour of Keras 3 from the outside".

The notebook's solution cells in order, without their nbgrader markers, and the
imports they use. kcourse.checks refuses components from this package.
"""

import keras

SOURCE = "solutions/00_keras_tour/00_keras_tour.py"


def build_sequential():
    """keras.Sequential: (batch, 64) -> (batch, 10) probabilities. Not compiled."""
    return keras.Sequential(
        [
            keras.Input(shape=(64,)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def build_functional():
    """Functional keras.Model: (batch, 64) -> (batch, 10) probabilities. Not compiled."""
    inputs = keras.Input(shape=(64,))
    hidden = keras.layers.Dense(32, activation="relu")(inputs)
    outputs = keras.layers.Dense(10, activation="softmax")(hidden)
    return keras.Model(inputs=inputs, outputs=outputs)


class DigitClassifier(keras.Model):
    """(batch, 64) -> (batch, 10) class probabilities, as a keras.Model subclass."""

    def __init__(self, hidden_units=32, **kwargs):
        super().__init__(**kwargs)
        self.hidden = keras.layers.Dense(hidden_units, activation="relu")
        self.classifier = keras.layers.Dense(10, activation="softmax")

    def call(self, inputs):
        return self.classifier(self.hidden(inputs))


def compile_and_fit(model, dataset, epochs):
    """Compile `model` and train it on dataset.train; return the keras.callbacks.History."""
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


def save_and_reload(model, path):
    """Save `model` to the .keras file `path`; return the model loaded from it."""
    model.save(path)
    return keras.saving.load_model(path)
