"""Test setup: four fake CPU devices (set before JAX is imported) and the offline data directory."""

import os

os.environ["XLA_FLAGS"] = (
    os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=4"
).strip()
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import pytest  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_DATA = os.path.join(os.path.dirname(REPO), "shared", "data")


@pytest.fixture(scope="session")
def data_dir() -> str:
    """The offline datasets ($JAX_CLASSICS_DATA_DIR, else ../shared/data beside the repository)."""
    directory = os.environ.get("JAX_CLASSICS_DATA_DIR") or SHARED_DATA
    if not os.path.exists(os.path.join(directory, "mnist", "train-images-idx3-ubyte.gz")):
        pytest.skip(f"MNIST IDX files not found under {directory}; set JAX_CLASSICS_DATA_DIR.")
    return directory


@pytest.fixture(scope="session")
def cifar_dir() -> str:
    """The data directory holding cifar10/cifar10.npz (the shared offline copy)."""
    directory = os.environ.get("JAX_CLASSICS_DATA_DIR") or SHARED_DATA
    if not os.path.exists(os.path.join(directory, "cifar10", "cifar10.npz")):
        pytest.skip(f"CIFAR-10 not found under {directory}/cifar10; set JAX_CLASSICS_DATA_DIR.")
    return directory
