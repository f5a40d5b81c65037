"""CIFAR-10 from files: the numpy archive of ../shared/data/cifar10 or the "python version" pickles users download
(https://www.cs.toronto.edu/~kriz/cifar.html: cifar-10-batches-py/data_batch_1..5, test_batch).

Splits returned: "train" (50,000), "test" (10,000) and "test_exact": the test images known to be byte-exact. In the
shared archive only test images 0-999 are exact (the rest went through JPEG; see its README), which costs a
clean-trained model 6-7 points; in the original pickles every test image is exact.
"""

import os
import pickle
import zipfile
import zlib

import numpy as np

ARCHIVE = "cifar10.npz"
PICKLE_DIR = "cifar-10-batches-py"
PICKLE_SPLITS = {"train": tuple(f"data_batch_{i}" for i in range(1, 6)), "test": ("test_batch",)}
HOW_TO_GET = (
    "cifar10.npz (x_train, y_train, x_test, y_test, test_lossless) or the cifar-10-batches-py/ folder of the "
    "'CIFAR-10 python version' download"
)


def find(directory: str) -> str | None:
    """The archive or pickle folder under `directory` (itself, cifar10/ or cifar-10-batches-py/), or None."""
    for base in (directory, os.path.join(directory, "cifar10")):
        if os.path.isfile(os.path.join(base, ARCHIVE)):
            return os.path.join(base, ARCHIVE)
        for folder in (base, os.path.join(base, PICKLE_DIR)):
            if os.path.isfile(os.path.join(folder, "test_batch")) or os.path.isfile(
                os.path.join(folder, "data_batch_1")
            ):
                return folder
    return None


def load(path: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{"train", "test", "test_exact"} -> (uint8 images (N, 32, 32, 3), int32 labels)."""
    return _load_archive(path) if path.endswith(".npz") else _load_pickles(path)


def _load_archive(path: str):
    try:
        with np.load(path) as f:
            arrays = {k: f[k] for k in ("x_train", "y_train", "x_test", "y_test")}
            exact = f["test_lossless"] if "test_lossless" in f else np.ones(len(arrays["y_test"]), bool)
    except KeyError as e:
        raise ValueError(f"{path} lacks the array {e}; expected x_train, y_train, x_test, y_test.") from e
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as e:  # truncated or corrupt
        raise ValueError(f"Cannot read the CIFAR-10 archive {path}: {type(e).__name__}: {e}") from e
    splits = {s: (arrays[f"x_{s}"], arrays[f"y_{s}"].astype(np.int32)) for s in ("train", "test")}
    splits["test_exact"] = (arrays["x_test"][exact], arrays["y_test"][exact].astype(np.int32))
    return splits


def _read_batch(path: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        with open(path, "rb") as f:
            batch = pickle.load(f, encoding="bytes")
        rows, labels = np.asarray(batch[b"data"], np.uint8), np.asarray(batch[b"labels"], np.int32)
    except (OSError, EOFError, pickle.UnpicklingError, KeyError, TypeError, ValueError) as e:
        raise ValueError(f"Cannot read the CIFAR-10 batch {path}: {e}") from e
    if rows.ndim != 2 or rows.shape[1] != 3072 or len(rows) != len(labels):
        raise ValueError(f"{path}: expected data (N, 3072) and N labels, got {rows.shape} and {len(labels)}.")
    return rows.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels  # R, G, B planes -> HWC


def _load_pickles(folder: str):
    splits = {}
    for split, names in PICKLE_SPLITS.items():
        missing = [n for n in names if not os.path.isfile(os.path.join(folder, n))]
        if missing:
            raise FileNotFoundError(
                f"CIFAR-10 folder {folder} lacks the {split} split file(s) {missing}; it needs "
                f"{[n for names in PICKLE_SPLITS.values() for n in names]}."
            )
        parts = [_read_batch(os.path.join(folder, n)) for n in names]
        splits[split] = (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))
    splits["test_exact"] = splits["test"]
    return splits
