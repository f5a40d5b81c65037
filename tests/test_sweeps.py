"""Sweeps: declared in a config, run here one after another (skipping finished runs) or printed as launch
commands, and collected from the runs' metrics.jsonl into one table."""

import csv
import io
import json
import shlex
import subprocess
import sys

import pytest

from tests.conftest import REPO
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
    with pytest.raises(FileNotFoundError, match="holds no run"):
        collect.table([str(tmp_path)], [])
