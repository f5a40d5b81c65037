"""Multi-host training, rehearsed on one machine: 2 processes x 2 CPU devices talking over loopback (gloo) must
train exactly as 1 process x 4 devices, each process holding only its devices' share of the data."""

import json
import os
import socket
import subprocess
import sys

import numpy as np

from tests.conftest import REPO

CONFIG = "configs/mlp.py:smoke,dataset=usps"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(devices_per_process: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    env.update(JAX_PLATFORMS="cpu", XLA_FLAGS=f"--xla_force_host_platform_device_count={devices_per_process}")
    return env


def _launch(workdir, process_id=None, port=None, devices=4):
    command = [sys.executable, "launch.py", f"--config={CONFIG}", f"--workdir={workdir}"]
    if process_id is not None:
        command += ["--jax_distributed", f"--coordinator_address=127.0.0.1:{port}", "--num_processes=2",
                    f"--process_id={process_id}"]
    return subprocess.Popen(command, cwd=REPO, env=_env(devices), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _finish(process) -> str:
    output, _ = process.communicate(timeout=300)
    assert process.returncode == 0, output[-3000:]
    return output


def _records(workdir) -> list[dict]:
    with open(os.path.join(workdir, "metrics.jsonl")) as f:
        return [json.loads(line) for line in f]


def test_two_processes_of_two_devices_train_like_one_process_of_four(tmp_path):
    single = _launch(tmp_path / "single")
    _finish(single)
    port = _free_port()
    processes = [_launch(tmp_path / "multi", process_id=i, port=port, devices=2) for i in range(2)]
    outputs = [_finish(process) for process in processes]
    assert "Mesh of 4 device(s) over 2 process(es); this is process 1 with 2 of them." in outputs[1]

    single_records, multi_records = _records(tmp_path / "single"), _records(tmp_path / "multi")
    # One copy of the metrics (process 0 writes), the same steps, the same numbers.
    assert [r["step"] for r in multi_records] == [r["step"] for r in single_records]
    for a, b in zip(single_records, multi_records, strict=True):
        for key in ("training/loss", "test/loss", "test/error"):
            if key in a:
                np.testing.assert_allclose(b[key], a[key], rtol=1e-5, err_msg=key)
    # One checkpoint, written by both processes together, at the final step.
    assert "4" in os.listdir(tmp_path / "multi" / "checkpoints")
