"""The stochastic layer family (checks/stochastic.py): Dropout and GaussianNoise.

Masks and noise are the student's own draws, so nothing here compares them
exactly: the built-in compared with itself passes, correct re-implementations
with other conventions pass, and each faulty variant fails with a message
naming its mistake. Runs on the tensorflow and jax backends (KERAS_BACKEND).
"""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest

from kcourse import checks
from kcourse.checks import stochastic
from kcourse.checks.layers import collect_layer, layer_case, make_probe

ops = keras.ops


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


# ----------------------------------------------------------------- the corpus: Dropout


class StudentDropout(keras.layers.Layer):
    """A correct Dropout: keep where uniform >= rate, scale the kept units by 1 / (1 - rate)."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate, self.seed = rate, seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def keep_mask(self, inputs):
        return keras.random.uniform(ops.shape(inputs), seed=self.seed_generator) >= self.rate

    def call(self, inputs, training=False):
        if not training:
            return inputs
        return ops.where(self.keep_mask(inputs), inputs / (1 - self.rate), 0.0)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class KeepsBelowDropout(StudentDropout):
    """Also correct: the other side of the draw keeps a unit, and the mask multiplies."""

    def keep_mask(self, inputs):
        return keras.random.uniform(ops.shape(inputs), seed=self.seed_generator) < 1 - self.rate

    def call(self, inputs, training=False):
        if not training:
            return inputs
        mask = ops.cast(self.keep_mask(inputs), inputs.dtype)
        return inputs * mask / (1 - self.rate)


class BinomialDropout(StudentDropout):
    """Also correct: the mask from keras.random.binomial with keep probability 1 - rate."""

    def keep_mask(self, inputs):
        draws = keras.random.binomial(ops.shape(inputs), counts=1, probabilities=1 - self.rate,
                                      seed=self.seed_generator)
        return draws > 0.5


class DropoutUnscaled(StudentDropout):
    def call(self, inputs, training=False):
        if not training:
            return inputs
        return ops.where(self.keep_mask(inputs), inputs, 0.0)


class DropoutAtInference(StudentDropout):
    def call(self, inputs, training=False):
        return ops.where(self.keep_mask(inputs), inputs / (1 - self.rate), 0.0)


class RateAsKeepProbability(StudentDropout):
    """Keeps a unit with probability rate (and scales the kept ones correctly)."""

    def keep_mask(self, inputs):
        return keras.random.uniform(ops.shape(inputs), seed=self.seed_generator) < self.rate


class RateAsKeepProbabilityScaled(RateAsKeepProbability):
    """Keeps a unit with probability rate and scales it by 1 / rate."""

    def call(self, inputs, training=False):
        if not training:
            return inputs
        return ops.where(self.keep_mask(inputs), inputs / self.rate, 0.0)


class ScalesAtInference(StudentDropout):
    """The old, non-inverted dropout: unscaled in training, times (1 - rate) at inference."""

    def call(self, inputs, training=False):
        if not training:
            return inputs * (1 - self.rate)
        return ops.where(self.keep_mask(inputs), inputs, 0.0)


class FixedSeedDropout(StudentDropout):
    """Draws with a fixed integer seed: the same mask on every call."""

    def keep_mask(self, inputs):
        return keras.random.uniform(ops.shape(inputs), seed=42) >= self.rate


class NeverDrops(StudentDropout):
    def call(self, inputs, training=False):
        return inputs / (1 - self.rate) if training else inputs


class MaskBlocksGradient(StudentDropout):
    """Right values, but the gradient goes straight through as if nothing were dropped."""

    def call(self, inputs, training=False):
        if not training:
            return inputs
        dropped = ops.where(self.keep_mask(inputs), inputs / (1 - self.rate), 0.0)
        return inputs + ops.stop_gradient(dropped - inputs)


class ConfigWithoutRate(StudentDropout):
    def get_config(self):
        return {**keras.layers.Layer.get_config(self), "seed": self.seed}


class RejectsRate(StudentDropout):
    """A get_config that stores the keep probability under the name 'rate'."""

    def get_config(self):
        return {**super().get_config(), "rate": 1 - self.rate}

    @classmethod
    def from_config(cls, config):
        return cls(**{**config, "rate": 1 - config["rate"]})


# ----------------------------------------------------------- the corpus: GaussianNoise


class StudentGaussianNoise(keras.layers.Layer):
    """A correct GaussianNoise: x + N(0, stddev**2) in training, x at inference."""

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.stddev, self.seed = stddev, seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def noise(self, inputs, stddev=None):
        return keras.random.normal(ops.shape(inputs), stddev=stddev or self.stddev,
                                   seed=self.seed_generator)

    def call(self, inputs, training=False):
        return inputs + self.noise(inputs) if training else inputs

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class NoiseAtInference(StudentGaussianNoise):
    def call(self, inputs, training=False):
        return inputs + self.noise(inputs)


class StddevAsVariance(StudentGaussianNoise):
    def call(self, inputs, training=False):
        return inputs + self.noise(inputs, math.sqrt(self.stddev)) if training else inputs


class MultipliedNoise(StudentGaussianNoise):
    def call(self, inputs, training=False):
        return inputs + inputs * self.noise(inputs) if training else inputs


class UniformNoise(StudentGaussianNoise):
    """Noise in [0, 2 * stddev): not centred."""

    def call(self, inputs, training=False):
        if not training:
            return inputs
        return inputs + keras.random.uniform(ops.shape(inputs), maxval=2 * self.stddev,
                                             seed=self.seed_generator)


class FixedSeedNoise(StudentGaussianNoise):
    def noise(self, inputs, stddev=None):
        return keras.random.normal(ops.shape(inputs), stddev=self.stddev, seed=3)


# ------------------------------------------------------------------------ the built-in


@pytest.mark.parametrize(
    ("make", "input_shape", "keys"),
    [
        (lambda: keras.layers.Dropout(0.3), (8, 5), ("rate",)),
        (lambda: keras.layers.GaussianNoise(0.5), (8, 5), ("stddev",)),
        (lambda: keras.layers.Dropout(0.5, noise_shape=(None, 1, 5)), (8, 3, 5), ("rate",)),
        (lambda: keras.layers.SpatialDropout1D(0.2), (8, 3, 5), ("rate",)),
        (lambda: keras.layers.GaussianDropout(0.2), (8, 5), ("rate",)),
    ],
    ids=["dropout", "gaussian-noise", "noise-shape", "spatial-1d", "gaussian-dropout"],
)
def test_builtin_against_itself(make, input_shape, keys):
    built = make()
    built.build(input_shape)
    assert checks.family_of(built) == "stochastic"
    verified = checks.compare_layers(make(), make(), input_shape, builtin_forbidden=False,
                                     config_keys=keys)
    assert f"inference returns the input {input_shape} float32" in verified
    assert "gradient w.r.t. the input in inference and training" in verified
    assert any(v.startswith("get_config/from_config round trip") for v in verified)


def test_an_unknown_stochastic_layer_is_a_usage_error():
    with pytest.raises(checks.CheckUsageError, match=r"no statistical check for "
                                                      r"keras\.layers\.AlphaDropout"):
        checks.compare_layers(keras.layers.AlphaDropout(0.2), keras.layers.AlphaDropout(0.2),
                              (8, 5), builtin_forbidden=False)


# ------------------------------------------------------------------------ correct layers


@pytest.mark.parametrize(
    ("student", "input_shape"),
    [
        (StudentDropout(0.3), (8, 5)),
        (StudentDropout(0.7, seed=5), (4, 3, 5)),
        (KeepsBelowDropout(0.3), (8, 5)),
        (BinomialDropout(0.4), (8, 5)),
    ],
    ids=["dropout", "dropout-3d", "keeps-below", "binomial"],
)
def test_correct_dropout_passes(student, input_shape, capsys):
    checks.check_layer(student, keras.layers.Dropout(student.rate), input_shape,
                       config_keys=("rate",))
    out = capsys.readouterr().out
    assert out.startswith(f"\u2714 {type(student).__name__} matches keras.layers.Dropout: ")
    assert f"(rate {student.rate:g} \u00b1 0.0" in out
    assert "training values 0 or x / (1 - rate); a new mask each call" in out
    assert "round trip (rate)" in out


def test_correct_gaussian_noise_passes(capsys):
    checks.check_layer(StudentGaussianNoise(0.3), keras.layers.GaussianNoise(0.3), (8, 5),
                       config_keys=("stddev",))
    out = capsys.readouterr().out
    assert out.startswith("\u2714 StudentGaussianNoise matches keras.layers.GaussianNoise: ")
    assert "(stddev 0.3) over 20000 draws; new noise each call" in out


def test_the_large_input_is_shared_and_never_near_zero():
    case = {"input_shape": [8, 5], "inputs": None, "options": {},
            "reference": keras.layers.serialize(keras.layers.Dropout(0.3))}
    first = stochastic.large_input(make_probe(case, 3))
    np.testing.assert_array_equal(first, stochastic.large_input(make_probe(case, 3)))
    assert first.size >= stochastic.MIN_DRAWS and first.shape[1:] == (5,)
    assert np.abs(first).min() >= 0.5


def test_bounds_are_below_the_stated_false_failure_probability():
    n, delta = 20_000, stochastic.FALSE_FAILURE
    t = stochastic.hoeffding_margin(n)
    assert math.isclose(2 * math.exp(-2 * n * t * t), delta)
    m = stochastic.gaussian_mean_margin(n)
    assert math.isclose(2 * math.exp(-n * m * m / 2), delta)
    lo, hi = stochastic.chi_square_range(n)
    L = math.log(2 / delta)
    assert math.isclose(math.exp(-(((n - lo) / 2) ** 2) / n), delta / 2)
    assert math.isclose(hi, n + 2 * math.sqrt(n * L) + 2 * L)
    # and they are tight enough to tell a rate from a neighbouring one
    assert t < 0.025 and m < 0.05 and hi / n < 1.06


# ------------------------------------------------------------------------------ mistakes


DROPOUT_MISTAKES = [
    (DropoutUnscaled(0.3), r"Likely mistake: the kept values equal x: the kept units were not "
                           r"scaled by 1 / \(1 - rate\)"),
    (DropoutAtInference(0.3), r"training=False\) does not match Keras(.|\n)*Likely mistake: "
                              r"dropout was applied at inference"),
    (RateAsKeepProbability(0.3), r"dropped a fraction 0\.[67]\d* of 20000 units; with rate=0\.3 "
                                 r"it should be within 0\.3 \u00b1 0\.02(.|\n)*Likely "
                                 r"mistake: .*rate was used as the probability of keeping"),
    (RateAsKeepProbabilityScaled(0.3), r"rate was used as the probability of keeping"),
    (ScalesAtInference(0.3), r"Likely mistake: the output at inference is x \* \(1 - rate\): "
                             r"that is the old, non-inverted dropout"),
    (FixedSeedDropout(0.3), r"dropped exactly the same units in two training calls"),
    (NeverDrops(0.3), r"Likely mistake: no unit was dropped in training"),
    (MaskBlocksGradient(0.3), r"the gradient with respect to the input \(training\) does not "
                              r"match the scale of the same call"),
    (ConfigWithoutRate(0.3), r"get_config\(\) has no 'rate' entry"),
    (RejectsRate(0.3), r"get_config\(\)\['rate'\] is 0\.7; Keras stores 0\.3"),
]


@pytest.mark.parametrize(("student", "match"), DROPOUT_MISTAKES,
                         ids=[type(s).__name__ for s, _ in DROPOUT_MISTAKES])
def test_dropout_mistake_is_named(student, match, capsys):
    with pytest.raises(checks.CheckFailure, match=match):
        checks.check_layer(student, keras.layers.Dropout(student.rate), (8, 5),
                           config_keys=("rate",))
    assert capsys.readouterr().out == ""


NOISE_MISTAKES = [
    (NoiseAtInference(0.3), r"training=False\) does not match Keras(.|\n)*Likely mistake: "
                            r"noise was added at inference"),
    (StddevAsVariance(0.3), r"does not look like N\(0, 0\.3\*\*2\): its root mean square is "
                            r"(.|\n)*Likely mistake: .*stddev was used as the variance"),
    (MultipliedNoise(0.3), r"Likely mistake: the noise grows with \|x\|"),
    (UniformNoise(0.3), r"does not look like N\(0, 0\.3\*\*2\)"),
    (FixedSeedNoise(0.3), r"added exactly the same noise in two training calls"),
]


@pytest.mark.parametrize(("student", "match"), NOISE_MISTAKES,
                         ids=[type(s).__name__ for s, _ in NOISE_MISTAKES])
def test_gaussian_noise_mistake_is_named(student, match, capsys):
    with pytest.raises(checks.CheckFailure, match=match):
        checks.check_layer(student, keras.layers.GaussianNoise(student.stddev), (8, 5),
                           config_keys=("stddev",))
    assert capsys.readouterr().out == ""


def test_the_judge_rejects_a_doctored_payload():
    """The verdict is the judge's: a payload whose mask drops too few units fails."""
    case = layer_case(keras.layers.Dropout(0.3), (8, 5))
    payload = collect_layer(case, 0, StudentDropout(0.3))
    out = payload["training"]["output"]
    big = stochastic.large_input(make_probe(case, 0))
    payload["training"]["output"] = np.where(np.arange(out.size).reshape(out.shape) % 10 == 0,
                                             0.0, big / 0.7).astype("float32")
    with pytest.raises(checks.CheckFailure, match=r"dropped a fraction 0\.1000 of 20000"):
        checks.judge_case("layer", case, payload, 0)
