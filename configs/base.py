"""Defaults shared by every config: every field the trainer reads exists here, so a typo in an override
(`--config.optimizer.momentm=0.9`) is an error rather than a silently ignored setting."""

import dataclasses

import ml_collections

import models
from train import tasks


def model_config(name: str, **overrides) -> ml_collections.ConfigDict:
    """The registered model behind `name` (a model or a named variant) plus every attribute of its module with
    its default (or the variant's value), then `overrides`."""
    name, variant_fields = models.resolve(name)
    fields = {
        f.name: f.default for f in dataclasses.fields(models.MODELS[name])
        if f.init and f.name not in ("parent", "name") and f.default is not dataclasses.MISSING
    }
    fields.update(variant_fields)
    unknown = sorted(set(overrides) - set(fields))
    if unknown:
        raise ValueError(f"Model {name!r} has no field(s) {unknown}; its fields are {sorted(fields)}.")
    return ml_collections.ConfigDict({"name": name, **fields, **overrides})


def task_config(name: str, **overrides) -> ml_collections.ConfigDict:
    """The registered task `name` with every field at its default, then `overrides` (num_classes comes from the
    dataset)."""
    if name not in tasks.TASKS:
        raise ValueError(f"Unknown task {name!r}; registered tasks: {sorted(tasks.TASKS)}.")
    fields = {
        f.name: f.default for f in dataclasses.fields(tasks.TASKS[name])
        if f.name != "num_classes" and f.default is not dataclasses.MISSING
    }
    unknown = sorted(set(overrides) - set(fields))
    if unknown:
        raise ValueError(f"Task {name!r} has no field(s) {unknown}; its fields are {sorted(fields)}.")
    return ml_collections.ConfigDict({"name": name, **fields, **overrides})


def base_config() -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.seed = 0
    config.num_devices = 0  # 0: every device, data-parallel
    config.batch_size = 128  # global, over all devices and hosts
    config.gradient_accumulation_steps = 1  # >1: each batch as that many microbatches in turn (same gradient)
    config.compute_dtype = "float32"  # "bfloat16": mixed precision in training (float32 parameters and loss)
    config.eval_batch_size = 1000
    # Durations: give the *_steps or the *_epochs field of each (0 = not given).
    config.train_steps = 0
    config.train_epochs = 0.0
    config.log_every_steps = 0  # default: every epoch
    config.log_every_epochs = 0.0
    config.eval_every_steps = 0  # default: at the end
    config.eval_every_epochs = 0.0
    config.checkpoint_every_steps = 0  # default: every epoch
    config.checkpoint_every_epochs = 0.0
    config.max_checkpoints_to_keep = 3

    config.data = ml_collections.ConfigDict(dict(
        name="", source="files", data_dir="", pixel_range=(0.0, 1.0), pad_to=0,
        augment=dict(max_translation=0, horizontal_flip=False, pca_lighting=0.0, affine_rotation=0.0,
                     affine_scale=0.0, affine_shear=0.0, elastic_alpha=0.0, elastic_sigma=0.0,
                     randaugment_layers=0, randaugment_magnitude=0.0, random_erasing=0.0),
        eval_splits=("test",), num_train=0, num_eval=0,
        held_out=0, standardize="", generator={},
        order="shuffled",  # or "constant": the training split's own order every pass (input_pipeline.ORDERS)
    ))
    config.task = task_config("classification")
    config.optimizer = ml_collections.ConfigDict(dict(
        name="sgd", momentum=0.0, nesterov=False, weight_decay=0.0, b1=0.9, b2=0.999, eps=1e-8,
        mu=0.02, curvature_samples=500, curvature="gauss_newton", curvature_method="__call__",
        grad_clip_norm=0.0,
    ))
    config.schedule = ml_collections.ConfigDict(dict(
        name="constant", learning_rate=0.1, values=(0.1,), boundaries_steps=(), boundaries_epochs=(),
        end_learning_rate=0.0, warmup_steps=0, warmup_epochs=0.0,
    ))
    # Figures printed beside ours at the end of a run (`set_reference`).
    config.reference = ml_collections.ConfigDict()
    config.reference_kind = "paper"
    config.reference_dataset = ""
    # XLA options for compiling the training loop and the evaluation (per model: see `train.steps.jit_with_options`).
    config.compiler_options = ml_collections.ConfigDict()
    return config


REFERENCE_KINDS = ("paper", "target", "baseline")


def set_reference(config: ml_collections.ConfigDict, figures: dict, dataset: str, kind: str = "paper") -> None:
    """`figures` ({metric: value}) to print beside ours when a run ends: the paper's, an issue's target or a
    trivial predictor's ("baseline"), as `kind` says. They hold for `dataset` only: a run overridden onto another
    dataset prints no comparison rather than, say, the paper's MNIST error beside a Fashion-MNIST result."""
    if kind not in REFERENCE_KINDS:
        raise ValueError(f"Unknown reference kind {kind!r}; choose one of {list(REFERENCE_KINDS)}.")
    config.reference = figures
    config.reference_kind = kind
    config.reference_dataset = dataset


def shrink_for_smoke(config: ml_collections.ConfigDict, num_train: int = 256) -> None:
    """The `smoke` variant every config offers: same code paths, a few seconds of work (used by the tests)."""
    config.data.num_train = num_train
    config.data.num_eval = 200
    config.eval_batch_size = 100
    config.train_steps, config.train_epochs = 0, 2.0
    config.eval_every_steps, config.eval_every_epochs = 0, 0.0
    config.checkpoint_every_steps, config.checkpoint_every_epochs = 0, 0.0
    config.log_every_steps, config.log_every_epochs = 0, 0.0
    config.schedule.warmup_steps, config.schedule.warmup_epochs = 0, 0.0
    if config.schedule.name == "step":
        config.schedule.boundaries_steps = ()
        count = len(config.schedule["values"]) - 1  # spread evenly over the 2 smoke epochs
        config.schedule.boundaries_epochs = tuple(2.0 * (i + 1) / (count + 1) for i in range(count))


# XLA:CPU's YNNPACK fusion of dots, elementwise ops and reductions (in XLA_FLAGS: --xla_cpu_experimental_ynn_
# fusion_type=dot,eltwise,reduce). CIFAR ResNet-20 trains faster with it on a 2-core CPU (see docs/speed.md);
# ../shared/CPU-PERF-NOTES.md measured it slowing ViT and the Transformer, so convolutional configs opt in.
CPU_CONV_NET_OPTIONS = {
    "xla_cpu_experimental_ynn_fusion_type": ",".join(
        f"LIBRARY_FUSION_TYPE_{kind}" for kind in ("DOT", "ELTWISE", "REDUCE")
    ),
}


def use_cifar10(config: ml_collections.ConfigDict, standardize: str, held_out: int = 5_000,
                augment: bool = True) -> None:
    """CIFAR-10 as every CIFAR config reads it: `held_out` training images set aside (He et al.'s 45k/5k split),
    judged on "test_exact" and "held_out" with the all-10,000 "test" beside them (see ../shared/data/README.md),
    He et al.'s 4-pixel pad-and-crop plus flips when `augment`, and the CPU convolution compiler options."""
    config.data.name = "cifar10"
    config.data.held_out = held_out
    config.data.standardize = standardize
    if augment:
        config.data.augment.update(max_translation=4, horizontal_flip=True)  # the other fields stay settable
    config.data.eval_splits = ("test_exact", "held_out", "test") if held_out else ("test_exact", "test")
    config.eval_batch_size = 500
    config.compiler_options = CPU_CONV_NET_OPTIONS


def use_modern_recipe(
    config: ml_collections.ConfigDict, learning_rate: float, max_translation: int, warmup_epochs: float
) -> None:
    """What the "modern" variants change besides the model: softmax cross-entropy, AdamW (weight decay 1e-4)
    with linear warmup and cosine decay, and random translations of up to `max_translation` pixels."""
    config.task.loss = "softmax_cross_entropy"
    config.optimizer.name = "adamw"
    config.optimizer.weight_decay = 1e-4
    config.schedule.name = "cosine"
    config.schedule.learning_rate = learning_rate
    config.schedule.warmup_epochs = warmup_epochs
    config.data.augment.max_translation = max_translation


def use_synthetic_sequences(config: ml_collections.ConfigDict, name: str, length: int, steps: int) -> None:
    """The adding problem's and the copy task's shared setting: 100,000 training and 10,000 test sequences of
    `length` generated from seed 0, Adam (lr 1e-3) with the gradient norm clipped at 1, batch 64, `steps` steps,
    evaluated and checkpointed every 1,000."""
    config.data.name = name
    config.data.generator = {"sequence_length": length, "num_train": 100_000, "num_test": 10_000, "seed": 0}
    config.optimizer.name = "adam"
    config.optimizer.grad_clip_norm = 1.0
    config.schedule.name = "constant"
    config.schedule.learning_rate = 1e-3
    config.batch_size = 64
    config.train_steps = steps
    config.log_every_steps = 250
    config.eval_every_steps = 1000
    config.checkpoint_every_steps = 1000
