"""Gradients of a layer's output, backend by backend.

Keras 3 has no backend-neutral `gradient` op, so this module holds the one
piece of the checker that must know the backend. Each function returns the
vector-Jacobian product of `layer(x)` with a fixed cotangent `cotangent`:
the gradient of `sum(layer(x) * cotangent)` with respect to `x` and to every
trainable weight, as NumPy arrays (None where the output does not depend on
that tensor through differentiable ops).
"""

from __future__ import annotations

import inspect

import keras
import numpy as np

SUPPORTED_BACKENDS = ("tensorflow", "jax")


class UnsupportedBackend(RuntimeError):
    """Gradient checks are not available on this backend."""


def vjp(layer, x: np.ndarray, cotangent: np.ndarray, training: bool, **kwargs):
    """Return (dx, [dw for w in layer.trainable_weights]) as NumPy arrays or None.

    kwargs go to the layer's call (e.g. initial_state); the output is its first
    element when the layer returns a list (return_state=True).
    """
    backend = keras.config.backend()
    if backend == "tensorflow":
        return _vjp_tensorflow(layer, x, cotangent, training, kwargs)
    if backend == "jax":
        return _vjp_jax(layer, x, cotangent, training, kwargs)
    raise UnsupportedBackend(
        f"gradient checks support the {' and '.join(SUPPORTED_BACKENDS)} backends; "
        f"this kernel uses {backend!r}. Set KERAS_BACKEND=tensorflow before importing keras."
    )


def _to_numpy(value):
    return None if value is None else np.asarray(keras.ops.convert_to_numpy(value))


def _first(out):
    return out[0] if isinstance(out, list | tuple) else out


def _vjp_tensorflow(layer, x, cotangent, training, kwargs):
    import tensorflow as tf

    x_t = tf.convert_to_tensor(x)
    weights = list(layer.trainable_weights)
    differentiable = np.asarray(x).dtype.kind == "f"  # integer inputs (Embedding): no dx
    with tf.GradientTape() as tape:
        if differentiable:
            tape.watch(x_t)
        out = _first(layer(x_t, training=training, **kwargs))
        loss = tf.reduce_sum(tf.cast(out, tf.float32) * cotangent)
    grads = tape.gradient(loss, [x_t, *weights])
    dx = _to_numpy(grads[0]) if differentiable else None
    return dx, [_to_numpy(_dense(g)) for g in grads[1:]]


def _dense(gradient):
    """Embedding's gradient is an IndexedSlices on TensorFlow: make it a dense array."""
    import tensorflow as tf

    if isinstance(gradient, tf.IndexedSlices):
        return tf.convert_to_tensor(gradient)
    return gradient


def _vjp_jax(layer, x, cotangent, training, call_kwargs):
    import jax
    import jax.numpy as jnp

    trainable = [w.value for w in layer.trainable_variables]
    # stateless_call wants every non-trainable *variable*: BatchNorm's moving
    # statistics and also the state of seed generators (Dropout, RNN dropout).
    non_trainable = [w.value for w in layer.non_trainable_variables]

    # Layer.__call__ drops `training` for a call() without it; stateless_call does not.
    accepts_training = "training" in inspect.signature(layer.call).parameters
    kwargs = {"training": training} if accepts_training else {}
    kwargs.update(call_kwargs)

    def loss_fn(x_in, weights):
        out, _ = layer.stateless_call(weights, non_trainable, x_in, **kwargs)
        out = _first(out)
        return jnp.sum(out.astype(jnp.float32) * cotangent)

    if np.asarray(x).dtype.kind != "f":  # integer inputs (Embedding): no dx
        dws = jax.grad(lambda weights: loss_fn(jnp.asarray(x), weights))(trainable)
        return None, [_to_numpy(g) for g in dws]
    dx, dws = jax.grad(loss_fn, argnums=(0, 1))(jnp.asarray(x), trainable)
    return _to_numpy(dx), [_to_numpy(g) for g in dws]


def function_vjp(fn, args, cotangent, differentiable, kwargs=None, compile_key=None,
                 cache=None):
    """Gradients of sum(fn(*args, **kwargs) * cotangent) w.r.t. args[i], i in `differentiable`.

    args: arrays or backend tensors; returns a list with one entry per argument: a NumPy
    array for each differentiable one (None where the output does not depend on it
    through differentiable ops), None for the others. compile_key (hashable, naming fn
    and kwargs): on JAX, the backward pass is jit-compiled once per key, shapes and
    dtypes (op by op, every new shape compiles every op again), in `cache` (a dict) or,
    without one, in a cache kept for the session: only for functions that never change,
    such as Keras' own.
    """
    backend = keras.config.backend()
    kwargs = dict(kwargs or {})
    if backend == "tensorflow":
        return _function_vjp_tensorflow(fn, args, cotangent, differentiable, kwargs)
    if backend == "jax":
        return _function_vjp_jax(fn, args, cotangent, differentiable, kwargs, compile_key,
                                 _COMPILED if cache is None else cache)
    raise UnsupportedBackend(
        f"gradient checks support the {' and '.join(SUPPORTED_BACKENDS)} backends; "
        f"this kernel uses {backend!r}. Set KERAS_BACKEND=tensorflow before importing keras."
    )


def _function_vjp_tensorflow(fn, args, cotangent, differentiable, kwargs):
    import tensorflow as tf

    tensors = [tf.convert_to_tensor(a) for a in args]
    with tf.GradientTape() as tape:
        for i in differentiable:
            tape.watch(tensors[i])
        out = _first(fn(*tensors, **kwargs))
        loss = tf.reduce_sum(tf.cast(out, tf.float32) * cotangent)
    grads = tape.gradient(loss, [tensors[i] for i in differentiable])
    by_position = dict(zip(differentiable, grads, strict=True))
    return [_to_numpy(by_position.get(i)) for i in range(len(args))]


_COMPILED: dict = {}


def _function_vjp_jax(fn, args, cotangent, differentiable, kwargs, compile_key, cache):
    import jax
    import jax.numpy as jnp

    values = [jnp.asarray(a) for a in args]
    differentiable = list(differentiable)
    others = [i for i in range(len(values)) if i not in differentiable]
    count = len(differentiable)

    def loss_fn(*arrays):
        merged = [None] * len(values)
        for i, value in zip(differentiable + others, arrays[:-1], strict=True):
            merged[i] = value
        out = _first(fn(*merged, **kwargs))
        return jnp.sum(jnp.asarray(out).astype(jnp.float32) * arrays[-1])

    grad_fn = jax.grad(loss_fn, argnums=tuple(range(count)))
    if compile_key is not None:
        key = (compile_key, tuple(differentiable), len(values))
        if key not in cache:
            cache[key] = jax.jit(grad_fn)
        grad_fn = cache[key]
    grads = grad_fn(*[values[i] for i in differentiable + others], jnp.asarray(cotangent))
    by_position = dict(zip(differentiable, grads, strict=True))
    return [_to_numpy(by_position.get(i)) for i in range(len(args))]
