"""Plots the notebooks use. Each returns the matplotlib Figure it drew."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np


def plot_history(history, metrics: Sequence[str] = ("loss", "accuracy"), title: str = ""):
    """Training and validation curves, one panel per metric.

    history: a keras.callbacks.History (or its .history dict); a validation
    curve is drawn where "val_<metric>" was recorded.
    """
    record = getattr(history, "history", history)
    missing = [m for m in metrics if m not in record]
    if missing:
        raise KeyError(f"history has no {missing}; it has {sorted(record)}")
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.2), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        epochs = np.arange(1, len(record[metric]) + 1)
        ax.plot(epochs, record[metric], marker="o", label="training")
        if f"val_{metric}" in record:
            ax.plot(epochs, record[f"val_{metric}"], marker="s", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_images(images: np.ndarray, labels: Sequence | None = None, columns: int = 10,
                title: str = "", cmap: str = "gray_r"):
    """A grid of images. images: (n, h, w), (n, h, w, 1) or (n, h*w) with h == w."""
    images = np.asarray(images)
    if images.ndim == 2:
        side = int(round(np.sqrt(images.shape[1])))
        if side * side != images.shape[1]:
            raise ValueError(f"cannot reshape vectors of length {images.shape[1]} into squares")
        images = images.reshape(-1, side, side)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    rows = int(np.ceil(len(images) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 0.9, rows * 1.0), squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index < len(images):
            ax.imshow(images[index], cmap=cmap)
            if labels is not None:
                ax.set_title(str(labels[index]), fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_dense_kernel(kernel: np.ndarray, image_shape=(8, 8), title: str = ""):
    """Each column of a Dense kernel (input_dim, units) drawn as an image of the input.

    Positive weights red, negative blue, one shared colour scale.
    """
    kernel = np.asarray(kernel)
    units = kernel.shape[1]
    limit = float(np.abs(kernel).max()) or 1.0
    fig, axes = plt.subplots(1, units, figsize=(units * 0.95, 1.3), squeeze=False)
    for unit, ax in enumerate(axes[0]):
        ax.imshow(kernel[:, unit].reshape(image_shape), cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(f"unit {unit}", fontsize=8)
        ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
