"""Test setup: four fake CPU devices (set before JAX is imported) and the offline data directory."""

import glob
import os
import shutil
import tempfile

os.environ["XLA_FLAGS"] = (
    os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=4"
).strip()
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import pytest  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Every config file (configs/<name>.py with get_config), by name.
CONFIG_NAMES = sorted(
    os.path.basename(p)[:-3] for p in glob.glob(os.path.join(REPO, "configs", "*.py"))
    if os.path.basename(p) not in ("__init__.py", "arguments.py", "base.py", "flag_checks.py")
)
SHARED_DATA = os.path.join(os.path.dirname(REPO), "shared", "data")


def pytest_configure(config):
    """One XLA compilation cache for the whole test session, shared by pytest-xdist's workers and the processes
    that tests launch (they inherit the environment): many tests compile the same step more than once (a run, the
    same run killed, its resume), and a cache hit skips the compile (the resume tests: 135 s -> 58 s). The cache
    lives in a fresh temporary directory removed at the end, so no run sees another's; a cache directory set by
    the user is left as it is."""
    if hasattr(config, "workerinput") or "JAX_COMPILATION_CACHE_DIR" in os.environ:
        return  # an xdist worker (it inherited the controller's) or the user's own cache
    directory = tempfile.mkdtemp(prefix="jax-classics-test-xla-cache-")
    os.environ["JAX_COMPILATION_CACHE_DIR"] = directory
    os.environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"  # the defaults skip compiles under 1 s
    os.environ["JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES"] = "0"
    config.add_cleanup(lambda: shutil.rmtree(directory, ignore_errors=True))


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
