"""Multi-host training, rehearsed on one machine: 2 processes x 2 CPU devices talking over loopback (gloo) must
train exactly as 1 process x 4 devices, each process holding only its devices' share of the data."""

import os
import socket

import numpy as np
import pytest

from tests.launching import finish, launch, records

CONFIG = "configs/mlp.py:smoke,dataset=usps"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_of_two_devices_train_like_one_process_of_four(tmp_path):
    finish(launch(CONFIG, tmp_path / "single", devices=4))
    port = _free_port()
    processes = [
        launch(CONFIG, tmp_path / "multi", "--jax_distributed", f"--coordinator_address=127.0.0.1:{port}",
               "--num_processes=2", f"--process_id={i}", devices=2)
        for i in range(2)
    ]
    outputs = [finish(process) for process in processes]
    assert "Mesh of 4 device(s) over 2 process(es); this is process 1 with 2 of them." in outputs[1]

    single, multi = records(tmp_path / "single"), records(tmp_path / "multi")
    # One copy of the metrics (process 0 writes), the same steps, the same numbers.
    assert [r["step"] for r in multi] == [r["step"] for r in single]
    for a, b in zip(single, multi, strict=True):
        for key in ("training/loss", "test/loss", "test/error"):
            if key in a:
                np.testing.assert_allclose(b[key], a[key], rtol=1e-5, err_msg=key)
    # One checkpoint, written by both processes together, at the final step.
    assert "4" in os.listdir(tmp_path / "multi" / "checkpoints")


def test_two_processes_stream_their_shares_of_each_batch(tmp_path):
    # tfds mock data hands every process the whole (18-example) split, so each process's share is all of it:
    # the evaluation counting 2 x 18 examples shows both processes' shares assembled into every global batch.
    pytest.importorskip("tensorflow_datasets")
    port = _free_port()
    processes = [
        launch("configs/imagenet.py:smoke", tmp_path, "--jax_distributed", f"--coordinator_address=127.0.0.1:{port}",
               "--num_processes=2", f"--process_id={i}", devices=2, mock_tfds_examples=18)
        for i in range(2)
    ]
    outputs = [finish(process) for process in processes]
    assert "Mesh of 4 device(s) over 2 process(es); this is process 1 with 2 of them." in outputs[1]
    final = records(tmp_path)[-1]
    assert final["validation/examples"] == 36 and np.isfinite(final["validation/loss"])
    assert "8" in os.listdir(tmp_path / "checkpoints")  # 2 epochs of 16 examples in global batches of 4
