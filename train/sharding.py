"""The device mesh and the two shardings the trainer uses: replicated, and split along the batch ('data' axis).

Parallelism is `jax.jit` over a `jax.sharding.Mesh` (no pmap): arrays carry their sharding and XLA inserts the
collectives (e.g. the gradient all-reduce) itself. Datasets are stored with their examples dealt out over the
devices (`put_rows`, `put_batches`), so each process holds only its devices' share.
"""

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

DATA_AXIS = "data"


def make_mesh(num_devices: int = 0) -> Mesh:
    """A 1-D data-parallel mesh over the first `num_devices` devices (0 = all of them, on every host)."""
    devices = jax.devices()
    if num_devices < 0:
        raise ValueError(f"num_devices={num_devices} must be a number of devices (0: all of them).")
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


def put_rows(tree, mesh: Mesh):
    """Host numpy arrays -> global arrays whose rows (examples) are dealt out over the devices of the mesh:
    device d holds examples d, d + D, d + 2D, ... (zero rows pad every device to the same count). Each process
    places only its own devices' rows, so a dataset costs one copy spread over all devices, not one per device.
    Read rows back in any order with `gather_rows`."""
    devices = mesh.size

    def put(a):
        per_device = -(-len(a) // devices)

        def device_rows(index):  # the block of device d: examples d, d + D, ..., zero-padded
            rows = a[(index[0].start or 0) // per_device::devices]
            rows = np.concatenate([rows, np.zeros((per_device - len(rows), *a.shape[1:]), a.dtype)])
            return rows[(slice(None), *index[1:])]

        return jax.make_array_from_callback((per_device * devices, *a.shape[1:]), batch_sharded(mesh), device_rows)

    return jax.tree.map(put, tree)


def gather_rows(stored, indices, mesh: Mesh, replicate: bool = False):
    """Rows `indices` (global example numbers, the same on every device) of `put_rows` arrays, as a batch split
    over the devices along the data axis (or whole on every device when `replicate`). Each device picks the rows
    it holds and a reduce-scatter (psum) delivers them, so the result is the same for any number of devices and
    processes."""
    devices = mesh.size
    if devices == 1:  # nothing to deliver; a one-device collective still costs a rendezvous every step
        return jax.tree.map(lambda a: a[indices], stored)

    def local(rows, indices):
        mine = indices % devices == jax.lax.axis_index(DATA_AXIS)
        picked = jax.tree.map(lambda a: jnp.where(_expand(mine, a), a[indices // devices], 0), rows)
        if replicate:
            return jax.lax.psum(picked, DATA_AXIS)
        return jax.lax.psum_scatter(picked, DATA_AXIS, scatter_dimension=0, tiled=True)

    out_spec = PartitionSpec() if replicate else PartitionSpec(DATA_AXIS)
    return jax.shard_map(local, mesh=mesh, in_specs=(PartitionSpec(DATA_AXIS), PartitionSpec()),
                         out_specs=out_spec)(stored, indices)


def _expand(mask, like):
    return mask.reshape(mask.shape + (1,) * (like.ndim - 1))


def put_batches(tree, batch_size: int, mesh: Mesh):
    """Host arrays whose length is a multiple of `batch_size` -> global arrays laid out so that every batch
    (rows i * batch_size ... (i + 1) * batch_size - 1) is already split over the devices: read batch i with
    `local_batch`, which moves no data between devices."""
    devices = mesh.size
    share = batch_size // devices

    def put(a):
        by_device = a.reshape(len(a) // batch_size, devices, share, *a.shape[1:])  # a view

        def device_rows(index):  # the block of device d: its share of batch 0, of batch 1, ...
            rows = by_device[:, (index[0].start or 0) // (len(a) // devices)]
            return rows.reshape(-1, *a.shape[1:])[(slice(None), *index[1:])]

        return jax.make_array_from_callback(a.shape, batch_sharded(mesh), device_rows)

    return jax.tree.map(put, tree)


def local_batch(stored, index, batch_size: int, mesh: Mesh):
    """Batch `index` of `put_batches` arrays, split over the devices along the data axis."""
    share = batch_size // mesh.size

    def local(rows, index):
        return jax.tree.map(lambda a: jax.lax.dynamic_slice_in_dim(a, index * share, share), rows)

    return jax.shard_map(local, mesh=mesh, in_specs=(PartitionSpec(DATA_AXIS), PartitionSpec()),
                         out_specs=PartitionSpec(DATA_AXIS))(stored, index)
