"""Where each named small dataset's raw arrays come from: embedded files, IDX files in a data directory, or tfds."""

import dataclasses
import os
from importlib import resources

import numpy as np

from input_pipeline import cifar10_files, idx_files, tfds_source

DATA_DIR_ENV = "JAX_CLASSICS_DATA_DIR"


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    num_classes: int
    tfds_name: str
    # Sub-directories of the data directory searched for IDX files, then fixed system locations.
    idx_subdirs: tuple[str, ...] = ()
    system_dirs: tuple[str, ...] = ()
    embedded_file: str = ""
    how_to_get: str = ""


DATASETS = {
    "usps": DatasetInfo(num_classes=10, tfds_name="", embedded_file="usps.npz"),
    "mnist": DatasetInfo(
        num_classes=10, tfds_name="mnist", idx_subdirs=("mnist", "MNIST"),
        how_to_get="the four MNIST IDX .gz files (train-images-idx3-ubyte.gz, ...)",
    ),
    "cifar10": DatasetInfo(num_classes=10, tfds_name="cifar10", how_to_get=cifar10_files.HOW_TO_GET),
    "fashion_mnist": DatasetInfo(
        num_classes=10, tfds_name="fashion_mnist", idx_subdirs=("fashion_mnist", "fashion-mnist"),
        system_dirs=("/usr/share/datasets/fashion-mnist",),
        how_to_get="the four Fashion-MNIST IDX .gz files (on Debian: apt-get install dataset-fashion-mnist)",
    ),
}

SOURCES = ("files", "tfds")


def data_dir(configured: str) -> str:
    return configured or os.environ.get(DATA_DIR_ENV, "")


def _idx_directory(name: str, info: DatasetInfo, directory: str) -> str:
    candidates = [os.path.join(directory, sub) for sub in info.idx_subdirs] if directory else []
    candidates += ([directory] if directory else []) + list(info.system_dirs)
    for candidate in candidates:
        if idx_files.has_idx_files(candidate):
            return candidate
    where = ", ".join(candidates) if candidates else "nowhere (no data directory given)"
    raise FileNotFoundError(
        f"Dataset {name!r}: no IDX files found; looked in {where}. Put {info.how_to_get} in "
        f"<data_dir>/{info.idx_subdirs[0]}/ and pass --config.data.data_dir=<data_dir> or set ${DATA_DIR_ENV}; "
        f"or use --config.data.source=tfds where TensorFlow Datasets and a network are available."
    )


def load_raw(name: str, source: str, directory: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{"train": (images, labels), "test": (...), ...} for dataset `name`; images are uint8 in [0, 255] or float
    in [0, 1], (N, H, W) or (N, H, W, C). CIFAR-10 adds "test_exact" (see `cifar10_files`)."""
    if name not in DATASETS:
        raise ValueError(f"Unknown dataset {name!r}; available datasets: {sorted(DATASETS)}.")
    if source not in SOURCES:
        raise ValueError(f"Unknown data source {source!r}; choose one of {list(SOURCES)}, or 'tfds_streaming' for "
                         "a large tfds dataset read as training goes (e.g. imagenet2012).")
    info = DATASETS[name]
    if source == "tfds":
        if not info.tfds_name:
            raise ValueError(f"Dataset {name!r} has no tfds name; use data.source='files'.")
        splits = {s: tfds_source.load_split(info.tfds_name, s, directory) for s in ("train", "test")}
        if name == "cifar10":  # the catalogue's test set is the original, every image exact
            splits["test_exact"] = splits["test"]
        return splits
    if info.embedded_file:
        with resources.files("input_pipeline").joinpath("data", info.embedded_file).open("rb") as f:
            arrays = dict(np.load(f))
        return {s: (arrays[f"x_{s}"], arrays[f"y_{s}"].astype(np.int32)) for s in ("train", "test")}
    if name == "cifar10":
        path = cifar10_files.find(directory) if directory else None
        if path is None:
            raise FileNotFoundError(
                f"Dataset 'cifar10': nothing found in {directory or 'no data directory (none given)'}. Put "
                f"{info.how_to_get} in <data_dir>/cifar10/ and pass --config.data.data_dir=<data_dir> or set "
                f"${DATA_DIR_ENV}; or use --config.data.source=tfds where TensorFlow Datasets is installed."
            )
        return cifar10_files.load(path)
    idx_dir = _idx_directory(name, info, directory)
    return {s: idx_files.load_split(idx_dir, s) for s in ("train", "test")}
