"""Helpers for tests that run `launch.py` as a real subprocess (multi-host, preemption, sweeps)."""

import json
import os
import subprocess
import sys

from tests.conftest import REPO


def env(devices: int = 1) -> dict:
    """The environment of a child process with `devices` fake CPU devices."""
    child = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    child.update(JAX_PLATFORMS="cpu", XLA_FLAGS=f"--xla_force_host_platform_device_count={devices}")
    return child


def launch(config: str, workdir, *flags: str, devices: int = 1, mock_tfds_examples: int = 0) -> subprocess.Popen:
    """`launch.py` in a child process; with `mock_tfds_examples`, under tfds mock data (tests/mock_tfds_launch.py)."""
    script = ["tests/mock_tfds_launch.py", str(mock_tfds_examples)] if mock_tfds_examples else ["launch.py"]
    command = [sys.executable, *script, f"--config={config}", f"--workdir={workdir}", *flags]
    return subprocess.Popen(command, cwd=REPO, env=env(devices), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def finish(process: subprocess.Popen, expect_status: int = 0) -> str:
    output, _ = process.communicate(timeout=300)
    assert process.returncode == expect_status, output[-3000:]
    return output


def records(workdir) -> list[dict]:
    path = os.path.join(workdir, "metrics.jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.endswith("\n")]
