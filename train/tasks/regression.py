"""Regression to a real target with mean squared error (the adding problem)."""

import dataclasses

import flax.linen as nn
import jax
import jax.numpy as jnp

from train.tasks.training_apply import apply_for_training


@dataclasses.dataclass(frozen=True)
class Regression:
    """The model maps batch["inputs"] to one number per example (shape (batch,) or (batch, 1)), trained towards
    batch["target"] with the squared error. Metrics: loss = mse (mean squared error)."""

    def example_inputs(self, split: dict) -> jax.Array:
        return split["inputs"][:1]

    @staticmethod
    def _squared_errors(outputs, target):
        return (outputs.reshape(target.shape) - target) ** 2

    def train_loss(self, model: nn.Module, params, model_state, batch, rng):
        outputs, new_model_state = apply_for_training(model, params, model_state, batch["inputs"], rng=rng)
        errors = self._squared_errors(outputs, batch["target"])
        sums = {"loss": jnp.sum(errors), "count": jnp.asarray(errors.shape[0], jnp.float32)}
        return jnp.mean(errors), (sums, new_model_state)

    def eval_sums(self, model: nn.Module, variables, batch, mask) -> dict[str, jax.Array]:
        errors = self._squared_errors(model.apply(variables, batch["inputs"], train=False), batch["target"])
        return {"loss": jnp.sum(errors * mask), "count": jnp.sum(mask)}

    @staticmethod
    def summarize(sums: dict) -> dict[str, float]:
        count = max(float(sums["count"]), 1.0)
        mse = float(sums["loss"]) / count
        return {"loss": mse, "mse": mse, "examples": float(sums["count"])}
