"""SIGTERM (what SLURM, Kubernetes and preemptible cloud VMs send before they stop a job) as a request to save a
checkpoint and stop at the next chunk boundary; the same command then resumes from it."""

import signal
import threading

import jax
import numpy as np
from jax.experimental import multihost_utils


class Preempted(Exception):
    """Training stopped early on request, after saving a checkpoint (rerun the same command to resume)."""


class StopRequests:
    """Context manager that turns SIGTERM into a flag and restores the previous handler on exit.

    `requested()` is True on every process once any process has been signalled, so all stop at the same step
    (a process that stopped alone would leave the others waiting in a collective).
    """

    def __init__(self):
        self._signalled = False
        self._previous = None

    def __enter__(self):
        # Signal handlers can only be installed from the main thread (e.g. not from a notebook's worker thread).
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGTERM, self._handle)
        return self

    def _handle(self, signum, frame):
        self._signalled = True

    def requested(self) -> bool:
        if jax.process_count() == 1:
            return self._signalled
        flags = multihost_utils.process_allgather(np.array(self._signalled))
        return bool(np.any(flags))

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)
        return False
