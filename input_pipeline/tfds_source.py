"""Named datasets from the TensorFlow Datasets catalogue, loaded whole into numpy arrays.

TensorFlow is imported here and nowhere else, so the offline small-data path never needs it.
"""

import numpy as np


def load_split(name: str, split: str, data_dir: str | None) -> tuple[np.ndarray, np.ndarray]:
    """(images in [0, 1] float32 (N, H, W) or (N, H, W, C), labels int32) of a tfds image dataset."""
    try:
        import tensorflow as tf
        import tensorflow_datasets as tfds
    except ImportError as e:
        raise ImportError(
            f"data.source='tfds' needs TensorFlow Datasets: pip install 'jax-classics[tfds]' ({e})."
        ) from e
    # JAX owns the accelerators; TensorFlow only reads files.
    tf.config.set_visible_devices([], "GPU")
    # Batches of 10,000 concatenated (batch_size=-1, one batch of all, aborts TensorFlow 2.21 on tfds mock data).
    batches = list(tfds.as_numpy(tfds.load(name, split=split, data_dir=data_dir or None).batch(10_000)))
    arrays = {key: np.concatenate([b[key] for b in batches]) for key in ("image", "label")}
    images = arrays["image"].astype(np.float32) / 255.0
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    return images, arrays["label"].astype(np.int32)
