"""Console progress: step, loss, examples/s and ETA, plus evaluation lines and the comparison with the
config's reference figures (the paper's, a target or a baseline)."""

import time
from collections.abc import Mapping

from absl import logging


def _value(name: str, value: float) -> str:
    """Errors and accuracies as percentages, the way the papers print them."""
    if name.endswith(("error", "accuracy")):
        return f"{100 * value:.2f}%"
    return f"{value:.4g}"


def _format(name: str, value: float) -> str:
    return f"{name} {_value(name, value)}"


class Progress:
    def __init__(self, total_steps: int, batch_size: int, first_step: int):
        self.total_steps = total_steps
        self.batch_size = batch_size
        self._start = time.perf_counter()
        self._last_time, self._last_step = self._start, first_step
        self._steady_time, self._steady_steps = 0.0, 0  # excludes the first chunk, which includes compilation

    def train_line(self, step: int, metrics: Mapping[str, float]) -> dict[str, float]:
        now = time.perf_counter()
        steps, seconds = step - self._last_step, now - self._last_time
        if self._last_time != self._start:
            self._steady_time, self._steady_steps = self._steady_time + seconds, self._steady_steps + steps
        per_step = self._steady_time / self._steady_steps if self._steady_steps else seconds / max(steps, 1)
        examples_per_second = steps * self.batch_size / max(seconds, 1e-9)
        eta = per_step * (self.total_steps - step)
        self._last_time, self._last_step = now, step
        logging.info(
            "step %d/%d  %s  %.0f examples/s  ETA %s", step, self.total_steps,
            "  ".join(_format(k, v) for k, v in metrics.items()), examples_per_second, _duration(eta),
        )
        # elapsed_seconds counts from the start of this process's training (a resumed run starts again at 0).
        return {"examples_per_second": examples_per_second, "elapsed_seconds": now - self._start}

    def eval_line(self, step: int, split: str, metrics: Mapping[str, float]) -> None:
        logging.info("step %d  eval %s: %s", step, split,
                     "  ".join(_format(k, v) for k, v in metrics.items() if k != "examples"))

    def elapsed(self) -> float:
        return time.perf_counter() - self._start


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def applicable_reference(config: Mapping) -> dict[str, float]:
    """The config's reference figures (`configs.base.set_reference`), or none when the run trains on a dataset
    other than the one they are for (e.g. `--config.data.name=fashion_mnist` on an MNIST config)."""
    reference = dict(config.get("reference", {}))
    dataset = config.get("reference_dataset", "")
    if reference and dataset and dataset != config["data"]["name"]:
        logging.info("No %s figures to compare with: the config's are for %s, and this run trained on %s.",
                     config.get("reference_kind", "paper"), dataset, config["data"]["name"])
        return {}
    return reference


def compare_with_reference(reference: Mapping[str, float], final: Mapping[str, float], kind: str = "paper") -> str:
    """A small table of the reference figures (`kind`: paper, target or baseline) beside ours."""
    lines = [f"metric         {kind:>8}      ours"]
    for name, figure in reference.items():
        ours = final.get(name)
        shown = "missing" if ours is None else _value(name, ours)
        lines.append(f"{name:<16} {_value(name, figure):>7}  {shown:>8}")
    return "\n".join(lines)
