"""Test setup: four fake CPU devices (set before JAX is imported) and the offline data directory."""

import os

os.environ["XLA_FLAGS"] = (
    os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=4"
).strip()
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import pytest  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_DATA = os.path.join(os.path.dirname(REPO), "shared", "data")


def _offline_data(relative_file: str, what: str) -> str:
    """The offline data directory ($JAX_CLASSICS_DATA_DIR, else ../shared/data beside the repository) if it holds
    `relative_file`; otherwise the test is skipped."""
    directory = os.environ.get("JAX_CLASSICS_DATA_DIR") or SHARED_DATA
    if not os.path.exists(os.path.join(directory, relative_file)):
        pytest.skip(f"{what} not found under {directory}; set JAX_CLASSICS_DATA_DIR.")
    return directory


@pytest.fixture(scope="session")
def data_dir() -> str:
    return _offline_data(os.path.join("mnist", "train-images-idx3-ubyte.gz"), "MNIST IDX files")


@pytest.fixture(scope="session")
def cifar_dir() -> str:
    return _offline_data(os.path.join("cifar10", "cifar10.npz"), "CIFAR-10 (cifar10/cifar10.npz)")
