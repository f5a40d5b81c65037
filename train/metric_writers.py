"""Where results go: metrics.jsonl, TensorBoard events, config.json and summary.json in the workdir.

Only process 0 writes, so a multi-host run leaves one copy of each.
"""

import json
import math
import os
import sys
from collections.abc import Mapping
from concurrent import futures

import jax
import numpy as np
from absl import logging


def _plain(value):
    value = float(value)
    return value if math.isfinite(value) else str(value)


def _import_summary_writer():
    """tensorboardX's SummaryWriter, imported without torch. tensorboardX imports torch whenever it is installed
    (as beside the PyTorch benchmarks), only to accept torch tensors, which we never pass: 1.6 s of import on a
    2-core machine that is compiling and training, and about 0.4 s more to tear torch down at exit (measured on
    the LeCun 1989 benchmark). A module set to None in sys.modules makes `import torch` raise ImportError, which
    tensorboardX takes as "not installed". The mask lasts only this import (about 0.1 s), and never replaces a
    torch already imported; torch stays importable afterwards."""
    if "tensorboardX" in sys.modules or "torch" in sys.modules:
        from tensorboardX import SummaryWriter

        return SummaryWriter
    sys.modules["torch"] = None
    try:
        from tensorboardX import SummaryWriter
    finally:
        del sys.modules["torch"]
    return SummaryWriter


class MetricWriter:
    """Appends every record to metrics.jsonl at once; TensorBoard events are written, in order, by a background
    thread, so opening TensorBoard never delays training."""

    def __init__(self, workdir: str, resume_step: int = 0):
        """`resume_step`: the step training resumes from; the records after it are dropped (see `_truncate`)."""
        self._active = jax.process_index() == 0
        if not self._active:
            return
        os.makedirs(workdir, exist_ok=True)
        path = os.path.join(workdir, "metrics.jsonl")
        _truncate(path, resume_step)
        self._jsonl = open(path, "a")  # noqa: SIM115 (kept open for the run)
        self._background = futures.ThreadPoolExecutor(1, thread_name_prefix="tensorboard")
        self._tensorboard = self._background.submit(_import_summary_writer(), os.path.join(workdir, "tensorboard"))
        self._pending = [self._tensorboard]

    def write(self, step: int, metrics: Mapping[str, float]) -> None:
        if not self._active:
            return
        scalars = {k: float(v) for k, v in metrics.items()}
        record = {"step": int(step), **{k: _plain(v) for k, v in scalars.items()}}
        self._jsonl.write(json.dumps(record) + "\n")
        self._jsonl.flush()
        self._pending.append(self._background.submit(self._write_tensorboard, int(step), scalars))

    def _write_tensorboard(self, step: int, scalars: Mapping[str, float]) -> None:
        writer = self._tensorboard.result()
        for key, value in scalars.items():
            writer.add_scalar(key, value, step)
        writer.flush()

    def close(self) -> None:
        """Waits for the pending TensorBoard writes (re-raising any error of theirs) and closes both files."""
        if self._active:
            self._jsonl.close()
            self._pending.append(self._background.submit(lambda: self._tensorboard.result().close()))
            self._background.shutdown()
            for pending in self._pending:
                pending.result()


def _truncate(path: str, step: int) -> None:
    """Keeps the records of metrics.jsonl up to `step`. A run resumed from its checkpoint at `step` logs the
    steps after it again, so a run killed after logging them would otherwise hold those steps twice; and a kill
    during a write can leave a last record cut short, which no reader could parse."""
    if not os.path.exists(path):
        return
    with open(path) as f:
        lines = f.readlines()
    kept = []
    for line in lines:
        try:
            if line.endswith("\n") and json.loads(line)["step"] <= step:
                kept.append(line)
        except (ValueError, KeyError, TypeError):  # a record cut short or damaged: nothing to keep
            pass
    if len(kept) != len(lines):
        _replace(path, "".join(kept))


def _replace(path: str, text: str) -> None:
    """Writes `text` to `path` atomically: a kill leaves the old file or the new one, never a part."""
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def write_json(workdir: str, filename: str, content: Mapping) -> None:
    if jax.process_index() != 0:
        return
    os.makedirs(workdir, exist_ok=True)
    _replace(os.path.join(workdir, filename), json.dumps(content, indent=2, sort_keys=True, default=str) + "\n")


def write_config(workdir: str, config: Mapping, resumed_step: int) -> None:
    """config.json. A run resumed (from `resumed_step` > 0) under a config that differs from the one that wrote
    its workdir logs a warning naming the changed fields, and keeps the earlier file as
    config_until_step_<step>.json, so the run's record says which settings trained which steps."""
    path = os.path.join(workdir, "config.json")
    if resumed_step and jax.process_index() == 0 and os.path.exists(path):
        with open(path) as f:
            before = _flat(json.load(f))
        after = _flat(json.loads(json.dumps(dict(config), default=str)))
        changed = [f"{k}: {before.get(k, 'absent')} -> {after.get(k, 'absent')}"
                   for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)]
        if changed:
            earlier = f"config_until_step_{resumed_step}.json"
            os.replace(path, os.path.join(workdir, earlier))
            logging.warning("Resuming at step %d under a changed config (%s); the earlier one is kept as %s.",
                            resumed_step, "; ".join(changed), earlier)
    write_json(workdir, "config.json", config)


def _flat(tree: Mapping, prefix: str = "") -> dict:
    flat = {}
    for key, value in tree.items():
        if isinstance(value, Mapping):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


UNLOGGED_SUMS = "unlogged_sums.json"


def save_unlogged_sums(workdir: str, step: int, sums: Mapping) -> None:
    """The training sums of a logging interval cut short by a stop at `step` (saved with its checkpoint), so the
    resumed run logs that interval's metrics over all of its steps, not only those after the resume."""
    write_json(workdir, UNLOGGED_SUMS, {"step": int(step), "sums": {k: float(v) for k, v in sums.items()}})


def load_unlogged_sums(workdir: str, step: int) -> dict | None:
    """The sums `save_unlogged_sums` left for a resume at `step`, or None (none saved, or for another step)."""
    path = os.path.join(workdir, UNLOGGED_SUMS)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        saved = json.load(f)
    return {k: np.float64(v) for k, v in saved["sums"].items()} if saved["step"] == step else None


def read_metrics(workdir: str) -> list[dict]:
    """All records of a run's metrics.jsonl (for notebooks and tests)."""
    with open(os.path.join(workdir, "metrics.jsonl")) as f:
        return [json.loads(line) for line in f if line.strip()]
