"""models/layers/dropout.py: the mask's statistics, flax.linen.Dropout's semantics, and layout independence."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import NamedSharding, PartitionSpec

from models.layers.dropout import Dropout, keep_mask, keep_probability


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.9])
def test_keep_fraction_matches_the_rate(rate):
    mask = np.asarray(keep_mask(jax.random.PRNGKey(0), rate, (1000, 1003)))
    sigma = np.sqrt(rate * (1 - rate) / mask.size)
    assert abs(mask.mean() - (1 - rate)) < 5 * sigma
    # Rows and columns (the four draws of one hash sit in different quarters of a row) are not correlated.
    adjacent = np.corrcoef(mask[:, :-1].ravel(), mask[:, 1:].ravel())[0, 1]
    quarter = np.corrcoef(mask[:, :250].ravel(), mask[:, 251:501].ravel())[0, 1]
    assert abs(adjacent) < 0.01 and abs(quarter) < 0.01


def test_keys_and_typed_keys():
    shape = (64, 37)
    first, second = (np.asarray(keep_mask(jax.random.PRNGKey(seed), 0.5, shape)) for seed in (0, 1))
    assert first.shape == shape and (first != second).mean() > 0.4
    typed = np.asarray(keep_mask(jax.random.wrap_key_data(jax.random.PRNGKey(0)), 0.5, shape))
    np.testing.assert_array_equal(typed, first)
    other_impl = keep_mask(jax.random.key(0, impl="rbg"), 0.5, shape)  # falls back to jax.random.bits
    assert other_impl.shape == shape and 0.4 < float(other_impl.mean()) < 0.6


def test_same_semantics_as_flax_dropout():
    x = jnp.arange(1.0, 2001.0).reshape(40, 50)
    variables = {}
    rngs = {"dropout": jax.random.PRNGKey(3)}
    assert jnp.array_equal(Dropout(0.3).apply(variables, x, deterministic=True), x)
    assert jnp.array_equal(Dropout(0.0).apply(variables, x, deterministic=False), x)
    assert not Dropout(1.0).apply(variables, x, deterministic=False, rngs=rngs).any()
    y = np.asarray(Dropout(0.3).apply(variables, x, deterministic=False, rngs=rngs))
    kept = y != 0
    np.testing.assert_allclose(y[kept], np.asarray(x)[kept] / keep_probability(0.3), rtol=1e-6)
    # The same rng in flax's Dropout gives a different mask but the same kind of output.
    flax_y = np.asarray(nn.Dropout(0.3).apply(variables, x, deterministic=False, rngs=rngs))
    assert abs((flax_y != 0).mean() - kept.mean()) < 0.05
    with pytest.raises(ValueError):  # deterministic given neither at construction nor call, as in flax
        Dropout(0.3).apply(variables, x, rngs=rngs)


def test_mask_depends_only_on_each_elements_row_major_index():
    # What lets the hash run on (rows, hashes per row) whatever the rank: a mask of any shape is the rows of the
    # (rows, last axis) mask. So an attention mask (batch, heads, queries, keys) compiles as fast as a matrix's.
    key = jax.random.PRNGKey(5)
    for shape in [(3, 4, 5, 7), (2, 1, 9), (6,)]:
        rows = int(np.prod(shape[:-1]))
        np.testing.assert_array_equal(keep_mask(key, 0.3, shape), keep_mask(key, 0.3, (rows, shape[-1])).reshape(shape))


def test_mask_is_the_same_for_every_device_layout():
    devices = np.array(jax.devices()[:4])
    mesh = jax.sharding.Mesh(devices, ("data",))
    key = jax.random.PRNGKey(7)
    shape = (8, 6, 10)
    single = np.asarray(jax.jit(lambda k: keep_mask(k, 0.25, shape))(key))
    sharded = jax.jit(lambda k: keep_mask(k, 0.25, shape),
                      out_shardings=NamedSharding(mesh, PartitionSpec("data")))(key)
    assert len(sharded.sharding.device_set) == len(devices)
    np.testing.assert_array_equal(np.asarray(sharded), single)
