"""Optimisers from config with optax. The per-epoch hook lets an optimiser refresh state from data (SDLM)."""

import dataclasses
from collections.abc import Mapping

import optax

from train import sdlm

OPTIMIZERS = ("sgd", "alexnet_sgd", "adam", "adamw", "sdlm")
# SDLM's estimates of the diagonal second derivatives (train/sdlm.py): the paper's, or the exact Gauss-Newton one.
CURVATURES = ("backpropagated", "gauss_newton")


@dataclasses.dataclass(frozen=True)
class Optimizer:
    """An optax transformation plus what the train step must do for it at the start of every epoch.

    curvature_samples > 0: re-estimate the SDLM curvature on that many training examples before each pass
    (LeCun et al. 1998: 500 patterns), by `curvature`: "backpropagated" (the paper's, through the model's CHAIN
    of layers, from a squared error on its last layer: LeNet-5's F6) or "gauss_newton" (the exact diagonal, from
    the squared error of `model.<curvature_method>`).
    """

    tx: optax.GradientTransformation
    curvature_samples: int = 0
    curvature: str = "gauss_newton"
    curvature_method: str = "__call__"


def build(config: Mapping, schedule: optax.Schedule) -> Optimizer:
    """Fields: name; momentum, nesterov (sgd, alexnet_sgd); weight_decay; b1, b2, eps (adam, adamw); mu,
    curvature_samples, curvature, curvature_method (sdlm); grad_clip_norm (0 = off)."""
    name = config.get("name", "sgd")
    _check_ranges(config)
    weight_decay = config.get("weight_decay", 0.0)
    momentum = config.get("momentum", 0.0)
    curvature_samples, curvature, curvature_method = 0, "gauss_newton", "__call__"
    if name == "sgd":
        # PyTorch-style: v <- mu v + (g + wd w); w <- w - lr v.
        tx = optax.chain(
            optax.add_decayed_weights(weight_decay),
            optax.sgd(schedule, momentum or None, nesterov=config.get("nesterov", False)),
        )
    elif name == "alexnet_sgd":
        # Krizhevsky et al. 2012, section 5: v <- 0.9 v - 0.0005 eps w - eps g; w <- w + v. The learning rate
        # sits inside the momentum buffer, so a schedule change does not rescale past velocity.
        tx = optax.chain(
            optax.add_decayed_weights(weight_decay),
            optax.scale_by_learning_rate(schedule),
            optax.trace(decay=momentum),
        )
    elif name in ("adam", "adamw"):
        kwargs = dict(b1=config.get("b1", 0.9), b2=config.get("b2", 0.999), eps=config.get("eps", 1e-8))
        if name == "adamw":
            tx = optax.adamw(schedule, weight_decay=weight_decay, **kwargs)
        else:  # Adam with classic L2 regularisation added to the gradient.
            tx = optax.chain(optax.add_decayed_weights(weight_decay), optax.adam(schedule, **kwargs))
    elif name == "sdlm":
        if weight_decay:
            raise ValueError("sdlm has no weight decay in LeCun et al. 1998; set optimizer.weight_decay=0.")
        tx = sdlm.sdlm(schedule, mu=config.get("mu", 0.02))
        curvature_samples = config.get("curvature_samples", 500)
        curvature = config.get("curvature", "gauss_newton")
        if curvature not in CURVATURES:
            raise ValueError(f"Unknown optimizer.curvature {curvature!r}; choose one of {list(CURVATURES)}.")
        curvature_method = config.get("curvature_method", "__call__")
    else:
        raise ValueError(f"Unknown optimizer {name!r}; choose one of {list(OPTIMIZERS)}.")
    clip = config.get("grad_clip_norm", 0.0)
    if clip:
        tx = optax.chain(optax.clip_by_global_norm(clip), tx)
    return Optimizer(tx, curvature_samples, curvature, curvature_method)


# The fields' valid ranges, as (low, high, high_included); a value outside is a typo, never a recipe.
_RANGES = {"momentum": (0.0, 1.0, False), "b1": (0.0, 1.0, False), "b2": (0.0, 1.0, False),
           "weight_decay": (0.0, float("inf"), True), "eps": (0.0, float("inf"), True),
           "mu": (0.0, float("inf"), True), "curvature_samples": (0, float("inf"), True),
           "grad_clip_norm": (0.0, float("inf"), True)}


def _check_ranges(config: Mapping) -> None:
    for field, (low, high, high_included) in _RANGES.items():
        value = config.get(field, low)
        if not (low <= value <= high if high_included else low <= value < high):
            bracket = "]" if high_included else ")"
            raise ValueError(f"optimizer.{field}={value} is outside [{low}, {high}{bracket}.")
