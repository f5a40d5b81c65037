"""Datasets too large for memory (ImageNet), streamed from TensorFlow Datasets with tf.data, one shard per process.

Each process reads its own disjoint share of every split (`tfds.split_for_jax_process`) and yields its share of
each global batch; the trainer assembles the global batch from the processes' shares
(`jax.make_array_from_process_local_data`). TensorFlow is imported here only, when a streamed dataset is used.

Training examples (Krizhevsky et al. 2012, section 4.1): the image is rescaled so that its shorter side is
`resize_size` (256), its central `resize_size` square is kept, and a random `crop_size` patch of it (224; 227 for
our AlexNet, see `models/alexnet.py`) is taken, mirrored with probability 1/2. AlexNet's PCA colour lighting runs
afterwards on the device (`augment.pca_lighting`, components estimated from streamed training images).
`standardize`: "per_channel" (default) subtracts ImageNet's per-channel mean and divides by its standard
deviation; "subtract_mean" only subtracts the mean, leaving pixels on the 0-255 scale, as AlexNet's section 2
("subtracting the mean activity over the training set from each pixel"; the per-channel mean stands in for the
paper's per-pixel mean image).

Evaluation views (`eval_views`): "center", the central `crop_size` patch of the `resize_size` square; or
"ten_crop", the paper's "ten 224x224 patches (the four corner patches and the center patch) as well as their
horizontal reflections", delivered as `batch["views"]` (batch, 10, crop, crop, 3), over which the classification
task averages the softmax outputs.

Data order is a function of (the run's seed, epoch, process) alone, and each example's crop and flip of those and
its position in the epoch, so a run resumed at step s reads exactly what an uninterrupted run reads from
step s on: the epoch's stream is rebuilt and its first (s mod steps per epoch) batches skipped unread.
"""

import dataclasses
import math
from collections.abc import Callable, Iterator

import jax
import numpy as np

from input_pipeline import augment

# The ImageNet training set's per-channel mean and standard deviation of [0, 1] pixel values (the usual figures,
# as in the torchvision and big_vision ImageNet pipelines).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
EVAL_VIEWS = ("center", "ten_crop")
STANDARDIZE = ("per_channel", "subtract_mean")
# How many training images estimate the RGB covariance of AlexNet's colour lighting.
LIGHTING_SAMPLE = 2_000


@dataclasses.dataclass
class StreamingDataset:
    """A dataset read from disk as training goes; the trainer's counterpart of `InMemoryDataset`.

    Attributes:
      num_train: training examples in the whole split (all processes).
      num_classes: number of labels.
      eval_split_names: the splits evaluated, in order.
      augment: `augment(batch, rng) -> batch`, run on the device inside the compiled step (colour lighting).
      train_batches: `train_batches(first_step, global_batch_size)` -> this process's share of every training
        batch from `first_step` on (an endless iterator of numpy dicts).
      eval_batches: `eval_batches(name, global_batch_size)` -> (this process's share of a batch, its mask) for
        every batch of split `name`; the last is padded with mask-0 examples.
      example: one training example batch ("image" (1, crop, crop, 3)), for shape-only initialisation.
    """

    num_train: int
    num_classes: int
    eval_split_names: tuple[str, ...]
    augment: Callable
    train_batches: Callable[[int, int], Iterator[dict]]
    eval_batches: Callable[[str, int], Iterator[tuple[dict, np.ndarray]]]
    example: dict

    @property
    def train(self) -> dict:
        return self.example


def _import_tf():
    try:
        import tensorflow as tf
        import tensorflow_datasets as tfds
    except ImportError as e:
        raise ImportError(f"Streamed datasets need TensorFlow Datasets: pip install 'jax-classics[tfds]' ({e}).") \
            from e
    tf.config.set_visible_devices([], "GPU")  # JAX owns the accelerators; TensorFlow only reads files
    return tf, tfds


def _local_batch_size(global_batch_size: int) -> int:
    if global_batch_size % jax.process_count():
        raise ValueError(f"The global batch of {global_batch_size} must divide over {jax.process_count()} processes.")
    return global_batch_size // jax.process_count()


def load(data_config, seed: int = 0) -> StreamingDataset:
    """A `StreamingDataset` of the tfds image classification dataset `data_config.name` (e.g. "imagenet2012",
    which tfds builds from a manual download: see README). Fields: data_dir (tfds data directory, "" = tfds's
    default), resize_size, crop_size, eval_views, standardize, eval_splits (tfds split names, e.g. ("validation",)),
    num_train (0 = the split's size from the dataset's info), shuffle_buffer, augment.pca_lighting."""
    tf, tfds = _import_tf()
    resize, crop = int(data_config.get("resize_size", 256)), int(data_config.get("crop_size", 224))
    views = data_config.get("eval_views", "center")
    if views not in EVAL_VIEWS:
        raise ValueError(f"Unknown eval_views {views!r}; choose one of {list(EVAL_VIEWS)}.")
    standardize = data_config.get("standardize") or "per_channel"
    if standardize not in STANDARDIZE:
        raise ValueError(f"Unknown standardize {standardize!r} for a streamed dataset; choose one of "
                         f"{list(STANDARDIZE)}.")
    if not 0 < crop <= resize:
        raise ValueError(f"crop_size={crop} must be positive and at most resize_size={resize}.")
    builder = tfds.builder(data_config["name"], data_dir=data_config.get("data_dir") or None)
    num_train = int(data_config.get("num_train", 0)) or _split_size(builder, "train")
    num_classes = builder.info.features["label"].num_classes
    buffer = int(data_config.get("shuffle_buffer", 10_000))
    mean = tf.constant(IMAGENET_MEAN) * 255.0
    std = tf.constant(IMAGENET_STD) * 255.0 if standardize == "per_channel" else tf.ones(3)

    def square(image):
        """The central resize x resize square after rescaling the shorter side to `resize`."""
        shape = tf.cast(tf.shape(image)[:2], tf.float32)
        scale = resize / tf.reduce_min(shape)
        size = tf.cast(tf.math.ceil(shape * scale), tf.int32)
        image = tf.image.resize(image, size, method="bilinear", antialias=True)
        top, left = (size[0] - resize) // 2, (size[1] - resize) // 2
        return tf.image.crop_to_bounding_box(image, top, left, resize, resize)

    def standardized(image):
        return (image - mean) / std

    def train_example(example_seed, example):
        seed = tf.cast(example_seed, tf.int32)
        offsets = tf.random.stateless_uniform([2], seed=seed, minval=0, maxval=resize - crop + 1, dtype=tf.int32)
        patch = tf.slice(square(example["image"]), [offsets[0], offsets[1], 0], [crop, crop, 3])
        flip = tf.random.stateless_uniform([], seed=seed + [0, 1]) < 0.5
        patch = tf.cond(flip, lambda: tf.reverse(patch, [1]), lambda: patch)
        return {"image": standardized(patch), "label": tf.cast(example["label"], tf.int32)}

    def eval_example(example):
        image = standardized(square(example["image"]))
        label = tf.cast(example["label"], tf.int32)
        start = (resize - crop) // 2
        center = image[start:start + crop, start:start + crop]
        if views == "center":
            return {"image": center, "label": label}
        far = resize - crop
        corners = [image[y:y + crop, x:x + crop] for y, x in ((0, 0), (0, far), (far, 0), (far, far))]
        patches = tf.stack([*corners, center])
        return {"views": tf.concat([patches, tf.reverse(patches, [2])], axis=0), "label": label}

    def process_split(split: str):
        return tfds.split_for_jax_process(split, process_index=jax.process_index(),
                                          process_count=jax.process_count())

    def train_batches(first_step: int, global_batch_size: int) -> Iterator[dict]:
        local = _local_batch_size(global_batch_size)
        steps_per_epoch = num_train // global_batch_size
        if steps_per_epoch == 0:
            raise ValueError(f"batch_size={global_batch_size} exceeds the {num_train} training examples.")
        epoch, skip = divmod(first_step, steps_per_epoch)
        while True:
            # One seed per (run seed, epoch, process): the order of files, of examples and each example's crop.
            epoch_seed = (seed * 1_000_003 + epoch * jax.process_count() + jax.process_index()) % 2**31
            ds = builder.as_dataset(split=process_split("train"), shuffle_files=True,
                                    read_config=tfds.ReadConfig(shuffle_seed=epoch_seed))
            ds = ds.shuffle(buffer, seed=epoch_seed, reshuffle_each_iteration=False)
            example_seeds = tf.data.Dataset.range(steps_per_epoch * local).map(
                lambda i, s=epoch_seed: tf.stack([tf.constant(s, tf.int64), i]))
            ds = tf.data.Dataset.zip((example_seeds, ds)).skip(skip * local)
            ds = ds.map(train_example, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
            ds = ds.batch(local, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
            delivered = 0
            for batch in tfds.as_numpy(ds):
                delivered += 1
                yield batch
            if delivered < steps_per_epoch - skip:
                raise ValueError(f"{data_config['name']}'s training split gave this process {delivered + skip} "
                                 f"batches of {local} in epoch {epoch}, not {steps_per_epoch}: it holds fewer "
                                 f"than num_train={num_train} examples.")
            epoch, skip = epoch + 1, 0

    def eval_batches(name: str, global_batch_size: int) -> Iterator[tuple[dict, np.ndarray]]:
        local = _local_batch_size(global_batch_size)
        ds = builder.as_dataset(split=process_split(name), shuffle_files=False)
        # Every process must take part in every compiled evaluation: all run as many batches as the process with
        # the most examples (even splits differ by at most one example), the short ones padding with mask 0.
        size = _known_split_size(builder, name)
        if size:
            count = math.ceil(math.ceil(size / jax.process_count()) / local)
        else:  # the dataset does not say (tfds mock data): count this process's examples, then agree
            count = _max_over_processes(math.ceil(int(ds.reduce(0, lambda n, _: n + 1)) / local))
        ds = ds.map(eval_example, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).batch(local)
        batches, template = _padded(tfds.as_numpy(ds.prefetch(tf.data.AUTOTUNE)), local), None
        for _ in range(count):
            batch = next(batches, None)
            if batch is None:
                yield jax.tree.map(np.zeros_like, template), np.zeros(local, np.float32)
            else:
                template = batch[0]
                yield batch

    unknown = sorted(set(data_config.get("augment", {})) - {"pca_lighting"})
    if unknown:
        raise ValueError(f"Streamed datasets crop and flip as they read (section 4.1); of data.augment only "
                         f"pca_lighting applies, not {unknown}.")
    # The first training images (this process's) give the initialisation's shapes and the lighting's components.
    sample_batch = max(1, min(LIGHTING_SAMPLE, num_train // jax.process_count())) * jax.process_count()
    sample = next(train_batches(0, sample_batch))
    lighting = float(data_config.get("augment", {}).get("pca_lighting", 0.0))
    device_augment = augment.identity
    if lighting > 0:
        device_augment = augment.pca_lighting(lighting, *augment.rgb_principal_components(sample["image"]))
    return StreamingDataset(num_train=num_train, num_classes=num_classes,
                            eval_split_names=tuple(data_config.get("eval_splits", ("validation",))),
                            augment=device_augment, train_batches=train_batches, eval_batches=eval_batches,
                            example={"image": sample["image"][:1], "label": sample["label"][:1]})


def _known_split_size(builder, split: str) -> int:
    """Examples in `split` as the dataset's info records them; 0 when it does not say."""
    return builder.info.splits[split].num_examples if split in builder.info.splits else 0


def _split_size(builder, split: str) -> int:
    size = _known_split_size(builder, split)
    if not size:
        raise ValueError(f"{builder.name} does not say how many {split!r} examples it has (is it prepared?); "
                         "set data.num_train.")
    return size


def _padded(batches, local: int):
    """(batch, mask) pairs, the last batch padded to `local` examples with zeros and mask 0."""
    for batch in batches:
        count = len(batch["label"])
        mask = np.zeros(local, np.float32)
        mask[:count] = 1.0
        if count < local:
            batch = {k: np.concatenate([v, np.zeros((local - count, *v.shape[1:]), v.dtype)]) for k, v in batch.items()}
        yield batch, mask


def _max_over_processes(value: int) -> int:
    if jax.process_count() == 1:
        return value
    from jax.experimental import multihost_utils

    return int(np.max(multihost_utils.process_allgather(np.array([value]))))
