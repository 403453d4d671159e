"""The stateful layer family (checks/stateful.py): BatchNormalization, right and wrong.

The built-in layer compared with itself passes; a correct re-implementation
written with keras.ops passes; each faulty variant below fails with a message
naming its mistake. Runs on the tensorflow and jax backends (KERAS_BACKEND).
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kcourse import checks
from kcourse.checks import stateful
from kcourse.checks.layers import make_probe

ops = keras.ops
CONFIG_KEYS = ("axis", "momentum", "epsilon", "center", "scale")


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


# ------------------------------------------------------------------ the corpus of layers


class StudentBatchNorm(keras.layers.Layer):
    """A correct re-implementation of keras.layers.BatchNormalization (no renorm, no mask)."""

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, **kwargs):
        super().__init__(**kwargs)
        self.axis, self.momentum, self.epsilon = axis, momentum, epsilon
        self.center, self.scale = center, scale

    def build(self, input_shape):
        shape = (input_shape[self.axis],)
        if self.scale:
            self.gamma = self.add_weight(shape=shape, initializer="ones", name="gamma")
        if self.center:
            self.beta = self.add_weight(shape=shape, initializer="zeros", name="beta")
        self.moving_mean = self.add_weight(
            shape=shape, initializer="zeros", name="moving_mean", trainable=False)
        self.moving_variance = self.add_weight(
            shape=shape, initializer="ones", name="moving_variance", trainable=False)

    def along_axis(self, v, x):
        shape = [1] * len(x.shape)
        shape[self.axis % len(x.shape)] = -1
        return ops.reshape(v, shape)

    def batch_moments(self, x):
        axes = [i for i in range(len(x.shape)) if i != self.axis % len(x.shape)]
        mean = ops.mean(x, axis=axes)
        variance = ops.mean(ops.square(x - self.along_axis(mean, x)), axis=axes)
        return mean, variance

    def update(self, mean, variance):
        m = self.momentum
        self.moving_mean.assign(self.moving_mean * m + mean * (1 - m))
        self.moving_variance.assign(self.moving_variance * m + variance * (1 - m))

    def statistics(self, x, training):
        if training and self.trainable:
            mean, variance = self.batch_moments(x)
            self.update(mean, variance)
            return mean, variance
        return self.moving_mean, self.moving_variance

    def normalise(self, x, mean, variance):
        y = (x - self.along_axis(mean, x)) / ops.sqrt(self.along_axis(variance, x) + self.epsilon)
        if self.scale:
            y = y * self.along_axis(self.gamma, x)
        if self.center:
            y = y + self.along_axis(self.beta, x)
        return y

    def call(self, inputs, training=None):
        return self.normalise(inputs, *self.statistics(inputs, training))

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum,
                "epsilon": self.epsilon, "center": self.center, "scale": self.scale}


class RsqrtBatchNorm(StudentBatchNorm):
    """Also correct: x * (gamma * rsqrt(var + eps)) + (beta - mean * gamma * rsqrt(var + eps)),
    with the variance as E[x^2] - E[x]^2 and the update written as old - (1 - m)(old - new)."""

    def batch_moments(self, x):
        axes = [i for i in range(len(x.shape)) if i != self.axis % len(x.shape)]
        mean = ops.mean(x, axis=axes)
        return mean, ops.mean(ops.square(x), axis=axes) - ops.square(mean)

    def update(self, mean, variance):
        m = self.momentum
        self.moving_mean.assign(self.moving_mean - (1 - m) * (self.moving_mean - mean))
        self.moving_variance.assign(
            self.moving_variance - (1 - m) * (self.moving_variance - variance))

    def normalise(self, x, mean, variance):
        factor = ops.rsqrt(variance + self.epsilon)
        if self.scale:
            factor = factor * self.gamma
        shift = -mean * factor + (self.beta if self.center else 0.0)
        return x * self.along_axis(factor, x) + self.along_axis(shift, x)


class UnbiasedVariance(StudentBatchNorm):
    def batch_moments(self, x):
        mean, variance = super().batch_moments(x)
        n = x.shape[0]
        return mean, variance * n / (n - 1)


class MomentumReversed(StudentBatchNorm):
    def update(self, mean, variance):
        m = self.momentum
        self.moving_mean.assign(mean * m + self.moving_mean * (1 - m))
        self.moving_variance.assign(variance * m + self.moving_variance * (1 - m))


class UpdatesAtInference(StudentBatchNorm):
    """Normalises with the moving statistics at inference, then updates them anyway."""

    def statistics(self, x, training):
        if training and self.trainable:
            return super().statistics(x, training)
        before = (ops.copy(self.moving_mean),
                  ops.copy(self.moving_variance))
        self.update(*self.batch_moments(x))
        return before


class BatchStatsAtInference(StudentBatchNorm):
    def statistics(self, x, training):
        mean, variance = self.batch_moments(x)
        if training:
            self.update(mean, variance)
        return mean, variance


class IgnoresTrainable(StudentBatchNorm):
    def statistics(self, x, training):
        if training:
            mean, variance = self.batch_moments(x)
            self.update(mean, variance)
            return mean, variance
        return self.moving_mean, self.moving_variance


class FrozenStillUpdates(StudentBatchNorm):
    """Normalises like inference when frozen, but still updates the moving statistics."""

    def statistics(self, x, training):
        if training:
            before = (ops.copy(self.moving_mean),
                      ops.copy(self.moving_variance))
            mean, variance = self.batch_moments(x)
            self.update(mean, variance)
            return (mean, variance) if self.trainable else before
        return self.moving_mean, self.moving_variance


class EpsilonOutsideSqrt(StudentBatchNorm):
    def normalise(self, x, mean, variance):
        y = (x - self.along_axis(mean, x)) / (ops.sqrt(self.along_axis(variance, x))
                                              + self.epsilon)
        return y * self.along_axis(self.gamma, x) + self.along_axis(self.beta, x)


class EpsilonMissing(StudentBatchNorm):
    def normalise(self, x, mean, variance):
        y = (x - self.along_axis(mean, x)) / ops.sqrt(self.along_axis(variance, x))
        return y * self.along_axis(self.gamma, x) + self.along_axis(self.beta, x)


class GammaBetaSwapped(StudentBatchNorm):
    def normalise(self, x, mean, variance):
        y = (x - self.along_axis(mean, x)) / ops.sqrt(self.along_axis(variance, x) + self.epsilon)
        return y * self.along_axis(self.beta, x) + self.along_axis(self.gamma, x)


class NoMovingUpdate(StudentBatchNorm):
    def update(self, mean, variance):
        pass


class BetaCreatedFirst(StudentBatchNorm):
    """Keras lists trainable weights in creation order: beta first breaks the layout."""

    def build(self, input_shape):
        shape = (input_shape[self.axis],)
        self.beta = self.add_weight(shape=shape, initializer="zeros", name="beta")
        self.gamma = self.add_weight(shape=shape, initializer="ones", name="gamma")
        self.moving_mean = self.add_weight(
            shape=shape, initializer="zeros", name="moving_mean", trainable=False)
        self.moving_variance = self.add_weight(
            shape=shape, initializer="ones", name="moving_variance", trainable=False)


class TrainableMovingMean(StudentBatchNorm):
    def build(self, input_shape):
        super().build(input_shape)
        self.moving_mean.trainable = True


class MovingVarianceStartsAtZero(StudentBatchNorm):
    def build(self, input_shape):
        super().build(input_shape)
        self.moving_variance.assign(ops.zeros(self.moving_variance.shape))


class StopsGradientThroughMean(StudentBatchNorm):
    def batch_moments(self, x):
        mean, variance = super().batch_moments(x)
        return ops.stop_gradient(mean), variance


class ConfigForgetsMomentum(StudentBatchNorm):
    def get_config(self):
        config = super().get_config()
        del config["momentum"]
        return config


# ------------------------------------------------------------------------------- helpers


def check_bn(student, input_shape=(8, 5), **options):
    reference = keras.layers.BatchNormalization(
        axis=student.axis, momentum=student.momentum, epsilon=student.epsilon,
        center=student.center, scale=student.scale)
    checks.check_layer(student, reference, input_shape, config_keys=CONFIG_KEYS, **options)


# ------------------------------------------------------------------------ the built-in


@pytest.mark.parametrize(
    ("make", "input_shape"),
    [
        (lambda: keras.layers.BatchNormalization(), (8, 5)),
        (lambda: keras.layers.BatchNormalization(axis=1), (4, 3, 5, 5)),
        (lambda: keras.layers.BatchNormalization(center=False, scale=False), (8, 5)),
        (lambda: keras.layers.BatchNormalization(momentum=0.5, epsilon=0.1), (6, 2, 4)),
    ],
    ids=["default", "axis1-4d", "no-center-no-scale", "momentum-epsilon"],
)
def test_builtin_against_itself(make, input_shape):
    verified = checks.compare_layers(make(), make(), input_shape, builtin_forbidden=False)
    built = make()
    built.build(input_shape)
    assert checks.family_of(built) == "stateful"
    assert any("over 3 training steps" in v for v in verified)
    assert "inference with the moving statistics, state unchanged" in verified
    assert "frozen (trainable=False) runs in inference mode" in verified
    assert "get_config/from_config round trip" in verified


# ------------------------------------------------------------------------ correct layers


@pytest.mark.parametrize(
    ("student", "input_shape"),
    [
        (StudentBatchNorm(), (8, 5)),
        (StudentBatchNorm(axis=1), (4, 3, 5, 5)),
        (StudentBatchNorm(center=False, scale=False), (8, 5)),
        (StudentBatchNorm(momentum=0.5, epsilon=0.1), (6, 2, 4)),
        (RsqrtBatchNorm(), (8, 5)),
        (RsqrtBatchNorm(momentum=0.9), (6, 2, 4)),
    ],
    ids=["default", "axis1-4d", "no-center-no-scale", "momentum-epsilon", "rsqrt",
         "rsqrt-3d"],
)
def test_correct_batchnorm_passes(student, input_shape, capsys):
    check_bn(student, input_shape, options={"steps": 2})
    out = capsys.readouterr().out
    assert out.startswith(f"\u2714 {type(student).__name__} matches "
                          "keras.layers.BatchNormalization: ")
    assert f"output {input_shape} float32 and moving_mean, moving_variance over 2 training" \
        in out
    assert "frozen (trainable=False) runs in inference mode" in out
    assert ("'gamma', 'beta'" in out) == student.scale
    assert "round trip (axis, momentum, epsilon, center, scale)" in out


def test_steps_option_sets_the_number_of_training_calls():
    verified = checks.compare_layers(StudentBatchNorm(), keras.layers.BatchNormalization(),
                                     (8, 5), options={"steps": 5})
    assert "output (8, 5) float32 and moving_mean, moving_variance over 5 training steps" \
        in verified


def test_training_steps_use_fresh_inputs_that_both_sides_share():
    case = {"input_shape": [8, 5], "inputs": None, "options": {"steps": 3},
            "reference": keras.layers.serialize(keras.layers.BatchNormalization())}
    first = stateful.step_inputs(make_probe(case, 7))
    second = stateful.step_inputs(make_probe(case, 7))
    assert len(first) == 3
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], first[1])


# ------------------------------------------------------------------------------ mistakes


MISTAKES = [
    (UnbiasedVariance(), r"Likely mistake: the batch variance was computed with Bessel's "
                         r"correction \(dividing by n - 1\)"),
    (MomentumReversed(), r"moving_mean after training step 1 does not match Keras\.(.|\n)*"
                         r"Likely mistake: the momentum is reversed"),
    (UpdatesAtInference(), r"moving_mean after an inference call \(it must not change\)(.|\n)*"
                           r"Likely mistake: the moving statistics were updated at inference"),
    (BatchStatsAtInference(), r"training=False\) after 3 training steps does not match(.|\n)*"
                              r"Likely mistake: at inference \(training=False\) the layer must "
                              r"normalise with moving_mean and moving_variance"),
    (IgnoresTrainable(), r"with trainable=False does not match Keras(.|\n)*Likely mistake: a "
                         r"frozen layer \(trainable=False\) must run in inference mode"),
    (FrozenStillUpdates(), r"moving_mean after a call with trainable=False(.|\n)*Likely "
                           r"mistake: a frozen layer \(trainable=False\) updated its moving"),
    (EpsilonOutsideSqrt(), r"Likely mistake: epsilon was added outside the square root"),
    (EpsilonMissing(), r"Likely mistake: epsilon is missing"),
    (GammaBetaSwapped(), r"Likely mistake: gamma and beta are swapped"),
    (NoMovingUpdate(), r"Likely mistake: moving_mean was not updated in training mode"),
    (BetaCreatedFirst(), r"creates its weights in the order \[beta, gamma, moving_mean, "
                         r"moving_variance\]; Keras' layout is \[gamma, beta, moving_mean, "
                         r"moving_variance\]"),
    (TrainableMovingMean(), r"weight 'moving_mean' should be non-trainable"),
    (MovingVarianceStartsAtZero(), r"the initial 'moving_variance' is not all ones"),
    (StopsGradientThroughMean(), r"the gradient with respect to the input \(training\) does "
                                 r"not match Keras"),
    (ConfigForgetsMomentum(), r"get_config\(\) has no 'momentum' entry"),
]


@pytest.mark.parametrize(("student", "match"), MISTAKES,
                         ids=[type(s).__name__ for s, _ in MISTAKES])
def test_mistake_is_named(student, match, capsys):
    with pytest.raises(checks.CheckFailure, match=match):
        check_bn(student)
    assert capsys.readouterr().out == ""


def test_mistake_on_4d_input_along_axis_1_is_named():
    with pytest.raises(checks.CheckFailure, match=r"Likely mistake: the momentum is reversed"):
        check_bn(MomentumReversed(axis=1), (4, 3, 5, 5))


def test_failure_names_the_step_and_where_the_state_differs():
    with pytest.raises(checks.CheckFailure) as caught:
        check_bn(MomentumReversed())
    message = str(caught.value)
    assert message.startswith("moving_mean after training step 1 does not match Keras.")
    assert "first mismatch at index (" in message
    assert "max abs error" in message


class MomentsBatchNorm(StudentBatchNorm):
    """Also correct: the batch statistics from keras.ops.moments (not a forbidden shortcut)."""

    def batch_moments(self, x):
        axes = [i for i in range(len(x.shape)) if i != self.axis % len(x.shape)]
        return ops.moments(x, axes=axes)


def test_batchnorm_using_keras_ops_moments_passes(capsys):
    checks.check_layer(MomentsBatchNorm(), keras.layers.BatchNormalization(), (8, 5))
    assert "\u2714 MomentsBatchNorm matches keras.layers.BatchNormalization" in \
        capsys.readouterr().out
