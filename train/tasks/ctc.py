"""Sequence recognition without segmentation: CTC loss (Graves et al. 2006) over per-frame outputs (CRNN)."""

import dataclasses

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax

from train.tasks import ctc_decoding
from train.tasks.training_apply import apply_for_training


@dataclasses.dataclass(frozen=True)
class CTC:
    """The model maps batch["image"] to per-frame logits (batch, frames, num_classes + 1), index 0 the blank.
    batch["labels"] (batch, L) are 0-based with batch["label_paddings"] (1 = padding). Loss: optax.ctc_loss, the
    negative log-probability of all alignments of the labels, averaged over sequences.

    Metrics (greedy decoding): sequence_accuracy (whole sequence read exactly right; error = 1 - it) and
    symbol_accuracy = 1 - (edit distance / label length), summed over sequences."""

    num_classes: int

    def example_inputs(self, split: dict) -> jax.Array:
        return split["image"][:1]

    def _losses(self, logits, batch):
        paddings = jnp.zeros(logits.shape[:2], logits.dtype)
        labels = jnp.where(batch["label_paddings"] > 0, 0, batch["labels"] + 1)
        return optax.ctc_loss(logits, paddings, labels, batch["label_paddings"], blank_id=ctc_decoding.BLANK)

    def _sums(self, logits, batch, mask):
        losses = self._losses(logits, batch)
        decoded, decoded_lengths = ctc_decoding.greedy_decode(logits)
        label_lengths = jnp.sum(1 - batch["label_paddings"], axis=1).astype(jnp.int32)
        distances = ctc_decoding.edit_distances(decoded, decoded_lengths, batch["labels"], label_lengths)
        exact = (distances == 0).astype(jnp.float32)
        return {
            "loss": jnp.sum(losses * mask), "correct_sequences": jnp.sum(exact * mask),
            "symbol_errors": jnp.sum(distances * mask), "symbols": jnp.sum(label_lengths * mask),
            "count": jnp.sum(mask),
        }

    def train_loss(self, model: nn.Module, params, model_state, batch, rng):
        logits, new_model_state = apply_for_training(model, params, model_state, batch["image"], rng=rng)
        sums = self._sums(logits, batch, jnp.ones(logits.shape[0]))
        return sums["loss"] / logits.shape[0], (sums, new_model_state)

    def eval_sums(self, model: nn.Module, variables, batch, mask) -> dict[str, jax.Array]:
        return self._sums(model.apply(variables, batch["image"], train=False), batch, mask)

    @staticmethod
    def summarize(sums: dict) -> dict[str, float]:
        count = max(float(sums["count"]), 1.0)
        accuracy = float(sums["correct_sequences"]) / count
        return {
            "loss": float(sums["loss"]) / count, "sequence_accuracy": accuracy, "error": 1.0 - accuracy,
            "symbol_accuracy": 1.0 - float(sums["symbol_errors"]) / max(float(sums["symbols"]), 1.0),
            "examples": float(sums["count"]),
        }
