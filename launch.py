"""Trains one config: `python launch.py --config=configs/lecun1989.py --workdir=runs/lecun1989`.

Any field can be overridden (`--config.batch_size=64`); a config argument follows a colon
(`--config=configs/lecun1989.py:smoke`). Rerunning with the same workdir resumes from its latest checkpoint.
"""

from absl import app, flags
from ml_collections import config_flags

config_flags.DEFINE_config_file("config", None, "Path to a config file in configs/.", lock_config=True)
flags.DEFINE_string("workdir", None, "Directory for checkpoints, metrics.jsonl, TensorBoard events, summary.")
flags.DEFINE_bool(
    "jax_distributed", False,
    "Call jax.distributed.initialize() first (multi-host: TPU pods, SLURM, or the JAX_COORDINATOR_ADDRESS, "
    "JAX_NUM_PROCESSES and JAX_PROCESS_ID environment variables).",
)
flags.mark_flags_as_required(["config", "workdir"])
FLAGS = flags.FLAGS


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    import jax

    if FLAGS.jax_distributed:
        jax.distributed.initialize()
    import train

    train.train_and_evaluate(FLAGS.config, FLAGS.workdir)


if __name__ == "__main__":
    app.run(main)
