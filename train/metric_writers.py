"""Where results go: metrics.jsonl, TensorBoard events, config.json and summary.json in the workdir.

Only process 0 writes, so a multi-host run leaves one copy of each.
"""

import json
import math
import os
from collections.abc import Mapping

import jax


def _plain(value):
    value = float(value)
    return value if math.isfinite(value) else str(value)


class MetricWriter:
    def __init__(self, workdir: str):
        self._active = jax.process_index() == 0
        if not self._active:
            return
        os.makedirs(workdir, exist_ok=True)
        self._jsonl = open(os.path.join(workdir, "metrics.jsonl"), "a")  # noqa: SIM115 (kept open for the run)
        from tensorboardX import SummaryWriter

        self._tensorboard = SummaryWriter(os.path.join(workdir, "tensorboard"))

    def write(self, step: int, metrics: Mapping[str, float]) -> None:
        if not self._active:
            return
        record = {"step": int(step), **{k: _plain(v) for k, v in metrics.items()}}
        self._jsonl.write(json.dumps(record) + "\n")
        self._jsonl.flush()
        for key, value in metrics.items():
            self._tensorboard.add_scalar(key, float(value), int(step))
        self._tensorboard.flush()

    def close(self) -> None:
        if self._active:
            self._jsonl.close()
            self._tensorboard.close()


def write_json(workdir: str, filename: str, content: Mapping) -> None:
    if jax.process_index() != 0:
        return
    os.makedirs(workdir, exist_ok=True)
    with open(os.path.join(workdir, filename), "w") as f:
        json.dump(content, f, indent=2, sort_keys=True, default=str)
        f.write("\n")


def read_metrics(workdir: str) -> list[dict]:
    """All records of a run's metrics.jsonl (for notebooks and tests)."""
    with open(os.path.join(workdir, "metrics.jsonl")) as f:
        return [json.loads(line) for line in f if line.strip()]
