"""Learning-rate schedules from config: constant, step (piecewise constant), cosine, each with optional linear
warmup; and the Transformer's inverse square root schedule, which has its own warmup."""

from collections.abc import Mapping

import jax.numpy as jnp
import optax

from train import durations

SCHEDULES = ("constant", "step", "cosine", "inverse_sqrt")


def build(config: Mapping, steps_per_epoch: int, total_steps: int) -> optax.Schedule:
    """Fields: name; learning_rate (constant, cosine peak); values + boundaries_steps|boundaries_epochs (step:
    len(values) == len(boundaries) + 1, e.g. LeNet-5's 5e-4, 2e-4, 1e-4, 5e-5, 1e-5 after 2, 5, 8, 12 passes);
    end_learning_rate (cosine); warmup_steps|warmup_epochs (linear from 0, before any schedule).

    inverse_sqrt: Vaswani et al. 2017, eq. 3, lrate = learning_rate * min(n^-0.5, n * warmup^-1.5) at step
    n = step + 1, with learning_rate = d_model^-0.5 in the paper (warmup 4,000)."""
    name = config.get("name", "constant")
    for field in ("learning_rate", "end_learning_rate"):
        if config.get(field, 0.0) < 0:
            raise ValueError(f"schedule.{field}={config[field]} must be >= 0.")
    warmup = durations.to_steps(config, "warmup", steps_per_epoch, default=0)
    if name == "inverse_sqrt":
        if not warmup:
            raise ValueError("The inverse_sqrt schedule needs warmup_steps or warmup_epochs.")
        scale = config["learning_rate"]
        return lambda step: scale * jnp.minimum((step + 1.0) ** -0.5, (step + 1.0) * warmup ** -1.5)
    if name == "constant":
        main = optax.constant_schedule(config["learning_rate"])
    elif name == "step":
        values = list(config["values"])
        boundaries = durations.list_to_steps(config, "boundaries", steps_per_epoch)
        if len(values) != len(boundaries) + 1:
            raise ValueError(
                f"Step schedule needs one more value than boundaries: {values} vs {boundaries}."
            )
        if min(values) <= 0 or list(boundaries) != sorted(set(boundaries)):
            # optax's piecewise schedule multiplies by each value's ratio to the one before.
            raise ValueError(f"Step schedule needs positive values and increasing boundaries; got {values} and "
                             f"{boundaries} (steps).")
        # Boundaries count from the start of training, warmup included.
        main = optax.piecewise_constant_schedule(
            values[0],
            {b - warmup: values[i + 1] / values[i] for i, b in enumerate(boundaries)},
        )
    elif name == "cosine":
        main = optax.cosine_decay_schedule(
            config["learning_rate"], max(1, total_steps - warmup),
            alpha=config.get("end_learning_rate", 0.0) / config["learning_rate"],
        )
    else:
        raise ValueError(f"Unknown schedule {name!r}; choose one of {list(SCHEDULES)}.")
    if not warmup:
        return main
    peak = main(0)
    return optax.join_schedules([optax.linear_schedule(0.0, peak, warmup), main], [warmup])
