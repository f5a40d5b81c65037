"""The trainer end to end on tiny configs: smoke runs, exact resume, device-count invariance, determinism,
the NaN guard, corrupt checkpoints, and whole-split evaluation."""

import glob
import importlib
import json
import logging
import os
import shutil
import sys

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import orbax.checkpoint as ocp
import pytest
from test_configs import CONFIG_NAMES
from test_notebooks import SMOKE_RUN_BY_NOTEBOOK
from tfds_mocking import finish_each_save

import models
import train
from configs import base
from input_pipeline import augment
from train import checkpointing, metric_writers, optimizers, sharding, steps, tasks, train_state
from train.metric_writers import read_metrics


def _config(name="lecun1989_modern", arg="smoke", **overrides):
    config = importlib.import_module(f"configs.{name}").get_config(arg)
    for dotted, value in overrides.items():
        node = config
        *path, leaf = dotted.split(".")
        for part in path:
            node = node[part]
        node[leaf] = value
    return config


def _final_params(workdir):
    directory = os.path.join(workdir, "checkpoints")
    step = max(int(d) for d in os.listdir(directory) if d.isdigit())
    restored = ocp.StandardCheckpointer().restore(os.path.join(directory, str(step), "default"))
    return step, jax.tree.map(np.asarray, restored["params"])


@pytest.mark.parametrize("name", [n for n in CONFIG_NAMES if n not in SMOKE_RUN_BY_NOTEBOOK])
def test_smoke_run_of_every_config(name, tmp_path, request):
    # The others' smoke runs are made by the notebooks (tests/test_notebooks.py).
    _smoke_run(_config(name, "smoke"), tmp_path, request)


def _smoke_run(config, tmp_path, request):
    # Embedded (USPS and what is composed from it) and generated datasets need no data directory.
    needs = {"cifar10": "cifar_dir", "mnist": "data_dir", "fashion_mnist": "data_dir"}.get(config.data.name)
    if needs:
        config.data.data_dir = request.getfixturevalue(needs)
    if config.data.source == "tfds_streaming":  # random images in the dataset's format, nothing downloaded
        tfds = pytest.importorskip("tensorflow_datasets")
        finish_each_save(request.getfixturevalue("monkeypatch").setattr)
        with tfds.testing.mock_data(num_examples=18):
            final = train.train_and_evaluate(config, str(tmp_path))
    else:
        final = train.train_and_evaluate(config, str(tmp_path))
    first_split = config.data.eval_splits[0]
    assert np.isfinite(final["training/loss"]) and np.isfinite(final[f"{first_split}/loss"])
    if f"{first_split}/error" in final:
        assert 0.0 <= final[f"{first_split}/error"] <= 1.0
    records = [json.loads(line) for line in open(tmp_path / "metrics.jsonl")]
    last_step = {k: v for r in records if r["step"] == records[-1]["step"] for k, v in r.items()}
    assert last_step["step"] == final["step"] and f"{first_split}/loss" in last_step
    summary = json.load(open(tmp_path / "summary.json"))
    assert summary["final"][f"{first_split}/loss"] == final[f"{first_split}/loss"]
    assert json.load(open(tmp_path / "config.json"))["model"]["name"] == config.model.name


def test_smoke_run_of_recurrent_translation(tmp_path, request):
    # The transformer is the config's default (smoke-run above); lstm_luong trains in test_recurrent_tools.
    _smoke_run(_config("translation", "smoke,model=rnn_attention"), tmp_path, request)


@pytest.mark.parametrize("shape", ["one_to_one", "one_to_many", "many_to_many"])  # many_to_one: the default
def test_smoke_run_of_each_recurrent_shape(shape, tmp_path, request):
    _smoke_run(_config("rnn_shapes", f"smoke,shape={shape}"), tmp_path, request)


def test_smoke_run_of_lenet5_with_the_papers_curvature(tmp_path, request):
    # configs/lenet5.py uses the exact Gauss-Newton diagonal (smoke-run by its notebook); this is Appendix C's.
    _smoke_run(_config("lenet5", "smoke", **{"optimizer.curvature": "backpropagated"}), tmp_path, request)


def test_smoke_run_of_lecun1989_with_the_papers_optimiser(tmp_path, request):
    # configs/lecun1989.py:sdlm, the diagonal Levenberg-Marquardt through LeCun 1989's chain of strided layers.
    config = _config("lecun1989", "smoke,sdlm")
    assert config.optimizer.name == "sdlm" and config.optimizer.curvature == "backpropagated"
    _smoke_run(config, tmp_path, request)


class _Linear(nn.Module):
    @nn.compact
    def __call__(self, x, train=False):
        return nn.Dense(3)(x.reshape(x.shape[0], -1))


def test_constant_order_is_per_example_sgd_over_the_split_in_its_own_order_every_pass():
    # data.order="constant" (LeCun et al. 1989's order, configs/lecun1989.py): two passes of the compiled chunk
    # equal SGD applied by hand to examples 0, 1, ..., 5, 0, 1, ..., 5; "shuffled" presents them otherwise.
    rng = np.random.default_rng(0)
    data = {"image": rng.normal(size=(6, 2, 2, 1)).astype(np.float32), "label": np.array([0, 1, 2, 0, 1, 2])}
    model, task, mesh = _Linear(), tasks.build(base.base_config().task, 3), sharding.make_mesh(1)
    optimizer = optimizers.build({"name": "sgd"}, optax.constant_schedule(0.3))
    initial = train_state.create(model, optimizer.tx, task.example_inputs(data), 0, mesh)
    by_hand = jax.tree.map(np.asarray, initial.params)
    grad = jax.jit(jax.grad(lambda p, batch: task.train_loss(model, p, {}, batch, jax.random.PRNGKey(0))[0]))
    for index in [*range(6), *range(6)]:
        gradient = grad(by_hand, {k: v[index:index + 1] for k, v in data.items()})
        by_hand = jax.tree.map(lambda p, g: p - 0.3 * g, by_hand, gradient)

    def two_passes(order):
        chunk = steps.make_train_chunk(model, task, optimizer, augment.identity, mesh, 1, 6, 6, order=order)
        state = train_state.create(model, optimizer.tx, task.example_inputs(data), 0, mesh)
        for _ in range(2):  # a chunk stays within one pass
            state, _ = chunk(state, sharding.put_rows(data, mesh), 6)
        return state.params

    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6), two_passes("constant"), by_hand)
    shuffled = two_passes("shuffled")
    assert not all(jax.tree.leaves(jax.tree.map(lambda a, b: np.allclose(a, b, atol=1e-4), shuffled, by_hand)))


def test_training_reduces_the_loss(tmp_path):
    config = _config("lecun1989_modern", "smoke", train_epochs=6.0, log_every_epochs=1.0)
    train.train_and_evaluate(config, str(tmp_path))
    losses = [r["training/loss"] for r in map(json.loads, open(tmp_path / "metrics.jsonl"))
              if "training/loss" in r]
    assert losses[-1] < 0.7 * losses[0]


def test_stop_request_mid_epoch_with_one_step_chunks_resumes_to_the_uninterrupted_result(tmp_path, monkeypatch):
    from train import loop, preemption

    overrides = {"train_epochs": 2.0}
    uninterrupted = train.train_and_evaluate(_config(**overrides), str(tmp_path / "a"))
    monkeypatch.setattr(loop, "MAX_CHUNK_SECONDS", 0.0)  # every chunk is one step
    calls = []
    monkeypatch.setattr(preemption.StopRequests, "requested", lambda self: calls.append(1) or len(calls) == 5)
    with pytest.raises(preemption.Preempted, match="at step 5 of 16"):
        train.train_and_evaluate(_config(**overrides), str(tmp_path / "b"))
    assert sorted(os.listdir(tmp_path / "b" / "checkpoints")) == ["5"]  # mid-epoch (8 steps per epoch)
    resumed = train.train_and_evaluate(_config(**overrides), str(tmp_path / "b"))
    assert resumed["test/loss"] == uninterrupted["test/loss"]
    jax.tree.map(np.testing.assert_array_equal, _final_params(tmp_path / "a")[1], _final_params(tmp_path / "b")[1])
    # The interrupted epoch's training metrics cover all of its 8 steps, the 5 before the stop too.
    rows = [{r["step"]: r for r in read_metrics(str(tmp_path / run)) if "training/loss" in r} for run in "ab"]
    assert sorted(rows[0]) == sorted(rows[1]) == [8, 16]
    for step in (8, 16):
        assert rows[1][step]["training/accuracy"] == rows[0][step]["training/accuracy"]
        np.testing.assert_allclose(rows[1][step]["training/loss"], rows[0][step]["training/loss"], rtol=1e-6)


class _Killed(Exception):
    pass


def test_killed_run_resumes_to_exactly_the_uninterrupted_result(tmp_path, monkeypatch):
    overrides = {"train_epochs": 3.0, "checkpoint_every_epochs": 1.0, "log_every_steps": 3}
    uninterrupted = train.train_and_evaluate(_config(**overrides), str(tmp_path / "a"))

    save = checkpointing.Checkpointer.save

    def save_then_die(self, step, state):
        save(self, step, state)
        if step == 16:  # the end of epoch 2 (8 steps per epoch): die right after this checkpoint
            self.wait()
            raise _Killed

    monkeypatch.setattr(checkpointing.Checkpointer, "save", save_then_die)
    with pytest.raises(_Killed):
        train.train_and_evaluate(_config(**overrides), str(tmp_path / "b"))
    monkeypatch.setattr(checkpointing.Checkpointer, "save", save)
    resumed = train.train_and_evaluate(_config(**overrides), str(tmp_path / "b"))

    assert resumed["test/loss"] == uninterrupted["test/loss"]
    (step_a, params_a), (step_b, params_b) = _final_params(tmp_path / "a"), _final_params(tmp_path / "b")
    assert step_a == step_b == 24
    jax.tree.map(np.testing.assert_array_equal, params_a, params_b)


def test_gradient_accumulation_matches_the_large_batch(tmp_path):
    # An MLP (no dropout, no BatchNorm): 4 microbatches of 32 give the update of one batch of 128.
    whole = train.train_and_evaluate(_config("mlp", "smoke,dataset=usps"), str(tmp_path / "whole"))
    accumulated = train.train_and_evaluate(_config("mlp", "smoke,dataset=usps", gradient_accumulation_steps=4),
                                           str(tmp_path / "accumulated"))
    for key in ("training/loss", "test/loss"):
        np.testing.assert_allclose(accumulated[key], whole[key], rtol=1e-5)
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6),
                 _final_params(tmp_path / "whole")[1], _final_params(tmp_path / "accumulated")[1])
    with pytest.raises(ValueError, match="must be >= 1 and divide batch_size=128"):
        train.train_and_evaluate(_config("mlp", "smoke,dataset=usps", gradient_accumulation_steps=3),
                                 str(tmp_path / "bad"))


def test_bfloat16_mixed_precision_trains_close_to_float32_with_float32_parameters(tmp_path):
    full = train.train_and_evaluate(_config("mlp", "smoke,dataset=usps"), str(tmp_path / "float32"))
    mixed = train.train_and_evaluate(_config("mlp", "smoke,dataset=usps", compute_dtype="bfloat16"),
                                     str(tmp_path / "bfloat16"))
    assert mixed["training/loss"] != full["training/loss"]  # it did compute in bfloat16
    np.testing.assert_allclose(mixed["training/loss"], full["training/loss"], rtol=2e-2)
    np.testing.assert_allclose(mixed["test/loss"], full["test/loss"], rtol=2e-2)
    assert {a.dtype for a in jax.tree.leaves(_final_params(tmp_path / "bfloat16")[1])} == {np.dtype("float32")}
    with pytest.raises(ValueError, match="Unknown compute_dtype 'float16'"):
        train.train_and_evaluate(_config("mlp", "smoke,dataset=usps", compute_dtype="float16"), str(tmp_path / "x"))


def test_one_and_four_devices_give_the_same_losses(tmp_path):
    assert jax.device_count() == 4
    one = train.train_and_evaluate(_config(num_devices=1), str(tmp_path / "one"))
    four = train.train_and_evaluate(_config(num_devices=4), str(tmp_path / "four"))
    for key in ("training/loss", "test/loss", "train/loss"):
        np.testing.assert_allclose(one[key], four[key], rtol=2e-5)


def test_batchnorm_statistics_are_global_across_devices():
    # One training-mode forward pass of CIFAR ResNet-20 with the batch split over 4 devices (as the trainer does)
    # must give the 1-device outputs and running statistics: BatchNorm averages over the global batch. The
    # examples' scales grow along the batch, so per-device statistics would be far from the global ones.
    import configs.base
    from train import sharding

    model = models.build(configs.base.model_config("cifar_resnet20"))
    images = jax.random.normal(jax.random.PRNGKey(0), (16, 32, 32, 3)) * jnp.arange(16).reshape(16, 1, 1, 1)
    variables = model.init(jax.random.PRNGKey(1), images[:2])

    def forward(images):
        return model.apply(variables, images, train=True, mutable=["batch_stats"])

    results = []
    for devices in (1, 4):
        mesh = sharding.make_mesh(devices)
        sharded = jax.device_put(images, sharding.batch_sharded(mesh))
        results.append(jax.tree.map(np.asarray, jax.jit(forward)(sharded)))
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5), *results)
    first_mean = results[0][1]["batch_stats"]["ConvNorm_0"]["BatchNorm_0"]["mean"]
    assert np.abs(first_mean).sum() > 0  # the running statistics moved


def test_same_seed_same_result_other_seed_other_result(tmp_path):
    first = train.train_and_evaluate(_config(), str(tmp_path / "1"))
    again = train.train_and_evaluate(_config(), str(tmp_path / "2"))
    other = train.train_and_evaluate(_config(seed=1), str(tmp_path / "3"))
    assert first["test/loss"] == again["test/loss"] and first["training/loss"] == again["training/loss"]
    assert first["test/loss"] != other["test/loss"]


def test_non_finite_loss_stops_with_a_clear_message(tmp_path):
    config = _config(**{"schedule.learning_rate": 1e30, "schedule.warmup_epochs": 0.0})
    with pytest.raises(train.NonFiniteLossError, match=r"Training loss became (nan|inf) between steps"):
        train.train_and_evaluate(config, str(tmp_path))


def test_a_run_stopped_by_a_non_finite_loss_keeps_its_last_checkpoint_and_resumes(tmp_path, caplog):
    # Sane for epoch 1 (checkpointed at its end, step 8), then a learning rate that overflows in epoch 2.
    exploding = {"name": "step", "values": (3e-3, 1e30), "boundaries_epochs": (1.0,), "warmup_epochs": 0.0}
    config = _config(**{"train_epochs": 2.0, "checkpoint_every_epochs": 1.0})
    config.schedule = exploding
    with pytest.raises(train.NonFiniteLossError, match=r"Nothing after step 8 was saved"):
        train.train_and_evaluate(config, str(tmp_path))
    # The stop waited for the epoch-1 save: it is complete on disk, with no unfinished temporary directory.
    assert sorted(os.listdir(tmp_path / "checkpoints")) == ["8"]
    config.schedule = {**exploding, "values": (3e-3, 3e-3)}
    caplog.set_level(logging.INFO)
    resumed = train.train_and_evaluate(config, str(tmp_path))
    assert "Resumed from the checkpoint at step 8" in caplog.text
    assert resumed["step"] == 16 and np.isfinite(resumed["test/loss"])


def test_corrupt_latest_checkpoint_falls_back_to_the_previous_one(tmp_path, caplog):
    overrides = {"train_epochs": 2.0, "checkpoint_every_epochs": 1.0}
    reference = train.train_and_evaluate(_config(**overrides), str(tmp_path / "ref"))
    workdir = tmp_path / "run"
    train.train_and_evaluate(_config(**overrides), str(workdir))
    for path in glob.glob(str(workdir / "checkpoints" / "16" / "**" / "*"), recursive=True):
        if os.path.isfile(path):
            with open(path, "wb") as f:
                f.write(b"garbage")
    shutil.rmtree(workdir / "summary.json", ignore_errors=True)
    resumed = train.train_and_evaluate(_config(**overrides), str(workdir))
    assert "Checkpoint at step 16" in caplog.text and "cannot be restored" in caplog.text
    assert os.path.isdir(workdir / "corrupt_checkpoints" / "16")
    assert resumed["test/loss"] == reference["test/loss"]  # epoch 2 retrained from the epoch-1 checkpoint


def test_a_checkpoint_of_another_model_or_optimizer_is_a_clear_error_and_stays_put(tmp_path):
    train.train_and_evaluate(_config(), str(tmp_path))
    os.remove(tmp_path / "summary.json")  # as if interrupted, so the next run restores
    steps_before = sorted(os.listdir(tmp_path / "checkpoints"))
    with pytest.raises(ValueError, match=r"holds other parameters than this model \(.*H3.*\). .*new --workdir"):
        train.train_and_evaluate(_config(**{"model.hidden_units": 31}), str(tmp_path))
    # The same model under another optimizer (AdamW's moments against SGD's none) is not a corrupt checkpoint.
    with pytest.raises(ValueError, match=r"holds other optimizer state than this config's optimizer \("
                                         r"\d+ differ: opt_state/0/count: checkpoint \(\), this config absent"):
        train.train_and_evaluate(_config(**{"optimizer.name": "sgd"}), str(tmp_path))
    assert sorted(os.listdir(tmp_path / "checkpoints")) == steps_before
    assert not os.path.exists(tmp_path / "corrupt_checkpoints")


def test_a_resumed_run_logs_each_step_once_past_a_record_cut_short(tmp_path):
    overrides = {"train_epochs": 2.0, "checkpoint_every_epochs": 1.0}
    train.train_and_evaluate(_config(**overrides), str(tmp_path / "whole"))
    expected = read_metrics(str(tmp_path / "whole"))
    workdir = tmp_path / "killed"
    train.train_and_evaluate(_config(**overrides), str(workdir))
    # As if killed while writing a record just after step 16 was logged but before its checkpoint was saved.
    shutil.rmtree(workdir / "checkpoints" / "16")
    os.remove(workdir / "summary.json")
    with open(workdir / "metrics.jsonl", "a") as f:
        f.write('{"step": 16, "training/lo')
    train.train_and_evaluate(_config(**overrides), str(workdir))
    resumed = read_metrics(str(workdir))
    assert [r["step"] for r in resumed] == [r["step"] for r in expected]  # step 16's records once each
    assert [r.get("test/loss") for r in resumed] == [r.get("test/loss") for r in expected]


def test_tensorboard_events_are_written_without_importing_torch(tmp_path, monkeypatch):
    # tensorboardX imports torch whenever it is installed (seconds per run); the writer hides it from that import.
    fake_torch = tmp_path / "site" / "torch"
    fake_torch.mkdir(parents=True)
    (fake_torch / "__init__.py").write_text("FAKE = True\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    for name in [m for m in sys.modules if m.split(".")[0] in ("torch", "tensorboardX")]:
        monkeypatch.delitem(sys.modules, name)  # as in a fresh process; put back afterwards
    writer = metric_writers.MetricWriter(str(tmp_path / "run"))
    writer.write(3, {"training/loss": 0.5})
    writer.close()
    try:
        assert "torch" not in sys.modules
        import torch  # still importable afterwards

        assert torch.FAKE
    finally:
        sys.modules.pop("torch", None)
    [events] = (tmp_path / "run" / "tensorboard").glob("events.out.tfevents.*")
    assert b"training/loss" in events.read_bytes()


def test_resuming_under_a_changed_config_names_the_changes_and_keeps_the_earlier_config(tmp_path, caplog):
    train.train_and_evaluate(_config(train_epochs=1.0), str(tmp_path))  # 8 steps
    longer = _config(**{"train_epochs": 2.0, "schedule.learning_rate": 1e-3})
    train.train_and_evaluate(longer, str(tmp_path))
    assert "Resuming at step 8 under a changed config" in caplog.text
    assert "schedule.learning_rate: 0.003 -> 0.001" in caplog.text and "train_epochs: 1.0 -> 2.0" in caplog.text
    with open(tmp_path / "config_until_step_8.json") as f:
        assert json.load(f)["train_epochs"] == 1.0
    with open(tmp_path / "config.json") as f:
        assert json.load(f)["train_epochs"] == 2.0
    caplog.clear()
    train.train_and_evaluate(longer, str(tmp_path))  # the same config again: nothing to say, nothing kept
    assert "changed config" not in caplog.text
    assert sorted(p.name for p in tmp_path.glob("config*.json")) == ["config.json", "config_until_step_8.json"]


@pytest.mark.parametrize("field", ["batch_size", "eval_batch_size"])
def test_a_batch_of_no_examples_is_a_clear_error(tmp_path, field):
    with pytest.raises(ValueError, match=f"{field}=0 must be a positive number of examples"):
        train.train_and_evaluate(_config(**{field: 0}), str(tmp_path))


def test_evaluation_counts_every_example_once(tmp_path):
    config = _config(**{"data.num_eval": 203, "eval_batch_size": 100})
    final = train.train_and_evaluate(config, str(tmp_path))
    assert final["test/examples"] == 203
    assert final["train/examples"] == 256


def test_batch_that_does_not_divide_over_devices_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="batch_size=30 is a global batch and must divide evenly over the 4"):
        train.train_and_evaluate(_config(batch_size=30, num_devices=4), str(tmp_path))


def test_compiler_options_compile_the_same_computation():
    import configs.base
    from train import steps

    def f(x, w):
        return jnp.tanh(x @ w).sum(axis=0)

    x, w = jnp.ones((8, 16)), jnp.full((16, 4), 0.1)
    with_options = steps.jit_with_options(f, configs.base.CPU_CONV_NET_OPTIONS)
    np.testing.assert_allclose(with_options(x, w), jax.jit(f)(x, w), rtol=1e-6)
    with pytest.raises(Exception, match="xla_cpu_experimental_ynn_fusion_type"):
        steps.jit_with_options(f, {"xla_cpu_experimental_ynn_fusion_type": "dot"})(x, w)


def test_compiler_options_for_another_backend_are_left_out():
    from train import steps

    options = {"xla_cpu_experimental_ynn_fusion_type": "dot", "xla_gpu_autotune_level": 0,
               "xla_backend_optimization_level": 1}
    assert steps.for_backend(options, "cpu") == {"xla_cpu_experimental_ynn_fusion_type": "dot",
                                                 "xla_backend_optimization_level": 1}
    assert steps.for_backend(options, "cuda") == {"xla_gpu_autotune_level": 0, "xla_backend_optimization_level": 1}
    assert steps.for_backend(options, "tpu") == {"xla_backend_optimization_level": 1}


def test_reach_finds_the_first_epoch_below_a_threshold():
    from train.reach import first_below

    records = [{"step": 1, "epoch": 1.0, "training/error": 0.4}, {"step": 2, "epoch": 2.0, "test/error": 0.1},
               {"step": 2, "epoch": 2.0, "training/error": 0.24}, {"step": 3, "epoch": 3.0, "training/error": 0.2}]
    assert first_below(records, "training/error", 0.25)["epoch"] == 2.0
    assert first_below(records, "training/error", 0.1) is None
