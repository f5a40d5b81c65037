"""The device mesh and the two shardings the trainer uses: replicated, and split along the batch ('data' axis).

Parallelism is `jax.jit` over a `jax.sharding.Mesh` (no pmap): arrays carry their sharding and XLA inserts the
collectives (e.g. the gradient all-reduce) itself.
"""

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

DATA_AXIS = "data"


def make_mesh(num_devices: int = 0) -> Mesh:
    """A 1-D data-parallel mesh over the first `num_devices` devices (0 = all of them, on every host)."""
    devices = jax.devices()
    if num_devices:
        if num_devices > len(devices):
            raise ValueError(f"num_devices={num_devices} but only {len(devices)} device(s) are visible.")
        if jax.process_count() > 1 and num_devices != len(devices):
            raise ValueError("With several processes, num_devices must be 0 (all devices).")
        devices = devices[:num_devices]
    return Mesh(np.asarray(devices), (DATA_AXIS,))


def replicated(mesh: Mesh) -> NamedSharding:
    return NamedSharding(mesh, PartitionSpec())


def batch_sharded(mesh: Mesh) -> NamedSharding:
    return NamedSharding(mesh, PartitionSpec(DATA_AXIS))


def check_divisible(batch_size: int, mesh: Mesh, what: str) -> None:
    if batch_size % mesh.size:
        raise ValueError(
            f"{what}={batch_size} is a global batch and must divide evenly over the {mesh.size} devices of the "
            f"mesh; change it or set --config.num_devices (per-example SGD runs on one device: num_devices=1)."
        )


def put_replicated(tree, mesh: Mesh):
    """Host numpy arrays -> global arrays replicated on every device of the mesh (works on many hosts, each
    holding the same small dataset)."""
    sharding = replicated(mesh)
    return jax.tree.map(
        lambda a: jax.make_array_from_callback(a.shape, sharding, lambda index: a[index]), tree
    )
