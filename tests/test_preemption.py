"""Preemption, on real training subprocesses: SIGTERM saves a checkpoint and exits cleanly, SIGKILL loses only
what came after the last checkpoint, and either way the same command resumes and ends exactly where an
uninterrupted run ends."""

import json
import os
import signal
import time

from tests.launching import finish, launch, records

# 40 epochs of 2 steps, logged every step: many short chunks, so a signal lands mid-run.
CONFIG = "configs/mlp.py:smoke,dataset=usps"
FLAGS = ("--config.train_epochs=40", "--config.log_every_steps=1")


def _wait_for_step(process, workdir, step: int) -> None:
    deadline = time.time() + 120
    while not any(r["step"] >= step for r in records(workdir)):
        assert process.poll() is None, process.communicate()[0][-3000:]
        assert time.time() < deadline, "training did not reach the step in time"
        time.sleep(0.05)


def _final(workdir) -> dict:
    with open(os.path.join(workdir, "summary.json")) as f:
        return json.load(f)["final"]


def test_sigterm_and_sigkill_resume_to_the_uninterrupted_result(tmp_path):
    uninterrupted = launch(CONFIG, tmp_path / "uninterrupted", *FLAGS)
    stopped = launch(CONFIG, tmp_path / "stopped", *FLAGS)
    _wait_for_step(stopped, tmp_path / "stopped", 5)
    stopped.send_signal(signal.SIGTERM)
    output = finish(stopped)  # status 0
    assert "Stopped by SIGTERM at step" in output
    assert not os.path.exists(tmp_path / "stopped" / "summary.json")
    stopped_at = records(tmp_path / "stopped")[-1]["step"]
    assert stopped_at < 80 and str(stopped_at) in os.listdir(tmp_path / "stopped" / "checkpoints")

    killed = launch(CONFIG, tmp_path / "killed", *FLAGS)
    _wait_for_step(killed, tmp_path / "killed", 9)
    killed.kill()
    killed.wait()
    assert not os.path.exists(tmp_path / "killed" / "summary.json")

    resumed = [launch(CONFIG, tmp_path / name, *FLAGS) for name in ("stopped", "killed")]
    assert "Resumed from the checkpoint at step" in finish(resumed[0])
    assert "Resumed from the checkpoint at step" in finish(resumed[1])
    finish(uninterrupted)
    expected = _final(tmp_path / "uninterrupted")
    for name in ("stopped", "killed"):
        final = _final(tmp_path / name)
        assert final["step"] == expected["step"] == 80
        for key in ("test/loss", "test/error", "training/loss"):
            assert final[key] == expected[key], (name, key)
