"""The one way every task runs its model in training: dropout from the step's rng, and the non-trainable
collections (e.g. BatchNorm statistics) updated and returned."""

import flax.linen as nn


def apply_for_training(model: nn.Module, params, model_state: dict, *inputs, rng, **keyword_inputs):
    """(outputs, new model state) of `model(*inputs, train=True, **keyword_inputs)`."""
    outputs, new_model_state = model.apply(
        {"params": params, **model_state}, *inputs, train=True, rngs={"dropout": rng}, mutable=list(model_state),
        **keyword_inputs,
    )
    return outputs, dict(new_model_state)
