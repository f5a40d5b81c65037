"""Every config builds, has the shared signature and a smoke shrink; the argument parser's errors."""

import glob
import importlib
import os
import subprocess
import sys

import pytest
from conftest import CONFIG_NAMES, REPO

from configs import arguments, base
from train import progress


@pytest.mark.parametrize("name", CONFIG_NAMES)
def test_config_signature_docstring_and_smoke(name):
    module = importlib.import_module(f"configs.{name}")
    for word in ("python launch.py", "smoke"):
        assert word in module.__doc__, f"configs/{name}.py docstring lacks {word!r}"
    # The number to expect: an error rate or accuracy, or a stated target (an MSE, a cross-entropy).
    assert any(word in module.__doc__ for word in ("%", "Target", "Expected")), f"configs/{name}.py: no number"
    full, smoke = module.get_config(), module.get_config("smoke")
    assert full.train_epochs + full.train_steps > 0 and smoke.data.num_train > 0
    assert smoke.train_epochs <= 2 and not smoke.train_steps
    assert full.model.name and full.data.name
    # The paper's figure printed beside ours, or the docstring's target or expected numbers.
    assert dict(full.reference) or "Target" in module.__doc__ or "Expected" in module.__doc__
    if dict(full.reference):  # printed for the config's own dataset (`base.set_reference`)
        assert full.reference_dataset == full.data.name and full.reference_kind in base.REFERENCE_KINDS


def test_reference_figures_are_dropped_for_another_dataset_and_labelled_by_kind():
    mlp = importlib.import_module("configs.mlp")
    mnist, overridden = mlp.get_config(), mlp.get_config()
    assert progress.applicable_reference(mnist) == {"test/error": 0.047}
    overridden.data.name = "fashion_mnist"  # --config.data.name=fashion_mnist
    for fashion in (overridden, mlp.get_config("dataset=fashion_mnist")):
        assert progress.applicable_reference(fashion) == {}
    target = importlib.import_module("configs.lecun1989_modern").get_config()
    table = progress.compare_with_reference(dict(target.reference), {"test/error": 0.0199}, target.reference_kind)
    assert table.splitlines() == ["metric           target      ours", "test/error         1.80%     1.99%"]
    with pytest.raises(ValueError, match=r"Unknown reference kind 'goal'; choose one of \['paper', 'target'"):
        base.set_reference(mnist, {"test/error": 0.01}, "mnist", kind="goal")


@pytest.mark.parametrize("name, argument, message", [
    ("cifar_resnet", "depth=21", r"depth=21: choose one of Table 6's depths \[20, 32, 44, 56, 110, 1202\]"),
    ("translation", "direction=fr-en", r"Unknown direction 'fr-en'; choose one of \['zh-en', 'en-zh'\]"),
    ("sequential_mnist", "reading=columns", r"Unknown reading 'columns'; choose one of \['pixels', 'rows'\]"),
])
def test_config_arguments_outside_their_choices_name_them(name, argument, message):
    with pytest.raises(ValueError, match=message):
        importlib.import_module(f"configs.{name}").get_config(argument)


def test_argument_parser():
    args = arguments.parse("smoke,epochs=5,lr=0.5", smoke=False, epochs=80, lr=0.1)
    assert args.smoke is True and args.epochs == 5 and args.lr == 0.5
    with pytest.raises(ValueError, match=r"Unknown config argument 'epoch'.*valid: \['epochs', 'smoke'\]"):
        arguments.parse("epoch=5", smoke=False, epochs=80)
    with pytest.raises(ValueError, match="'epochs' expects int; got 'five'"):
        arguments.parse("epochs=five", epochs=80)
    with pytest.raises(ValueError, match="needs a value"):
        arguments.parse("epochs", epochs=80)


def test_figure1_conditions_reach_the_model_with_their_learning_rates():
    from configs import alexnet_fig1

    for arg, pool, rates in (("cuda_convnet", "max", alexnet_fig1.CUDA_CONVNET_LEARNING_RATES),
                             ("cuda_convnet,later_pool=avg", "avg", alexnet_fig1.CUDA_CONVNET_AVG_POOL_LEARNING_RATES)):
        for activation in ("relu", "tanh"):
            config = alexnet_fig1.get_config(f"{arg},activation={activation}")
            assert (config.model.later_pool, config.model.conv1_init_std) == (pool, 1e-4)
            assert config.schedule.learning_rate == rates[activation]
            assert any(row["config"].startswith(f"activation={activation},{arg}") for row in alexnet_fig1.get_sweep())
    assert alexnet_fig1.get_config("cuda_convnet,later_pool=avg,learning_rate=0.3").schedule.learning_rate == 0.3


def test_alexnet_ablations_switch_one_knob_of_the_figure1_net():
    from configs import alexnet_ablations, alexnet_fig1

    baseline = alexnet_ablations.get_config()
    assert (baseline.model.lrn, baseline.model.overlapping_pool, baseline.model.conv1_init_std) == (False, True, 1e-4)
    assert baseline.schedule.learning_rate == alexnet_fig1.CUDA_CONVNET_LEARNING_RATES["relu"]
    assert (baseline.data.held_out, baseline.data.eval_splits) == (5_000, ("test_exact", "held_out", "test"))
    assert alexnet_ablations.get_config("lrn").model.lrn
    assert not alexnet_ablations.get_config("overlapping_pool=false").model.overlapping_pool
    runs = alexnet_ablations.get_sweep()
    assert len(runs) == 9 and {run["seed"] for run in runs} == {0, 1, 2}


def _launch(*flags, workdir):
    return subprocess.run(
        [sys.executable, os.path.join(REPO, "launch.py"), f"--workdir={workdir}", *flags],
        capture_output=True, text=True, cwd=REPO, timeout=300,
    )


def test_launch_rejects_a_misspelled_override(tmp_path):
    result = _launch("--config=configs/lecun1989.py:smoke", "--config.optimizer.momentm=0.9",
                     workdir=tmp_path)
    assert result.returncode != 0
    assert "momentm" in result.stderr and "momentum" in result.stderr  # names the field and the close match
    result = _launch("--config=configs/lecun1989.py:smoke", "--config.nonexistent=1", workdir=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "no field 'nonexistent'. Its fields: [" in result.stderr
    (tmp_path / "a_file").write_text("")
    result = _launch("--config=configs/lecun1989.py:smoke", workdir=tmp_path / "a_file")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "--workdir names a file; give a directory" in result.stderr


def test_flag_checks_name_the_valid_choices(monkeypatch):
    from configs import flag_checks

    monkeypatch.chdir(REPO)
    assert flag_checks.available_configs() == [f"configs/{name}.py" for name in CONFIG_NAMES]
    with pytest.raises(FileNotFoundError, match=r"No config file 'configs/lenet6.py'; the configs are: \[.*"
                                                r"'configs/lenet5.py'"):
        flag_checks.check(["--config=configs/lenet6.py", "--workdir=w"])
    with pytest.raises(ValueError, match=r"^--config.nonexistent: the config has no field 'nonexistent'\. Its "
                                         r"fields: \[.*'seed'"):
        flag_checks.check(["--config=configs/lecun1989.py:smoke", "--config.nonexistent=1"])
    with pytest.raises(ValueError, match=r"--config.data has no field 'agument'\. Did you mean 'augment'\?"):
        flag_checks.check(["--config", "configs/lecun1989.py", "--config.data.agument.flip=1"])
    with pytest.raises(ValueError,
                       match=r"Unknown config argument 'colour'.*valid: \['learning_rate', 'sdlm', 'smoke'\]"):
        flag_checks.check(["--config=configs/lecun1989.py:colour=red"])
    flag_checks.check(["--config=configs/lecun1989.py:smoke", "--config.seed=3", "--config.optimizer.momentum",
                       "0.9", "--config.schedule.learning_rate=0.1", "--workdir=w"])  # all valid: no error


def test_launch_smoke_with_override_writes_results(tmp_path):
    result = _launch("--config=configs/lecun1989.py:smoke", "--config.schedule.learning_rate=0.05",
                     workdir=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Final results beside the paper figures:" in result.stderr
    assert "metric            paper      ours\ntest/error         5.08%" in result.stderr
    for name in ("metrics.jsonl", "config.json", "summary.json"):
        assert os.path.exists(tmp_path / name)
    assert glob.glob(str(tmp_path / "tensorboard" / "events.out.tfevents.*"))


def test_small_data_path_runs_with_tensorflow_unavailable(tmp_path):
    # The test environment has TensorFlow (for the tfds tests); here any import of it fails, as where it is absent.
    code = (
        "import runpy, sys\n"
        "sys.modules['tensorflow'] = sys.modules['tensorflow_datasets'] = None\n"
        f"sys.argv = ['launch.py', '--config=configs/lecun1989_modern.py:smoke', '--workdir={tmp_path}']\n"
        "runpy.run_path('launch.py', run_name='__main__')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert os.path.exists(tmp_path / "summary.json")
