"""Attention, shared by the Transformer (Vaswani et al. 2017) and ViT (Dosovitskiy et al. 2021).

scaled_dot_product_attention: section 3.2.1, eq. 1, Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k)) V, with a
  boolean mask (True = may attend) applied before the softmax.
MultiHeadAttention: section 3.2.2, h heads of d_model / h dimensions, each with its own projections W^Q, W^K, W^V,
  concatenated and projected by W^O. With `decode=True` it keeps a key/value cache (one position per call) so a
  decoder generates in O(length) per token instead of re-reading its whole prefix.
Masks: `padding_mask` (keys that are padding may not be attended) and `causal_mask` (a position may attend only
  to itself and earlier ones, section 3.2.3).
Positional encodings: `sinusoidal_positions` (section 3.5) and a learned table (`AddPositions(learned=True)`).
"""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from models.layers.dropout import Dropout


def scaled_dot_product_attention(query, key, value, mask=None, dropout=None):
    """query (..., q, heads, d_k), key/value (..., k, heads, d_k); mask broadcastable to (..., heads, q, k).
    Returns (output (..., q, heads, d_v), weights (..., heads, q, k))."""
    logits = jnp.einsum("...qhd,...khd->...hqk", query, key) / jnp.sqrt(query.shape[-1]).astype(query.dtype)
    if mask is not None:
        logits = jnp.where(mask, logits, jnp.finfo(logits.dtype).min)
    weights = jax.nn.softmax(logits, axis=-1)
    if dropout is not None:
        weights = dropout(weights)
    return jnp.einsum("...hqk,...khd->...qhd", weights, value), weights


def padding_mask(query_valid, key_valid):
    """(batch, 1, q, k): True where both the query and the key are real tokens."""
    return (query_valid[:, None, :, None] & key_valid[:, None, None, :])


def causal_mask(length: int):
    """(1, 1, length, length): True on and below the diagonal."""
    return jnp.tril(jnp.ones((length, length), bool))[None, None]


class MultiHeadAttention(nn.Module):
    """Multi-head attention of `num_heads` heads over `features` = d_model dimensions (section 3.2.2).

    `sow_weights=True` stores the attention weights in the "intermediates" collection (for attention maps)."""

    num_heads: int
    features: int
    dropout_rate: float = 0.0
    decode: bool = False
    sow_weights: bool = False
    kernel_init: nn.initializers.Initializer = nn.initializers.xavier_uniform()

    @nn.compact
    def __call__(self, inputs_q, inputs_kv, mask=None, train: bool = False):
        if self.features % self.num_heads:
            raise ValueError(f"features={self.features} is not divisible by num_heads={self.num_heads}.")
        head_dim = self.features // self.num_heads

        def project(name, x):
            return nn.DenseGeneral((self.num_heads, head_dim), kernel_init=self.kernel_init, name=name)(x)

        query, key, value = project("query", inputs_q), project("key", inputs_kv), project("value", inputs_kv)
        if self.decode:
            key, value, mask = self._cached(key, value, mask)
        dropout = None
        if self.dropout_rate and train:
            dropout = Dropout(self.dropout_rate, deterministic=False)
        output, weights = scaled_dot_product_attention(query, key, value, mask, dropout)
        if self.sow_weights:
            self.sow("intermediates", "attention_weights", weights)
        return nn.DenseGeneral(self.features, axis=(-2, -1), kernel_init=self.kernel_init, name="out")(output)

    def _cached(self, key, value, mask):
        """Appends this call's single position to the cache; attends to every cached position so far."""
        initialized = self.has_variable("cache", "cached_key")
        cached_key = self.variable("cache", "cached_key", jnp.zeros, key.shape, key.dtype)
        cached_value = self.variable("cache", "cached_value", jnp.zeros, value.shape, value.dtype)
        index = self.variable("cache", "index", lambda: jnp.array(0, jnp.int32))
        if not initialized:  # the init call with the full length only sizes the cache
            return key, value, mask
        if key.shape[-3] != 1:
            raise ValueError(f"decode=True reads one position per call; got {key.shape[-3]}.")
        i = index.value
        cached_key.value = jax.lax.dynamic_update_slice_in_dim(cached_key.value, key, i, axis=-3)
        cached_value.value = jax.lax.dynamic_update_slice_in_dim(cached_value.value, value, i, axis=-3)
        index.value = i + 1
        length = cached_key.value.shape[-3]
        visible = (jnp.arange(length) <= i)[None, None, None, :]  # this and earlier positions
        mask = visible if mask is None else mask & visible
        return cached_key.value, cached_value.value, mask


def sinusoidal_positions(length: int, features: int) -> np.ndarray:
    """PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d)) (section 3.5); (length, d)."""
    positions = np.arange(length)[:, None]
    rates = 1.0 / np.power(10000.0, np.arange(0, features, 2) / features)
    table = np.zeros((length, features), np.float32)
    table[:, 0::2] = np.sin(positions * rates)
    table[:, 1::2] = np.cos(positions * rates[: features // 2])
    return table


class AddPositions(nn.Module):
    """Adds position encodings to (batch, length, features): sinusoidal (fixed) or a learned table. In decoding,
    `offset` is the position of the single step; `positions` (batch, length) gives each token's own position
    instead (packed rows, where every sentence starts again at 0)."""

    max_length: int
    learned: bool = False

    @nn.compact
    def __call__(self, x, offset=0, positions=None):
        features = x.shape[-1]
        if self.learned:
            table = self.param("table", nn.initializers.normal(0.02), (self.max_length, features))
        else:
            table = jnp.asarray(sinusoidal_positions(self.max_length, features))
        if positions is not None:
            return x + jnp.take(table, positions, axis=0).astype(x.dtype)
        return x + jax.lax.dynamic_slice_in_dim(table, offset, x.shape[-2])[None].astype(x.dtype)
