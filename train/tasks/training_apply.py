"""The one way every task runs its model in training: dropout from the step's rng, the non-trainable
collections (e.g. BatchNorm statistics) updated and returned, and float32 outputs (so that under bfloat16 mixed
precision every loss is still computed in float32)."""

import flax.linen as nn
import jax
import jax.numpy as jnp


def apply_for_training(model: nn.Module, params, model_state: dict, *inputs, rng, **keyword_inputs):
    """(outputs, new model state) of `model(*inputs, train=True, **keyword_inputs)`."""
    outputs, new_model_state = model.apply(
        {"params": params, **model_state}, *inputs, train=True, rngs={"dropout": rng}, mutable=list(model_state),
        **keyword_inputs,
    )
    return cast_floats(outputs, jnp.float32), dict(new_model_state)


def cast_floats(tree, dtype):
    """Every floating-point array of `tree` as `dtype` (integer arrays, e.g. labels and token ids, unchanged)."""
    return jax.tree.map(lambda a: a.astype(dtype) if jnp.issubdtype(a.dtype, jnp.floating) else a, tree)
