"""CIFAR ResNet-20 training throughput through the real trainer's compiled chunk (gather, augmentation, step),
batch 128, on random CIFAR-shaped data held on the device; compare with benchmarks/cifar_resnet20_torch.py.

    python benchmarks/cifar_resnet20_jax.py [--steps 20] [--model cifar_resnet20] [--no_compiler_options]
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402
import numpy as np  # noqa: E402

import models  # noqa: E402
from configs import base  # noqa: E402
from input_pipeline import augment  # noqa: E402
from train import optimizers, schedules, sharding, steps, tasks, train_state  # noqa: E402


def measure(model_name: str, num_steps: int, batch_size: int, compiler_options: dict) -> float:
    mesh = sharding.make_mesh(1)
    rng = np.random.default_rng(0)
    num_examples = batch_size * (num_steps + 2)
    data = {"image": rng.standard_normal((num_examples, 32, 32, 3), np.float32),
            "label": rng.integers(0, 10, num_examples).astype(np.int32)}
    config = base.base_config()
    config.optimizer.update(name="sgd", momentum=0.9, weight_decay=1e-4)
    schedule = schedules.build(config.schedule, num_steps, num_steps)
    optimizer = optimizers.build(config.optimizer, schedule)
    model = models.build(base.model_config(model_name))
    task = tasks.build(config.task, 10)
    state = train_state.create(model, optimizer.tx, data["image"][:1], 0, mesh)
    train_split = sharding.put_rows(data, mesh)
    chunk = steps.make_train_chunk(
        model, task, optimizer, augment.build({"max_translation": 4, "horizontal_flip": True}, 0.0), mesh,
        batch_size, num_examples // batch_size, num_examples, compiler_options,
    )
    state, sums = chunk(state, train_split, 2)  # compile and warm up
    jax.block_until_ready(sums)
    start = time.perf_counter()
    state, sums = chunk(state, train_split, num_steps)
    jax.block_until_ready(sums)
    return num_steps * batch_size / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch_size", type=int, default=128)
    parser.add_argument("--model", default="cifar_resnet20")
    parser.add_argument("--no_compiler_options", action="store_true",
                        help="compile without configs.base.CPU_CONV_NET_OPTIONS (what the CIFAR configs use)")
    args = parser.parse_args()
    # The options as compiled: those meant for another backend are left out (a GPU gets none of the CPU ones).
    options = steps.for_backend({} if args.no_compiler_options else base.CPU_CONV_NET_OPTIONS, jax.default_backend())
    rate = measure(args.model, args.steps, args.batch_size, options)
    print(f"jax {jax.__version__}: {args.model} training in the trainer's compiled loop, batch {args.batch_size}, "
          f"compiler options {options}: {rate:.0f} examples/s")


if __name__ == "__main__":
    main()
