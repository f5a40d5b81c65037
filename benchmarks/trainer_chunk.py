"""Training throughput of a model through the real trainer's compiled chunk of steps, on data held on the device
(the JAX side of the benchmarks)."""

import jax

from benchmarks import timing
from configs import base
from input_pipeline import augment
from train import optimizers, schedules, sharding, steps, train_state


def chunk_rates(model, task, optimizer_fields: dict, data: dict, batch_size: int, num_steps: int, repeats: int,
                compiler_options=None, items_per_example: int = 1, accumulation_steps: int = 1,
                compute_dtype: str = "float32") -> list[float]:
    """Items (examples x items_per_example) per second of chunks of `num_steps` steps, after one warm-up chunk
    that compiles. `data` must hold batch_size * num_steps examples."""
    mesh = sharding.make_mesh(1)
    config = base.base_config()
    config.optimizer.update(optimizer_fields)
    schedule = schedules.build(config.schedule, num_steps, num_steps)
    optimizer = optimizers.build(config.optimizer, schedule)
    state = train_state.create(model, optimizer.tx, task.example_inputs(data), 0, mesh)
    train_split = sharding.put_rows(data, mesh)
    chunk = steps.make_train_chunk(model, task, optimizer, augment.identity, mesh, batch_size, num_steps,
                                   batch_size * num_steps, compiler_options, accumulation_steps, compute_dtype)
    holder = {"state": state}

    def run(count):
        holder["state"], sums = chunk(holder["state"], train_split, count)
        jax.block_until_ready(sums)

    run(2)
    return timing.rates(lambda: run(num_steps), num_steps * batch_size * items_per_example, repeats)
