"""One label per time step: the aligned many-to-many shape (tagging, the copy task) and one-to-many generation."""

import dataclasses

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax

from train.tasks.training_apply import apply_for_training


@dataclasses.dataclass(frozen=True)
class SequenceLabeling:
    """The model maps batch["inputs"] to logits (batch, time, num_classes), trained with the softmax
    cross-entropy against batch["targets"] (batch, time), each step weighted by batch["weights"] (0 = a padding
    step that counts for nothing).

    Metrics: loss (cross-entropy per weighted step, in nats, the copy task's unit), token_accuracy, and
    sequence_accuracy (every weighted step right), error = 1 - sequence_accuracy."""

    num_classes: int
    label_smoothing: float = 0.0

    def example_inputs(self, split: dict) -> jax.Array:
        return split["inputs"][:1]

    def _sums(self, logits, batch, example_mask):
        weights = batch["weights"] * example_mask[:, None]
        targets = jax.nn.one_hot(batch["targets"], self.num_classes)
        if self.label_smoothing:
            targets = optax.smooth_labels(targets, self.label_smoothing)
        losses = optax.softmax_cross_entropy(logits, targets)
        correct = (jnp.argmax(logits, axis=-1) == batch["targets"]).astype(jnp.float32)
        whole = jnp.all((correct == 1.0) | (batch["weights"] == 0.0), axis=-1).astype(jnp.float32)
        return {
            "loss": jnp.sum(losses * weights), "correct_tokens": jnp.sum(correct * weights),
            "tokens": jnp.sum(weights), "correct_sequences": jnp.sum(whole * example_mask),
            "count": jnp.sum(example_mask),
        }

    def train_loss(self, model: nn.Module, params, model_state, batch, rng):
        logits, new_model_state = apply_for_training(model, params, model_state, batch["inputs"], rng=rng)
        sums = self._sums(logits, batch, jnp.ones(logits.shape[0]))
        return sums["loss"] / jnp.maximum(sums["tokens"], 1.0), (sums, new_model_state)

    def eval_sums(self, model: nn.Module, variables, batch, mask) -> dict[str, jax.Array]:
        return self._sums(model.apply(variables, batch["inputs"], train=False), batch, mask)

    @staticmethod
    def summarize(sums: dict) -> dict[str, float]:
        tokens = max(float(sums["tokens"]), 1.0)
        count = max(float(sums["count"]), 1.0)
        sequence_accuracy = float(sums["correct_sequences"]) / count
        return {
            "loss": float(sums["loss"]) / tokens, "token_accuracy": float(sums["correct_tokens"]) / tokens,
            "sequence_accuracy": sequence_accuracy, "error": 1.0 - sequence_accuracy,
            "examples": float(sums["count"]),
        }
