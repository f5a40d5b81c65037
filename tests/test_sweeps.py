"""Sweeps: declared in a config, run here one after another (skipping finished runs) or printed as launch
commands, and collected from the runs' metrics.jsonl into one table."""

import csv
import importlib
import io
import json
import shlex
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import CONFIG_NAMES, REPO
from tests.launching import env
from train import collect, sweep


def _sweep(*flags: str) -> str:
    result = subprocess.run([sys.executable, "-m", "train.sweep", *flags], cwd=REPO, env=env(), text=True,
                            capture_output=True, timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    return result.stdout


def test_a_sweep_runs_skips_finished_runs_and_collects_into_a_table(tmp_path):
    flags = ("--config=configs/lecun1989.py:smoke", f"--workdir={tmp_path}")
    printed = _sweep(*flags, "--print_commands").splitlines()
    assert len(printed) == 3
    assert shlex.split(printed[1])[:3] == ["python", "launch.py", "--config=configs/lecun1989.py:smoke"]
    assert f"--workdir={tmp_path}/seed=1" in printed[1] and "--config.seed=1" in printed[1]

    first = _sweep(*flags)
    assert first.count("finished already") == 0
    assert _sweep(*flags).count("finished already") == 3

    header, rows = collect.table([str(tmp_path)], ["test/error", "step"])
    with pytest.raises(ValueError, match=r"logged \['test/eror'\]; logged metrics: \[.*'test/error'"):
        collect.table([str(tmp_path)], ["test/eror"])
    assert header == ["run", "seed", "test/error", "step"]
    assert [row[:2] for row in rows] == [["seed=0", 0], ["seed=1", 1], ["seed=2", 2]]
    for row in rows:
        with open(tmp_path / row[0] / "summary.json") as f:
            assert row[2] == json.load(f)["final"]["test/error"]
    assert len({row[2] for row in rows}) > 1  # the seeds differ
    markdown = collect.render(header, rows, "markdown")
    assert markdown.splitlines()[0] == "| run | seed | test/error | step |"
    assert f"{100 * rows[0][2]:.2f}%" in markdown
    parsed = list(csv.reader(io.StringIO(collect.render(header, rows, "csv"))))
    assert parsed[0] == header and len(parsed) == 4


def test_sweep_declarations_and_their_errors(tmp_path):
    ladder = sweep.plan("configs/translation.py:smoke", str(tmp_path), ["data.data_dir=d"])
    assert len(ladder) == 10 and ladder[0][0] == "model=rnn,direction=zh-en"
    assert ladder[0][2][2] == "--config=configs/translation.py:smoke,model=rnn,direction=zh-en"
    assert ladder[0][2][-1] == "--config.data.data_dir=d"
    with pytest.raises(ValueError, match="declares no sweep"):
        sweep.declared_runs("configs/mlp.py")
    with pytest.raises(FileNotFoundError, match="no_such.py"):
        sweep.declared_runs("configs/no_such.py")
    with pytest.raises(ValueError, match=r"--config.sed: the config has no field 'sed'\. Did you mean 'seed'"):
        sweep.plan("configs/lecun1989.py:smoke", str(tmp_path), ["sed=1"])  # before any run starts
    result = subprocess.run([sys.executable, "-m", "train.sweep", "--config=configs/lecun1989.py:smoke",
                             f"--workdir={tmp_path}", "--set=sed=1"], cwd=REPO, env=env(), text=True,
                            capture_output=True, timeout=300)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.stderr.startswith("[sweep] --config.sed: the config has no field 'sed'. Did you mean 'seed'?")
    with pytest.raises(FileNotFoundError, match="holds no run"):
        collect.table([str(tmp_path)], [])


@pytest.mark.parametrize("name", [
    n for n in CONFIG_NAMES if hasattr(importlib.import_module(f"configs.{n}"), "get_sweep")
])
def test_every_declared_sweep_plans_runs_of_valid_fields(name, tmp_path):
    planned = sweep.plan(f"configs/{name}.py", str(tmp_path), [])  # flag_checks.check on every run's command
    assert planned and all(command[:2] == ["python", "launch.py"] for _, _, command in planned)


def test_a_command_line_grid_sweeps_the_cartesian_product(tmp_path):
    planned = sweep.plan("configs/alexnet_fig1.py:epochs=6", str(tmp_path), ["data.data_dir=d"],
                         ["activation=relu,tanh", "learning_rate=0.01,0.03", "config.seed=0,1"])
    assert len(planned) == 8
    name, overrides, command = planned[1]
    assert name == "activation=relu,learning_rate=0.01,seed=1"
    assert overrides == {"config": "activation=relu,learning_rate=0.01", "seed": "1"}
    assert command[2] == "--config=configs/alexnet_fig1.py:epochs=6,activation=relu,learning_rate=0.01"
    assert command[3:] == [f"--workdir={tmp_path}/{name}", "--config.seed=1", "--config.data.data_dir=d"]
    assert [p[0] for p in planned[-2:]] == ["activation=tanh,learning_rate=0.03,seed=0",
                                            "activation=tanh,learning_rate=0.03,seed=1"]
    # A config without get_sweep can be swept by a grid; a malformed axis names the expected form.
    assert len(sweep.plan("configs/mlp.py", str(tmp_path), [], ["config.seed=0,1,2"])) == 3
    with pytest.raises(ValueError, match="expected key=v1,v2"):
        sweep.grid_runs(["learning_rate"])


def test_reach_reports_each_run_of_a_sweep(tmp_path):
    from train import reach

    for name, errors in (("fast", [0.4, 0.2, 0.1]), ("slow", [0.5, 0.3, 0.26])):
        (tmp_path / name).mkdir()
        with open(tmp_path / name / "metrics.jsonl", "w") as f:
            for epoch, error in enumerate(errors, 1):
                f.write(json.dumps({"step": 10 * epoch, "epoch": float(epoch), "training/error": error,
                                    "training/elapsed_seconds": 5.0 * epoch}) + "\n")
    fast, slow = reach.report([str(tmp_path)], "training/error", 0.25)
    assert fast == f"{tmp_path}/fast: training/error = 0.2000 < 0.25 at epoch 2, step 20, 10 s of training"
    assert slow == f"{tmp_path}/slow: training/error never went below 0.25 (logged to epoch 3)."
    with pytest.raises(ValueError, match="logged 'test/error'; logged metrics: .*training/error"):
        reach.report([str(tmp_path)], "test/error", 0.25)


def test_a_failed_run_does_not_stop_the_sweep(tmp_path):
    # The first learning rate overflows to NaN (the trainer stops it); the second trains to the end.
    result = subprocess.run(
        [sys.executable, "-m", "train.sweep", "--config=configs/lecun1989_modern.py:smoke", f"--workdir={tmp_path}",
         "--grid=config.schedule.learning_rate=1e30,0.003"],
        cwd=REPO, env=env(), text=True, capture_output=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert "schedule.learning_rate=1e30 failed" in output and "going on" in output
    assert "1 of 2 runs failed: schedule.learning_rate=1e30." in output
    assert "NonFiniteLossError" in output  # the failed run's own error is shown
    assert sweep.is_finished(str(tmp_path / "schedule.learning_rate=0.003"))
    assert not sweep.is_finished(str(tmp_path / "schedule.learning_rate=1e30"))


def test_sigterm_stops_the_sweep_however_the_run_in_progress_exits(tmp_path):
    # SIGTERM during the first run's start-up (before its trainer handles the signal, so it dies of it) must stop
    # the sweep, not count as a failed run and go on to the next.
    sweeping = subprocess.Popen(
        [sys.executable, "-m", "train.sweep", "--config=configs/lecun1989.py:smoke", f"--workdir={tmp_path}"],
        cwd=REPO, env=env(), text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    for line in sweeping.stdout:
        if line.startswith("[sweep] seed=0:"):
            break
    time.sleep(0.5)
    sweeping.send_signal(signal.SIGTERM)
    output = sweeping.communicate(timeout=300)[0]
    assert sweeping.returncode != 0
    assert "seed=0 stopped before the end (preempted)" in output
    assert "going on" not in output and not (tmp_path / "seed=1").exists()
