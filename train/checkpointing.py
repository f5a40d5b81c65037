"""Orbax `CheckpointManager` with automatic resume and a loud fallback past a corrupt latest checkpoint."""

import logging as std_logging
import os
import shutil

import jax
import orbax.checkpoint as ocp
from absl import logging


class _QuietOrbax(std_logging.Filter):
    """Orbax narrates every save at INFO through absl's logger; keep the console for training progress."""

    def filter(self, record: std_logging.LogRecord) -> bool:
        return record.levelno >= std_logging.WARNING or "orbax" not in record.pathname


std_logging.getLogger("absl").addFilter(_QuietOrbax())


class Checkpointer:
    """Saves the train state under `directory/<step>` and restores the newest one that reads back.

    A checkpoint that fails to restore (truncated, overwritten) is moved aside to
    `directory/../corrupt_checkpoints/<step>` with an error in the log, and the previous one is tried. One that
    reads back but holds another train state (parameter or optimizer-state names or shapes) than the config
    being trained is a clear error instead, and nothing is moved: the workdir belongs to another config (model or
    optimizer) or an older build of the model, and training over it from scratch would bury its run.
    """

    def __init__(self, directory: str, max_to_keep: int = 3):
        self.directory = os.path.abspath(directory)
        self.max_to_keep = max_to_keep
        self._manager = self._open()

    def _open(self) -> ocp.CheckpointManager:
        options = ocp.CheckpointManagerOptions(max_to_keep=self.max_to_keep, create=True)
        return ocp.CheckpointManager(self.directory, options=options, item_handlers=ocp.StandardCheckpointHandler())

    def save(self, step: int, state) -> None:
        """Asynchronous save; `wait()` or the next save waits for it."""
        self._manager.save(step, args=ocp.args.StandardSave(state), force=True)

    def wait(self) -> None:
        self._manager.wait_until_finished()

    def restore_latest(self, abstract_state):
        """The newest readable checkpoint restored into `abstract_state`'s shapes and shardings, or None."""
        for step in sorted(self._manager.all_steps(), reverse=True):
            try:
                stored = _leaf_shapes(self._manager.item_metadata(step))
            except Exception as e:  # Orbax raises many types for unreadable data; all mean the same here.
                self._set_aside(step, e)
                continue
            self._check_same_state(step, stored, _leaf_shapes(abstract_state))
            try:
                return self._manager.restore(step, args=ocp.args.StandardRestore(abstract_state))
            except Exception as e:
                self._set_aside(step, e)
        return None

    def _check_same_state(self, step: int, stored: dict, expected: dict) -> None:
        if stored == expected:
            return
        differences = [f"{path}: checkpoint {stored.get(path, 'absent')}, this config {expected.get(path, 'absent')}"
                       for path in sorted(set(stored) | set(expected)) if stored.get(path) != expected.get(path)]
        what = "parameters than this model" if any(d.startswith("params") for d in differences) else (
            "optimizer state than this config's optimizer")
        raise ValueError(
            f"The checkpoint at step {step} in {self.directory} holds other {what} "
            f"({len(differences)} differ: {'; '.join(differences[:4])}{' ...' if len(differences) > 4 else ''}). "
            "It was written by another config or an older build of the model. Use a new --workdir, or the "
            "config and build that wrote this one."
        )

    def _set_aside(self, step: int, error: Exception) -> None:
        corrupt_dir = os.path.join(os.path.dirname(self.directory), "corrupt_checkpoints")
        os.makedirs(corrupt_dir, exist_ok=True)
        target = os.path.join(corrupt_dir, str(step))
        shutil.rmtree(target, ignore_errors=True)
        shutil.move(os.path.join(self.directory, str(step)), target)
        logging.error(
            "Checkpoint at step %d in %s cannot be restored (%s: %s). Moved it to %s and falling back to the "
            "previous checkpoint.", step, self.directory, type(error).__name__, str(error)[:500], target,
        )
        self._manager.close()
        self._manager = self._open()

    def latest_step(self) -> int | None:
        return self._manager.latest_step()

    def close(self) -> None:
        self._manager.wait_until_finished()
        self._manager.close()


def _leaf_shapes(tree) -> dict[str, tuple[int, ...]]:
    """{path: shape} of a train state (arrays, abstract arrays or Orbax's stored metadata). Paths are written the
    same whether a node is a dataclass, a named tuple or a dict (Orbax stores the first two as dicts):
    "params/H1/kernel", "opt_state/0/mu/H1/kernel"."""
    def name(key) -> str:
        for attribute in ("key", "name", "idx"):
            if hasattr(key, attribute):
                return str(getattr(key, attribute))
        return str(key)

    return {"/".join(name(k) for k in path): tuple(leaf.shape)
            for path, leaf in jax.tree_util.tree_leaves_with_path(tree)}
