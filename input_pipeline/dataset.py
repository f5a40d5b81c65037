"""The in-memory dataset every small-data loader returns, and the host-side preprocessing applied once at load."""

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import numpy as np

Split = dict[str, np.ndarray]  # e.g. {"image": (N, H, W, C) float32, "label": (N,) int32}


def num_examples(split: Split) -> int:
    """Examples in a split (every array's first axis)."""
    return len(next(iter(split.values())))


@dataclasses.dataclass
class InMemoryDataset:
    """A small dataset held whole in (host, then device) memory.

    Attributes:
      train: the training split, batched inside the compiled step in the order `order` names.
      eval_splits: named splits evaluated whole, in order (e.g. {"test": ..., "train": ...}).
      num_classes: number of labels.
      augment: `augment(batch, rng) -> batch`, a pure jax function run inside the compiled train step.
      metadata: what a task needs beyond the arrays (translation: tokenizers and reference texts).
      order: "shuffled" (a fresh permutation of `train` each pass) or "constant" (its own order every pass).
    """

    train: Split
    eval_splits: dict[str, Split]
    num_classes: int
    augment: Callable[[dict[str, jax.Array], jax.Array], dict[str, jax.Array]]
    metadata: Any = None
    order: str = "shuffled"

    @property
    def num_train(self) -> int:
        return num_examples(self.train)


def to_pixel_range(
    images: np.ndarray, background: float, foreground: float, pad_to: int = 0
) -> np.ndarray:
    """Maps [0, 1] images (0 = background) to [background, foreground], centred in a `pad_to` square.

    LeCun et al. 1989 scale USPS to [-1, 1]; LeCun et al. 1998 (II.B) centre the 28x28 MNIST images in a 32x32
    field and map "the background level (white) to -0.1 and the foreground (black) to 1.175", which makes the
    mean roughly 0 and the variance roughly 1. uint8 images are read as value / 255. Returns (N, H, W, C) float32.
    """
    images = np.asarray(images)
    images = images.astype(np.float32) / 255.0 if images.dtype == np.uint8 else images.astype(np.float32)
    if images.ndim == 3:
        images = images[..., None]
    if pad_to:
        height, width = images.shape[1:3]
        if pad_to < max(height, width):
            raise ValueError(f"pad_to={pad_to} is smaller than the {height}x{width} images.")
        top, left = (pad_to - height) // 2, (pad_to - width) // 2
        images = np.pad(
            images, ((0, 0), (top, pad_to - height - top), (left, pad_to - width - left), (0, 0))
        )
    return background + images * (foreground - background)


STANDARDIZATIONS = ("", "per_pixel_mean", "per_channel")


def standardize(
    train: np.ndarray, others: list[np.ndarray], how: str
) -> tuple[np.ndarray, list[np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Normalises with statistics of the training images only, applied to every split; returns the normalised
    training images, the other splits and the (mean, std) applied, so x = (image - mean) / std.

    per_pixel_mean: subtract the mean training image (He et al. 2016, section 4.2: "the per-pixel mean
    subtracted"; Krizhevsky et al. 2012, section 2). per_channel: subtract the per-channel mean and divide by the
    per-channel standard deviation (the usual modern recipe).
    """
    if how not in STANDARDIZATIONS:
        raise ValueError(f"Unknown standardization {how!r}; choose one of {list(STANDARDIZATIONS)}.")
    if not how:
        return train, others, (np.float32(0.0), np.float32(1.0))
    if how == "per_pixel_mean":
        mean, std = train.mean(axis=0, dtype=np.float64), np.float64(1.0)
    else:
        channels = train.reshape(-1, train.shape[-1])
        mean = channels.mean(axis=0, dtype=np.float64)
        std = np.sqrt(np.square(channels).mean(axis=0, dtype=np.float64) - mean**2)
    mean, std = mean.astype(np.float32), std.astype(np.float32)  # float32 arithmetic on the large arrays
    apply = lambda x: (x - mean) / std  # noqa: E731
    return apply(train), [apply(x) for x in others], (mean, std)
