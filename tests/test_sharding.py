"""Datasets dealt out over the devices: any rows gathered back in any order, and evaluation batches read
locally, equal the host arrays for 1, 2 and 4 devices; a mesh of devices that are not there is a clear error."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from train import sharding


@pytest.mark.parametrize("devices", [1, 2, 4])
def test_rows_dealt_out_over_devices_gather_back_exactly(devices):
    mesh = sharding.make_mesh(devices)
    rows = {"x": np.arange(30, dtype=np.float32).reshape(10, 3), "y": np.arange(10, dtype=np.int32)}
    stored = sharding.put_rows(rows, mesh)
    assert stored["x"].shape[0] == -(-10 // devices) * devices  # padded to a whole number per device
    indices = jnp.array([9, 0, 3, 7, 2, 5, 1, 8])
    batch = jax.jit(lambda s, i: sharding.gather_rows(s, i, mesh))(stored, indices)
    assert batch["x"].sharding.spec == sharding.batch_sharded(mesh).spec
    for key in rows:
        np.testing.assert_array_equal(batch[key], rows[key][np.asarray(indices)])
    whole = jax.jit(lambda s, i: sharding.gather_rows(s, i, mesh, replicate=True))(stored, indices[:3])
    np.testing.assert_array_equal(whole["x"], rows["x"][[9, 0, 3]])


@pytest.mark.parametrize("devices", [1, 2, 4])
def test_evaluation_batches_are_read_where_they_lie(devices):
    mesh = sharding.make_mesh(devices)
    arrays = np.arange(32, dtype=np.float32).reshape(16, 2)
    stored = sharding.put_batches(arrays, 8, mesh)
    for index in range(2):
        batch = jax.jit(lambda s, i: sharding.local_batch(s, i, 8, mesh))(stored, index)
        np.testing.assert_array_equal(batch, arrays[index * 8:(index + 1) * 8])


def test_a_mesh_of_more_devices_than_visible_or_a_negative_number_is_a_clear_error():
    with pytest.raises(ValueError, match=r"num_devices=-1 must be a number of devices \(0: all of them\)"):
        sharding.make_mesh(-1)
    with pytest.raises(ValueError, match=f"num_devices={len(jax.devices()) + 1} but only"):
        sharding.make_mesh(len(jax.devices()) + 1)
