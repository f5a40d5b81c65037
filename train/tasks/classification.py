"""Image classification: the losses of the CNN deck's papers, error/accuracy metrics, masked whole-split eval."""

import dataclasses

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax

from train.tasks.training_apply import apply_for_training

LOSSES = ("softmax_cross_entropy", "mse_tanh_targets", "rbf_map")


@dataclasses.dataclass(frozen=True)
class Classification:
    """Losses:
      softmax_cross_entropy: outputs are logits (optional label smoothing).
      mse_tanh_targets: outputs are squashed units trained towards +1 (true class) and -1 (others) with mean
        squared error (LeCun et al. 1989, section 5); the predicted class is the largest output.
      rbf_map: outputs are RBF penalties y_i (LeCun et al. 1998, eq. 9):
        E = y_D + log(exp(-j) + sum_i exp(-y_i)), i.e. the cross-entropy of a softmax over -y plus a "rubbish"
        class of constant penalty j; the predicted class has the smallest penalty.
    top_k > 0 also counts the top-k error (ImageNet's top-5: the label among the k highest scores).
    Evaluation batches may hold "views" (batch, views, H, W, C) instead of "image", e.g. AlexNet's ten crops
    (section 4.1): softmax outputs are averaged over the views (other losses' outputs are averaged).
    mixup_alpha > 0: mixup (Zhang et al. 2018): each training batch is mixed with itself reversed,
      x = lam x_i + (1 - lam) x_j and the same for the (smoothed) one-hot labels, lam ~ Beta(alpha, alpha). The
      training accuracy then counts the label with the larger weight.
    cutmix_alpha > 0: CutMix (Yun et al. 2019, section 3.1, (N, H, W, C) images): a box of the reversed batch
      is pasted into each image, its centre uniform over the image, its sides sqrt(1 - lam) of the image's
      (lam ~ Beta(alpha, alpha)), clipped at the borders; the labels are weighted by the pasted area, so lam is
      recomputed from the clipped box. With both alphas > 0, each batch takes one of the two with probability
      1/2 (the DeiT recipe, Touvron et al. 2021: mixup 0.8, CutMix 1.0).
    """

    num_classes: int
    loss: str = "softmax_cross_entropy"
    label_smoothing: float = 0.0
    rbf_j: float = 10.0
    mixup_alpha: float = 0.0
    cutmix_alpha: float = 0.0
    top_k: int = 0

    def __post_init__(self):
        if self.loss not in LOSSES:
            raise ValueError(f"Unknown classification loss {self.loss!r}; choose one of {list(LOSSES)}.")
        for name in ("mixup_alpha", "cutmix_alpha"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0 (0 is off); got {getattr(self, name)}.")
            if getattr(self, name) and self.loss != "softmax_cross_entropy":
                raise ValueError(f"{name} needs loss='softmax_cross_entropy' (it trains on mixed soft labels).")

    def example_inputs(self, split: dict) -> jax.Array:
        return split["image"][:1]

    def _loss_and_scores(self, outputs: jax.Array, labels: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Per-example loss (batch,) and class scores (batch, classes), higher = more likely."""
        one_hot = jax.nn.one_hot(labels, self.num_classes)
        if self.loss == "softmax_cross_entropy":
            targets = optax.smooth_labels(one_hot, self.label_smoothing) if self.label_smoothing else one_hot
            return optax.softmax_cross_entropy(outputs, targets), outputs
        if self.loss == "mse_tanh_targets":
            return jnp.mean((outputs - (2.0 * one_hot - 1.0)) ** 2, axis=-1), outputs
        # rbf_map
        rubbish = jnp.full(outputs.shape[:-1] + (1,), self.rbf_j, outputs.dtype)
        logits = -jnp.concatenate([outputs, rubbish], axis=-1)
        true_penalty = jnp.sum(outputs * one_hot, axis=-1)
        return true_penalty + jax.nn.logsumexp(logits, axis=-1), -outputs

    def output_curvature(self) -> float:
        """The Gauss-Newton second derivative of the per-example loss in each unit where SDLM's curvature estimate
        starts (LeCun et al. 1998, Appendix C; train/sdlm.py): mse_tanh_targets, a mean of squares over the
        outputs: 2 / classes; rbf_map: 2, the true class's penalty, a squared distance in the F6 units the estimate
        starts from (eq. 7; the log-sum-exp term of eq. 9 is left out)."""
        if self.loss == "mse_tanh_targets":
            return 2.0 / self.num_classes
        if self.loss == "rbf_map":
            return 2.0
        raise ValueError(f"SDLM's curvature needs a squared-error loss (mse_tanh_targets or rbf_map); the loss is "
                         f"{self.loss!r}. Choose another optimizer (sgd, adam, adamw, alexnet_sgd).")

    def _sums(self, loss, scores, labels, mask) -> dict[str, jax.Array]:
        correct = (jnp.argmax(scores, axis=-1) == labels).astype(jnp.float32)
        sums = {"loss": jnp.sum(loss * mask), "correct": jnp.sum(correct * mask), "count": jnp.sum(mask)}
        if self.top_k:
            in_top_k = jnp.any(jax.lax.top_k(scores, self.top_k)[1] == labels[:, None], axis=-1)
            sums[f"correct_top{self.top_k}"] = jnp.sum(in_top_k.astype(jnp.float32) * mask)
        return sums

    def _mixup(self, images: jax.Array, rng: jax.Array) -> tuple[jax.Array, jax.Array]:
        lam = jax.random.beta(rng, self.mixup_alpha, self.mixup_alpha)
        return (lam * images + (1.0 - lam) * images[::-1]).astype(images.dtype), lam  # bfloat16 stays so

    def _cutmix(self, images: jax.Array, rng: jax.Array) -> tuple[jax.Array, jax.Array]:
        lam_rng, centre_rng = jax.random.split(rng)
        height, width = images.shape[1:3]
        side = jnp.sqrt(1.0 - jax.random.beta(lam_rng, self.cutmix_alpha, self.cutmix_alpha))
        half_h, half_w = (height * side).astype(jnp.int32) // 2, (width * side).astype(jnp.int32) // 2
        centre_y, centre_x = jax.random.randint(centre_rng, (2,), 0, jnp.array([height, width]))
        top, bottom = jnp.clip(centre_y - half_h, 0, height), jnp.clip(centre_y + half_h, 0, height)
        left, right = jnp.clip(centre_x - half_w, 0, width), jnp.clip(centre_x + half_w, 0, width)
        rows, columns = jnp.arange(height)[:, None], jnp.arange(width)[None, :]
        box = (rows >= top) & (rows < bottom) & (columns >= left) & (columns < right)
        lam = 1.0 - (bottom - top) * (right - left) / (height * width)
        return jnp.where(box[None, :, :, None], images[::-1], images), lam

    def _mix(self, images: jax.Array, rng: jax.Array) -> tuple[jax.Array, jax.Array]:
        """(mixed images, lam): the batch mixed with itself reversed; lam weighs the images' own labels."""
        if not self.cutmix_alpha:
            return self._mixup(images, rng)
        if not self.mixup_alpha:
            return self._cutmix(images, rng)
        choice_rng, mix_rng = jax.random.split(rng)
        return jax.lax.cond(jax.random.bernoulli(choice_rng), self._cutmix, self._mixup, images, mix_rng)

    def train_loss(self, model: nn.Module, params, model_state, batch, rng):
        """(mean loss, (metric sums, new model state)) for one training batch."""
        images, labels = batch["image"], batch["label"]
        mixing = bool(self.mixup_alpha or self.cutmix_alpha)
        if mixing:
            rng, mix_rng = jax.random.split(rng)
            images, lam = self._mix(images, mix_rng)
        outputs, new_model_state = apply_for_training(model, params, model_state, images, rng=rng)
        if mixing:
            one_hot = jax.nn.one_hot(labels, self.num_classes)
            targets = lam * one_hot + (1.0 - lam) * one_hot[::-1]
            if self.label_smoothing:
                targets = optax.smooth_labels(targets, self.label_smoothing)
            loss, scores = optax.softmax_cross_entropy(outputs, targets), outputs
            labels = jnp.where(lam >= 0.5, labels, labels[::-1])
        else:
            loss, scores = self._loss_and_scores(outputs, labels)
        mask = jnp.ones_like(loss)
        return jnp.mean(loss), (self._sums(loss, scores, labels, mask), new_model_state)

    def eval_sums(self, model: nn.Module, variables, batch, mask) -> dict[str, jax.Array]:
        """Metric sums over the examples of `batch` whose mask is 1 (padding examples have mask 0)."""
        if "views" in batch:
            views = batch["views"]
            outputs = model.apply(variables, views.reshape(-1, *views.shape[2:]), train=False)
            outputs = outputs.reshape(*views.shape[:2], -1)
            if self.loss == "softmax_cross_entropy":  # log of the mean softmax: a softmax of it gives that mean
                outputs = jnp.log(jnp.mean(jax.nn.softmax(outputs), axis=1))
            else:
                outputs = jnp.mean(outputs, axis=1)
        else:
            outputs = model.apply(variables, batch["image"], train=False)
        loss, scores = self._loss_and_scores(outputs, batch["label"])
        return self._sums(loss, scores, batch["label"], mask)

    @staticmethod
    def summarize(sums: dict) -> dict[str, float]:
        count = max(float(sums["count"]), 1.0)
        accuracy = float(sums["correct"]) / count
        metrics = {
            "loss": float(sums["loss"]) / count, "accuracy": accuracy, "error": 1.0 - accuracy,
            "examples": float(sums["count"]),
        }
        for key in sums:
            if key.startswith("correct_top"):
                metrics[f"{key.removeprefix('correct_')}_error"] = 1.0 - float(sums[key]) / count
        return metrics
