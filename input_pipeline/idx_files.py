"""Readers for the IDX format of MNIST and Fashion-MNIST (LeCun et al., yann.lecun.com/exdb/mnist)."""

import gzip
import os

import numpy as np

IDX_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str) -> np.ndarray:
    """Reads one (optionally gzipped) IDX file into an array; a damaged file is a clear error naming it."""
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise ValueError(f"Cannot read IDX file {path}: {e}") from e
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number {data[:4].hex()}).")
    dtype, ndim = np.dtype(_IDX_DTYPES[data[2]]), data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    offset = 4 + 4 * ndim
    expected = offset + int(np.prod(shape)) * dtype.itemsize
    if len(data) != expected:
        raise ValueError(f"{path} is truncated or corrupt: {len(data)} bytes, expected {expected}.")
    return np.frombuffer(data, dtype, offset=offset).reshape(shape)


def load_split(directory: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    """(images in [0, 1] float32 (N, 28, 28), labels int32 (N,)) of one split in `directory`."""
    image_file, label_file = IDX_FILES[split]
    images = read_idx(os.path.join(directory, image_file))
    labels = read_idx(os.path.join(directory, label_file))
    if len(images) != len(labels):
        raise ValueError(f"{directory}: {len(images)} {split} images but {len(labels)} labels.")
    return images.astype(np.float32) / 255.0, labels.astype(np.int32)


def has_idx_files(directory: str) -> bool:
    return all(os.path.exists(os.path.join(directory, f)) for pair in IDX_FILES.values() for f in pair)
