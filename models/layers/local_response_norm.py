"""Local response normalisation across channels (Krizhevsky, Sutskever & Hinton 2012, section 3.3)."""

import flax.linen as nn
import jax
import jax.numpy as jnp


def local_response_norm(x: jax.Array, k: float = 2.0, n: int = 5, alpha: float = 1e-4, beta: float = 0.75):
    """b^i = a^i / (k + alpha * sum_{j = max(0, i - n/2)}^{min(N - 1, i + n/2)} (a^j)^2)^beta over the channel
    axis (last) of NHWC activations; the paper's constants are the defaults. Note the paper's alpha multiplies the
    plain sum (cuda-convnet and PyTorch divide alpha by n)."""
    squared = jnp.square(x)
    half = n // 2
    window_sum = jax.lax.reduce_window(
        squared, 0.0, jax.lax.add, (1,) * (x.ndim - 1) + (n,), (1,) * x.ndim,
        [(0, 0)] * (x.ndim - 1) + [(half, n - 1 - half)],
    )
    return x / jnp.power(k + alpha * window_sum, beta)


class LocalResponseNorm(nn.Module):
    k: float = 2.0
    n: int = 5
    alpha: float = 1e-4
    beta: float = 0.75

    def __call__(self, x: jax.Array) -> jax.Array:
        return local_response_norm(x, self.k, self.n, self.alpha, self.beta)
