"""Weight initialisers defined in terms of a unit's fan-in, as the early papers state them."""

import math

import jax
import jax.numpy as jnp


def uniform_over_fan_in(scale: float = 2.4, fan_in_power: float = 1.0):
    """U(-scale / F**p, scale / F**p), F the fan-in of the receiving unit.

    LeCun et al. 1989 (section 5) and LeCun et al. 1998 (Appendix A) use scale 2.4 and p = 1: "weights were
    initialized with random values uniformly distributed between -2.4/F_i and 2.4/F_i". The LeCun lab's later
    software, EBLearn (the C++ successor of Lush's gblearn2), initialises its LeNet-5 demos with scale 1 and
    p = 1/2 (`forget_param_linear(1, 0.5)`). Both are options here; a model's default is its paper's printed one.

    The returned initialiser follows flax's `(key, shape, dtype)` signature and takes the fan-in from the kernel
    shape (all but the last axis). Layers with irregular connectivity pass an explicit `fan_in` that broadcasts
    against `shape` (one value per connection).
    """

    def init(key: jax.Array, shape, dtype=jnp.float32, fan_in=None) -> jax.Array:
        if fan_in is None:
            fan_in = math.prod(shape[:-1])
        bound = scale / jnp.asarray(fan_in, jnp.float32) ** fan_in_power
        return (jax.random.uniform(key, shape, jnp.float32, -1.0, 1.0) * bound).astype(dtype)

    return init


def constant_over_fan_in(scale: float = 1.0, fan_in_power: float = 0.5):
    """The constant scale / F**p, with the same explicit-fan-in signature as `uniform_over_fan_in`. EBLearn sets
    a subsampling layer's coefficients this way (scale 1, p = 1/2: 0.5 for a 2x2 window) rather than at random."""

    def init(key: jax.Array, shape, dtype=jnp.float32, fan_in=None) -> jax.Array:
        del key
        if fan_in is None:
            fan_in = math.prod(shape[:-1])
        value = scale / jnp.asarray(fan_in, jnp.float32) ** fan_in_power
        return jnp.broadcast_to(value, shape).astype(dtype)

    return init


def he_normal_over_fan_in():
    """N(0, 2/F) (He et al. 2015), with the same explicit-fan-in signature as `uniform_over_fan_in`."""

    def init(key: jax.Array, shape, dtype=jnp.float32, fan_in=None) -> jax.Array:
        if fan_in is None:
            fan_in = math.prod(shape[:-1])
        std = jnp.sqrt(2.0 / jnp.asarray(fan_in, jnp.float32))
        return (jax.random.normal(key, shape, jnp.float32) * std).astype(dtype)

    return init


INITIALIZERS = {
    "lecun_2.4_over_fan_in": uniform_over_fan_in(2.4, 1.0),
    "lecun_2.4_over_sqrt_fan_in": uniform_over_fan_in(2.4, 0.5),
    "eblearn_1_over_sqrt_fan_in": uniform_over_fan_in(1.0, 0.5),
    "eblearn_constant_1_over_sqrt_fan_in": constant_over_fan_in(1.0, 0.5),
    "he_normal": he_normal_over_fan_in(),
}


def get_initializer(name: str):
    if name not in INITIALIZERS:
        raise ValueError(f"Unknown initializer {name!r}; choose one of {sorted(INITIALIZERS)}.")
    return INITIALIZERS[name]
