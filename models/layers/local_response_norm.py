"""Local response normalisation across channels (Krizhevsky, Sutskever & Hinton 2012, section 3.3)."""

import jax
import jax.numpy as jnp


def local_response_norm(x: jax.Array, k: float = 2.0, n: int = 5, alpha: float = 1e-4, beta: float = 0.75):
    """b^i = a^i / (k + alpha * sum_{j = max(0, i - n/2)}^{min(N - 1, i + n/2)} (a^j)^2)^beta over the channel
    axis (last) of NHWC activations; the paper's constants are the defaults. Note the paper's alpha multiplies the
    plain sum (cuda-convnet and PyTorch divide alpha by n)."""
    half = n // 2
    window_sum = jax.lax.reduce_window(
        jnp.square(x), 0.0, jax.lax.add, (1,) * (x.ndim - 1) + (n,), (1,) * x.ndim,
        [(0, 0)] * (x.ndim - 1) + [(half, n - 1 - half)],
    )
    return x * _inverse_power(k + alpha * window_sum, beta)


def _inverse_power(d: jax.Array, beta: float) -> jax.Array:
    """d^-beta. For the paper's beta = 0.75 as d^-0.5 d^-0.25 = rsqrt(d) sqrt(rsqrt(d)): on XLA:CPU `power`
    (exp(-beta log d)) and its derivative took most of LRN's time (docs/speed.md)."""
    if beta == 0.75:
        r = jax.lax.rsqrt(d)
        return r * jnp.sqrt(r)
    return jnp.power(d, -beta)
