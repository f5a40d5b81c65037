"""Every duration in a config may be given in steps or in epochs; this is the one place that resolves them."""

from collections.abc import Mapping


def to_steps(config: Mapping, prefix: str, steps_per_epoch: int, default: int | None = None) -> int:
    """Reads `<prefix>_steps` or `<prefix>_epochs` (at most one non-zero, none negative) and returns a number of
    steps.

    Epochs may be fractional; they round to the nearest step (at least 1).
    """
    steps = config.get(f"{prefix}_steps", 0) or 0
    epochs = config.get(f"{prefix}_epochs", 0) or 0
    if steps and epochs:
        raise ValueError(f"Give {prefix}_steps or {prefix}_epochs, not both ({steps} and {epochs}).")
    if steps < 0 or epochs < 0:
        raise ValueError(f"{prefix}_steps / {prefix}_epochs must be positive (0: unset); got {steps} and {epochs}.")
    if steps:
        return int(steps)
    if epochs:
        return max(1, round(epochs * steps_per_epoch))
    if default is None:
        raise ValueError(f"The config needs {prefix}_steps or {prefix}_epochs.")
    return default


def list_to_steps(config: Mapping, prefix: str, steps_per_epoch: int) -> list[int]:
    """As `to_steps` for a list-valued duration such as `boundaries_epochs`."""
    steps = list(config.get(f"{prefix}_steps", ()) or ())
    epochs = list(config.get(f"{prefix}_epochs", ()) or ())
    if steps and epochs:
        raise ValueError(f"Give {prefix}_steps or {prefix}_epochs, not both.")
    return [int(s) for s in steps] or [round(e * steps_per_epoch) for e in epochs]
