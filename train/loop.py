"""`train_and_evaluate(config, workdir)`: the one training loop. It schedules compiled chunks of steps,
evaluations, checkpoints and logs; the task (loss, metrics), model and data are all plugged in from config."""

import math
import os
import time

import jax
import ml_collections
import numpy as np
from absl import logging

import input_pipeline
import models
from train import (
    checkpointing,
    durations,
    metric_writers,
    optimizers,
    preemption,
    progress,
    schedules,
    sharding,
    steps,
    streamed,
    tasks,
    train_state,
)


class NonFiniteLossError(FloatingPointError):
    pass


# A chunk of steps runs on the device uninterrupted, and SIGTERM is noticed only between chunks, so chunks are cut
# to about this long (schedulers and preemptible VMs give 30 s or more of notice). Cutting changes no result.
MAX_CHUNK_SECONDS = 20.0


def _check_finite(loss: float, step: int, stop: int, schedule, checkpointer) -> None:
    if not math.isfinite(loss):
        raise NonFiniteLossError(
            f"Training loss became {loss} between steps {step} and {stop} (learning rate "
            f"{float(schedule(step)):.3g}). Nothing after step {checkpointer.latest_step()} was saved; "
            f"lower the learning rate or check the data, then rerun to resume from the last checkpoint."
        )


def _checked_accumulation_steps(config: ml_collections.ConfigDict, mesh) -> int:
    """config.gradient_accumulation_steps, once every batch (and microbatch) is known to divide over the mesh."""
    for field in ("batch_size", "eval_batch_size"):
        if config[field] < 1:
            raise ValueError(f"{field}={config[field]} must be a positive number of examples.")
    accumulation_steps = config.get("gradient_accumulation_steps", 1)
    if accumulation_steps < 1 or config.batch_size % accumulation_steps:
        raise ValueError(f"gradient_accumulation_steps={accumulation_steps} must be >= 1 and divide "
                         f"batch_size={config.batch_size}.")
    if accumulation_steps == 1:
        sharding.check_divisible(config.batch_size, mesh, "batch_size")
    else:
        sharding.check_divisible(config.batch_size // accumulation_steps, mesh,
                                 "each microbatch (batch_size / gradient_accumulation_steps)")
    sharding.check_divisible(config.eval_batch_size, mesh, "eval_batch_size")
    return accumulation_steps


def _next_stop(step: int, total: int, *periods: int) -> int:
    """The first step after `step` at which something happens (a period ends) or training ends."""
    return min([total] + [(step // p + 1) * p for p in periods])


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str) -> dict[str, float]:
    """Trains `config` in `workdir` (resuming from its latest checkpoint) and returns the final metrics."""
    workdir = os.path.abspath(workdir)
    mesh = sharding.make_mesh(config.get("num_devices", 0))
    logging.info("Mesh of %d device(s) over %d process(es); this is process %d with %d of them.", mesh.size,
                 jax.process_count(), jax.process_index(), len(mesh.local_devices))
    accumulation_steps = _checked_accumulation_steps(config, mesh)
    data = input_pipeline.get_data(config.data, workdir, config.seed)
    streaming = isinstance(data, input_pipeline.StreamingDataset)
    steps_per_epoch = data.num_train // config.batch_size
    if steps_per_epoch == 0:
        raise ValueError(f"batch_size={config.batch_size} exceeds the {data.num_train} training examples.")
    total_steps = durations.to_steps(config, "train", steps_per_epoch)
    log_every = durations.to_steps(config, "log_every", steps_per_epoch, default=steps_per_epoch)
    eval_every = durations.to_steps(config, "eval_every", steps_per_epoch, default=total_steps)
    checkpoint_every = durations.to_steps(config, "checkpoint_every", steps_per_epoch, default=steps_per_epoch)

    schedule = schedules.build(config.schedule, steps_per_epoch, total_steps)
    optimizer = optimizers.build(config.optimizer, schedule)
    model = models.build(config.model)
    task = tasks.build(config.task, data.num_classes)
    state = train_state.create(model, optimizer.tx, task.example_inputs(data.train), config.seed, mesh)

    checkpointer = checkpointing.Checkpointer(
        os.path.join(workdir, "checkpoints"), config.get("max_checkpoints_to_keep", 3)
    )
    restored = checkpointer.restore_latest(train_state.abstract_like(state))
    if restored is not None:
        state = restored
        logging.info("Resumed from the checkpoint at step %d in %s.", int(state.step), workdir)
    metric_writers.write_config(workdir, config.to_dict(), int(state.step))

    compiler_options = dict(config.get("compiler_options", {}))
    compute_dtype = config.get("compute_dtype", "float32")
    if streaming:  # batches read from disk as training goes, one step per batch
        train_chunk = streamed.make_train_chunk(model, task, optimizer, data, mesh, config.batch_size,
                                                compiler_options, accumulation_steps, compute_dtype)
        evaluate_split = streamed.make_split_evaluator(model, task, data, mesh, config.eval_batch_size,
                                                       compiler_options)
        eval_names = data.eval_split_names
    else:  # the whole dataset on the devices, chunks of steps as one compiled loop
        train_split = sharding.put_rows(data.train, mesh)
        eval_data, eval_mask, eval_ranges = steps.stack_eval_splits(data.eval_splits, config.eval_batch_size)
        eval_data, eval_mask = sharding.put_batches((eval_data, eval_mask), config.eval_batch_size, mesh)
        compiled_chunk = steps.make_train_chunk(
            model, task, optimizer, data.augment, mesh, config.batch_size, steps_per_epoch, data.num_train,
            compiler_options, accumulation_steps, compute_dtype, data.order,
        )
        evaluate = steps.make_evaluator(model, task, mesh, config.eval_batch_size, compiler_options)

        def train_chunk(state, num_steps):
            return compiled_chunk(state, train_split, num_steps)

        def evaluate_split(state, name):
            return evaluate(state, eval_data, eval_mask, *eval_ranges[name])

        eval_names = tuple(eval_ranges)

    def run_evaluation(step: int) -> dict[str, float]:
        results = {}
        for name in eval_names:
            metrics = task.summarize(jax.device_get(evaluate_split(state, name)))
            report.eval_line(step, name, metrics)
            results.update({f"{name}/{k}": v for k, v in metrics.items()})
        writer.write(step, results)
        return results

    writer = metric_writers.MetricWriter(workdir, resume_step=int(state.step))
    try:
        step = int(state.step)
        report = progress.Progress(total_steps, config.batch_size, step)
        final, evaluated = {}, False
        chunk_limit = 1  # the first chunk (one step) compiles; later ones are sized by their speed
        pending = metric_writers.load_unlogged_sums(workdir, step)  # the training sums since the last log line
        with preemption.StopRequests() as stop_requests:
            while step < total_steps:
                boundary = _next_stop(step, total_steps, steps_per_epoch, log_every, eval_every, checkpoint_every)
                stop = min(boundary, step + chunk_limit)
                started = time.perf_counter()
                state, sums = train_chunk(state, stop - step)
                sums = jax.device_get(sums)
                chunk_limit = max(1, int((stop - step) * MAX_CHUNK_SECONDS / (time.perf_counter() - started)))
                _check_finite(task.summarize(sums)["loss"], step, stop, schedule, checkpointer)
                pending = sums if pending is None else jax.tree.map(np.add, pending, sums)
                step = stop
                if step == boundary:
                    training = {f"training/{k}": v for k, v in task.summarize(pending).items() if k != "examples"}
                    pending = None
                    training["training/learning_rate"] = float(schedule(step - 1))
                    training.update({f"training/{k}": v for k, v in report.train_line(step, training).items()})
                    writer.write(step, {**training, "epoch": step / steps_per_epoch})
                    final.update(training)
                    if step % eval_every == 0 or step == total_steps:
                        final.update(run_evaluation(step))
                        evaluated = True
                    if step % checkpoint_every == 0 or step == total_steps:
                        checkpointer.save(step, state)
                if step < total_steps and stop_requests.requested():
                    if checkpointer.latest_step() != step:
                        checkpointer.save(step, state)
                    if pending is not None:
                        metric_writers.save_unlogged_sums(workdir, step, pending)
                    raise preemption.Preempted(
                        f"Stopped by SIGTERM at step {step} of {total_steps}; saved a checkpoint in {workdir}. Rerun "
                        f"the same command to resume.")
        if not evaluated:  # resumed after the end: evaluate once more
            final.update(run_evaluation(step))
        if hasattr(task, "final_evaluation"):  # what the compiled evaluation cannot do (e.g. decode and score BLEU)
            decoded = task.final_evaluation(model, state.params, data)
            report.eval_line(step, "decoded", decoded)
            writer.write(step, decoded)
            final.update(decoded)
    finally:  # however the run stops (the end, SIGTERM, a non-finite loss, Ctrl-C), finish pending saves
        checkpointer.close()
        writer.close()

    final.update({"step": step, "wall_time_seconds": report.elapsed()})
    reference, kind = progress.applicable_reference(config), config.get("reference_kind", "paper")
    if reference:
        logging.info("Final results beside the %s figures:\n%s", kind,
                     progress.compare_with_reference(reference, final, kind))
    metric_writers.write_json(workdir, "summary.json", {"final": final, "reference": reference,
                                                        "reference_kind": kind})
    return final

