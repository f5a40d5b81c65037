"""Trains one config: `python launch.py --config=configs/lecun1989.py --workdir=runs/lecun1989`.

Any field can be overridden (`--config.batch_size=64`); a config argument follows a colon
(`--config=configs/lecun1989.py:smoke`). Rerunning with the same workdir resumes from its latest checkpoint;
SIGTERM saves one and exits (status 0) at the next chunk boundary.
"""

import os
import sys

from absl import app, flags, logging
from ml_collections import config_flags

from configs import flag_checks

config_flags.DEFINE_config_file("config", None, "Path to a config file in configs/.", lock_config=True)
flags.DEFINE_string("workdir", None, "Directory for checkpoints, metrics.jsonl, TensorBoard events, summary.")
flags.DEFINE_bool(
    "jax_distributed", False,
    "Call jax.distributed.initialize() first: one process per host, all running this same command. On TPU pods "
    "and under SLURM it finds its peers itself; elsewhere give the three flags below (or the JAX_COORDINATOR_"
    "ADDRESS, JAX_NUM_PROCESSES and JAX_PROCESS_ID environment variables).",
)
flags.DEFINE_string("coordinator_address", None, "host:port of process 0 (with --jax_distributed).")
flags.DEFINE_integer("num_processes", None, "Number of processes (with --jax_distributed).")
flags.DEFINE_integer("process_id", None, "This process's number, 0 ... num_processes - 1 (with --jax_distributed).")
flags.mark_flags_as_required(["config", "workdir"])
flags.register_validator("workdir", lambda path: path is None or not os.path.isfile(path),
                         "--workdir names a file; give a directory (it is created if absent).")
FLAGS = flags.FLAGS


def parse_flags(argv):
    """absl's parsing, after `flag_checks.check`: a missing config file or an override naming no field of the
    config stops here with a message naming the valid choices, not a traceback."""
    try:
        flag_checks.check(argv[1:])
    except (FileNotFoundError, ValueError) as error:
        sys.stderr.write(f"FATAL Flags parsing error: {error}\n")
        sys.exit(1)
    return app.parse_flags_with_usage(argv)


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    import jax

    if FLAGS.jax_distributed:
        # CPU devices of different processes talk through gloo (over loopback in the tests); no effect elsewhere.
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        jax.distributed.initialize(FLAGS.coordinator_address, FLAGS.num_processes, FLAGS.process_id)
    elif any(v is not None for v in (FLAGS.coordinator_address, FLAGS.num_processes, FLAGS.process_id)):
        raise app.UsageError("--coordinator_address, --num_processes and --process_id need --jax_distributed.")
    import train
    from train import preemption

    try:
        train.train_and_evaluate(FLAGS.config, FLAGS.workdir)
    except preemption.Preempted as stopped:
        logging.warning("%s", stopped)  # a clean exit (status 0): the scheduler may requeue the same command


if __name__ == "__main__":
    app.run(main, flags_parser=parse_flags)
