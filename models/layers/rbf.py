"""Euclidean radial basis function output units (LeCun et al. 1998, section II.B, eq. 7)."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np


class EuclideanRBF(nn.Module):
    """y_i = sum_j (x_j - w_ij)^2 with fixed prototypes w (not trained, so not parameters).

    The output is a penalty: the smaller y_i, the more the input looks like class i.

    Attributes:
      prototypes: (num_classes, num_features) array of fixed prototype vectors.
    """

    prototypes: np.ndarray

    def __call__(self, x: jax.Array) -> jax.Array:  # x: (batch, num_features) -> (batch, num_classes)
        w = jnp.asarray(self.prototypes, x.dtype)
        # |x - w|^2 expanded, so it is one matrix product rather than a (batch, classes, features) tensor.
        return (
            jnp.sum(x * x, axis=-1, keepdims=True) - 2.0 * x @ w.T + jnp.sum(w * w, axis=-1)[None, :]
        )
