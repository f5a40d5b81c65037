"""Activation functions by name, so configs can switch them (an ablation knob of the CNN deck)."""

from collections.abc import Callable

import jax
import jax.numpy as jnp


def scaled_tanh(x: jax.Array) -> jax.Array:
    """f(a) = A tanh(S a) with A = 1.7159, S = 2/3 (LeCun et al. 1998, Appendix A).

    The constants make f(+-1) = +-1, so +-1 targets sit in the quasi-linear range of the squashing function and
    f has maximal second derivative at +-1 (LeCun et al. 1989 use "a scaled hyperbolic tangent" for the same reason).
    """
    return 1.7159 * jnp.tanh(x * (2.0 / 3.0))


ACTIVATIONS: dict[str, Callable[[jax.Array], jax.Array]] = {
    "scaled_tanh": scaled_tanh,
    "tanh": jnp.tanh,
    "relu": jax.nn.relu,
    "gelu": jax.nn.gelu,
    "sigmoid": jax.nn.sigmoid,
}


def get_activation(name: str) -> Callable[[jax.Array], jax.Array]:
    if name not in ACTIVATIONS:
        raise ValueError(f"Unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}.")
    return ACTIVATIONS[name]
