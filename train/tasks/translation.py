"""Translation: teacher-forced training of an encoder-decoder, token metrics in the compiled evaluation, and BLEU
on decoded sentences at the end of training.

Batches hold "source", "target_inputs" (BOS y_1 ... y_n) and "targets" (y_1 ... y_n EOS), padded with 0, and when
the training rows are packed their segment and position arrays (an "example" is then a packed row). The loss
is the cross-entropy per target token with label smoothing (Vaswani et al. 2017, section 5.4: 0.1), padding
excluded. `final_evaluation` decodes the evaluation splits (beam search, or greedy with beam_size 1) and scores
them with sacreBLEU corpus BLEU and chrF against the reference texts (tokenize "zh" for Chinese targets, "13a"
for English).
"""

import dataclasses
import inspect

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from input_pipeline.packing import PACKED_FIELDS
from input_pipeline.tokenizers import EOS, PAD
from train.tasks import beam_search
from train.tasks.training_apply import apply_for_training


@dataclasses.dataclass(frozen=True)
class Translation:
    num_classes: int  # the target vocabulary
    label_smoothing: float = 0.1
    beam_size: int = 4
    length_penalty: float = 0.6
    decode_batch_size: int = 256
    bleu_splits: tuple[str, ...] = ("test",)

    def example_inputs(self, split: dict):
        return split["source"][:1], split["target_inputs"][:1]

    def _sums(self, logits, targets, example_mask):
        weights = (targets != PAD).astype(jnp.float32) * example_mask[:, None]
        losses, nll, correct = token_losses(logits, targets, self.label_smoothing)
        return {"loss": jnp.sum(losses * weights), "nll": jnp.sum(nll * weights),
                "correct_tokens": jnp.sum(correct * weights), "tokens": jnp.sum(weights),
                "count": jnp.sum(example_mask)}

    def train_loss(self, model: nn.Module, params, model_state, batch, rng):
        packed = {name: batch[name] for name in PACKED_FIELDS if name in batch}  # see input_pipeline/packing.py
        if packed and "source_segments" not in inspect.signature(type(model).__call__).parameters:
            raise ValueError(f"data.translation.pack=True needs a model that reads segment ids (the transformer); "
                             f"{type(model).__name__} does not. Set --config.data.translation.pack=False.")
        logits, new_model_state = apply_for_training(model, params, model_state, batch["source"],
                                                     batch["target_inputs"], rng=rng, **packed)
        sums = self._sums(logits, batch["targets"], jnp.ones(logits.shape[0]))
        return sums["loss"] / jnp.maximum(sums["tokens"], 1.0), (sums, new_model_state)

    def eval_sums(self, model: nn.Module, variables, batch, mask) -> dict[str, jax.Array]:
        logits = model.apply(variables, batch["source"], batch["target_inputs"], train=False)
        return self._sums(logits, batch["targets"], mask)

    @staticmethod
    def summarize(sums: dict) -> dict[str, float]:
        tokens = max(float(sums["tokens"]), 1.0)
        accuracy = float(sums["correct_tokens"]) / tokens
        return {"loss": float(sums["loss"]) / tokens, "perplexity": float(np.exp(float(sums["nll"]) / tokens)),
                "token_accuracy": accuracy, "examples": float(sums["count"])}

    def decode(self, model: nn.Module, params, source: np.ndarray, max_length: int) -> np.ndarray:
        """Token ids (N, max_length) for source ids (N, L), in batches of decode_batch_size, compiled once."""
        if self.beam_size > 1:
            fn = jax.jit(lambda p, s: beam_search.beam_search(model, p, s, max_length, self.beam_size,
                                                              self.length_penalty))
        else:
            fn = jax.jit(lambda p, s: beam_search.greedy_decode(model, p, s, max_length))
        size = self.decode_batch_size
        outputs = []
        for start in range(0, len(source), size):
            chunk = source[start:start + size]
            padded = np.concatenate([chunk, np.zeros((size - len(chunk), chunk.shape[1]), chunk.dtype)])
            outputs.append(np.asarray(fn(params, padded))[: len(chunk)])
        return np.concatenate(outputs)

    def final_evaluation(self, model: nn.Module, params, data) -> dict[str, float]:
        """{split/bleu, split/chrf} on the decoded `bleu_splits` (data.metadata is a TranslationData)."""
        translation = data.metadata
        results = {}
        for split in self.bleu_splits:
            source = translation.splits[split]["source"]
            ids = self.decode(model, params, source, source.shape[1])
            hypotheses = [translation.target_tokenizer.decode(until_eos(row)) for row in ids]
            references = [reference for _, reference in translation.texts[split]]
            scores = corpus_scores(hypotheses, references, translation.target_language)
            results.update({f"{split}/{name}": value for name, value in scores.items()})
        return results


def corpus_scores(hypotheses: list[str], references: list[str], target_language: str) -> dict[str, float]:
    """sacreBLEU corpus BLEU (tokenize "zh" for Chinese, "13a" otherwise) and chrF, one reference each."""
    import sacrebleu

    tokenize = "zh" if target_language == "zh" else "13a"
    return {"bleu": sacrebleu.corpus_bleu(hypotheses, [references], tokenize=tokenize).score,
            "chrf": sacrebleu.corpus_chrf(hypotheses, [references]).score}


def until_eos(ids) -> list[int]:
    """The ids before the first EOS (all of them when there is none)."""
    ids = [int(i) for i in ids]
    return ids[: ids.index(EOS)] if EOS in ids else ids


def token_losses(logits: jax.Array, targets: jax.Array, smoothing: float):
    """(smoothed loss, nll, correct) per token for logits (..., V) and integer targets (...).

    The loss is the cross-entropy against the label-smoothed target q = (1 - s) one_hot(y) + s / V
    (`optax.smooth_labels`): -sum_k q_k log p_k = logsumexp(z) - (1 - s) z_y - s mean(z); nll is the plain one
    (the perplexity's). Written this way no (..., V) one-hot or log-softmax array is built (at a vocabulary of
    8,000 those are the step's largest), and the gradient is softmax(z) - q.

    A token is correct when argmax(z) == y, computed without `argmax`: the target's logit is the largest and no
    earlier index holds that largest value (argmax's first-index rule on ties). `argmax` is a two-output (value,
    index) reduction that XLA:CPU does not vectorise; it took 4% of a Transformer training step here, and the
    two single-output reductions below (one a max) take a fraction of that.
    """
    log_normalizer = jax.nn.logsumexp(logits, axis=-1)
    target_logits = jnp.take_along_axis(logits, targets[..., None], axis=-1)[..., 0]
    nll = log_normalizer - target_logits
    largest = jnp.max(logits, axis=-1, keepdims=True)
    earlier_tie = jnp.any((logits == largest) & (jnp.arange(logits.shape[-1]) < targets[..., None]), axis=-1)
    correct = ((target_logits == largest[..., 0]) & ~earlier_tie).astype(jnp.float32)
    if not smoothing:
        return nll, nll, correct
    return (1.0 - smoothing) * nll + smoothing * (log_normalizer - jnp.mean(logits, axis=-1)), nll, correct
