"""The step sizes SDLM takes in a pass, eta / (mu + h_kk) per parameter, as a run of a config computes them.

LeCun et al. 1998 report them for LeNet-5 (III.C.1): "The resulting effective learning rates during the first
pass varied between approximately 7 x 10^-5 and 0.016 over the set of parameters." That range depends on the
initial weights and on the curvature estimate, neither of which the paper pins down exactly, so it is a check on
both (README, LeNet-5). The curvature is the trainer's own: a chunk of zero steps re-estimates it from the
pass's sample, exactly as training would, and eta is the schedule's value there. With --trained, the pass is
the one after a run's latest checkpoint (saved at the end of a pass), from its trained weights.

    python -m train.sdlm_rates --config=configs/lenet5.py --config.data.data_dir=../shared/data
    python -m train.sdlm_rates --config=configs/lenet5.py --config.data.data_dir=../shared/data \\
        --config.optimizer.curvature=backpropagated --seeds=0,1,2   # Appendix C's curvature
    python -m train.sdlm_rates --config=configs/lenet5.py --config.data.data_dir=../shared/data \\
        --trained=runs/lenet5_one_pass   # a run of the same config stopped after a pass (--config.train_epochs=1)
    python -m train.sdlm_rates --config=configs/lecun1989.py:sdlm   # LeCun 1989 with the paper's optimiser
"""

import os
import tempfile

import jax
import ml_collections
import numpy as np
from absl import app, flags
from ml_collections import config_flags

import input_pipeline
import models
from train import checkpointing, durations, optimizers, schedules, sdlm, sharding, steps, tasks, train_state

config_flags.DEFINE_config_file("config", None, "A config whose optimizer is SDLM (configs/lenet5.py, "
                                                "configs/lecun1989.py:sdlm).")
flags.DEFINE_list("seeds", None, "Seeds to draw the initial weights (and the curvature's sample) with; default: "
                                 "the config's seed.")
flags.DEFINE_string("trained", None, "A workdir of a run of this config: the pass after its latest checkpoint.")
FLAGS = flags.FLAGS


def pass_rates(config: ml_collections.ConfigDict, workdir: str, trained: str | None = None) -> dict[str, np.ndarray]:
    """{parameter path: eta / (mu + h)} for the first pass of `config` at its seed, or with `trained` (a run's
    workdir) for the pass after that run's latest checkpoint. `workdir` is as for training: where data that needs
    preparing is prepared."""
    if config.optimizer.get("name") != "sdlm" or not config.optimizer.get("curvature_samples"):
        raise ValueError(f"optimizer.name={config.optimizer.get('name')!r}: only SDLM with curvature_samples > 0 "
                         f"estimates a curvature, so only it has per-parameter step sizes to show.")
    mesh = sharding.make_mesh(1)
    data = input_pipeline.get_data(config.data, workdir, config.seed)
    steps_per_epoch = data.num_train // config.batch_size
    schedule = schedules.build(config.schedule, steps_per_epoch, durations.to_steps(config, "train", steps_per_epoch))
    optimizer = optimizers.build(config.optimizer, schedule)
    model = models.build(config.model)
    task = tasks.build(config.task, data.num_classes)
    state = train_state.create(model, optimizer.tx, task.example_inputs(data.train), config.seed, mesh)
    if trained:
        checkpointer = checkpointing.Checkpointer(os.path.join(trained, "checkpoints"))
        state = checkpointer.restore_latest(train_state.abstract_like(state))
        checkpointer.close()
        if state is None or int(state.step) % steps_per_epoch:
            raise ValueError(f"--trained={trained} holds no checkpoint at the end of a pass.")
    chunk = steps.make_train_chunk(model, task, optimizer, data.augment, mesh, config.batch_size, steps_per_epoch,
                                   data.num_train, order=data.order)
    state, _ = chunk(state, sharding.put_rows(data.train, mesh), 0)  # zero steps: only the curvature refresh
    eta, mu = float(schedule(int(state.step))), config.optimizer.get("mu", 0.02)
    rates = jax.tree.map(lambda h: np.asarray(eta / (mu + h)), sdlm.get_curvature(state.opt_state))
    return {"/".join(str(getattr(k, "key", k)) for k in path): leaf
            for path, leaf in jax.tree_util.tree_flatten_with_path(rates)[0]}


def describe(rates: dict[str, np.ndarray]) -> str:
    """One line per parameter array (smallest, median, largest step size) and the range over all of them."""
    lines = [f"{name:16s} {a.min():9.2g} {np.median(a):9.2g} {a.max():9.2g}" for name, a in rates.items()]
    every = np.concatenate([a.ravel() for a in rates.values()])
    return "\n".join([f"{'parameters':16s} {'smallest':>9s} {'median':>9s} {'largest':>9s}", *lines,
                      f"all {every.size:,} parameters: {every.min():.2g} to {every.max():.2g}"])


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    config = FLAGS.config
    for seed in FLAGS.seeds or [config.seed]:
        with config.unlocked():
            config.seed = int(seed)
        with tempfile.TemporaryDirectory() as workdir:
            which = f"the pass after {FLAGS.trained}" if FLAGS.trained else "the first pass"
            print(f"seed {seed}, curvature {config.optimizer.curvature}, step sizes eta / (mu + h) of {which}:")
            print(describe(pass_rates(config, workdir, FLAGS.trained)))


if __name__ == "__main__":
    flags.mark_flags_as_required(["config"])
    app.run(main)
