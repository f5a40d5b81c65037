"""He et al. 2016, "Deep Residual Learning for Image Recognition": the CIFAR-10 experiments of section 4.2.

Reproduces Table 6 (test error of ResNet-20/32/44/56/110: 8.75, 7.51, 7.17, 6.97, 6.43%) and Figure 6 (plain
networks get worse with depth: plain-56 ends with higher training and test error than plain-20; residual
networks get better). Targets: ResNet-20 <= 8.75%, ResNet-56 <= 6.97%.

Recipe (section 4.2): the 6n+2-layer networks of `models/resnet.py: CifarResNet` with option A shortcuts;
45k/5k train/validation split; per-pixel mean subtracted; 4-pixel padding + random 32x32 crop + horizontal flip;
SGD with momentum 0.9, weight decay 1e-4, batch 128, learning rate 0.1 divided by 10 at 32k and 48k iterations,
stopped at 64k; ResNet-110 (and 1202) warm up at 0.01 for the first 400 iterations. He initialisation, BatchNorm.

Which test set: CIFAR-10 test images 1000-9999 of ../shared/data are JPEG-degraded (see its README), so the
result is judged on "test_exact" (the 1,000 exact test images) and "held_out" (the 5,000 held-out training
images); "test" (all 10,000) is reported beside them, labelled. With the original pickles all are exact.

    python launch.py --config=configs/cifar_resnet.py:depth=20 --workdir=runs/cifar_resnet20 \\
        --config.data.data_dir=../shared/data
    python launch.py --config=configs/cifar_resnet.py:depth=56,plain --workdir=runs/cifar_plain56 ...

Measured on one H200 GPU (README, Results): ResNet-20 `test_exact` 8.90% (`held_out` 8.38%) in 2 min 58 s;
ResNet-56 6.60% (`held_out` 6.88%) in 7 min 47 s. On a 2-core CPU the full schedule would take about 10 hours.

Figure 6 plots training error (thin lines, here `training/error`: the running error on augmented batches) and
test error (bold lines, here `held_out/error` and `test_exact/error`) against iterations.

Arguments: depth (20, 32, 44, 56, 110, 1202); plain (no shortcuts, Figure 6); iterations (a shorter schedule
with the same shape: boundaries at 50% and 75%); smoke.
"""

from configs import arguments, base

TABLE_6_TEST_ERROR = {20: 0.0875, 32: 0.0751, 44: 0.0717, 56: 0.0697, 110: 0.0643, 1202: 0.0793}


def get_config(arg: str | None = None):
    args = arguments.parse(arg, depth=20, plain=False, iterations=64_000, smoke=False)
    if args.depth not in TABLE_6_TEST_ERROR:
        raise ValueError(f"depth={args.depth}: choose one of Table 6's depths {sorted(TABLE_6_TEST_ERROR)}.")
    config = base.base_config()
    kind = "plain" if args.plain else "resnet"
    config.model = base.model_config(f"cifar_{kind}{args.depth}")
    base.use_cifar10(config, standardize="per_pixel_mean")
    config.batch_size = 128
    config.optimizer.name = "sgd"
    config.optimizer.momentum = 0.9
    config.optimizer.weight_decay = 1e-4
    total = args.iterations
    config.schedule.name = "step"
    if args.depth >= 110:  # "we use 0.01 to warm up the training until the training error is below 80%"
        config.schedule.values = (0.01, 0.1, 0.01, 0.001)
        config.schedule.boundaries_steps = (400, total // 2, total * 3 // 4)
    else:
        config.schedule.values = (0.1, 0.01, 0.001)
        config.schedule.boundaries_steps = (total // 2, total * 3 // 4)
    config.train_steps = total
    config.log_every_steps = min(total, 500)
    config.eval_every_steps = min(total, 4_000)
    config.checkpoint_every_steps = min(total, 2_000)
    if not args.plain:
        base.set_reference(config, {"test_exact/error": TABLE_6_TEST_ERROR[args.depth]}, "cifar10")
    if args.smoke:
        base.shrink_for_smoke(config)
        config.data.eval_splits = ("test_exact", "held_out")
    return config


def get_sweep(arg: str | None = None) -> list[dict]:
    """Table 6's residual rows and Figure 6's plain networks at the same depths
    (`python -m train.sweep --config=configs/cifar_resnet.py --workdir=runs/table6`)."""
    depths = (20, 32, 44, 56, 110)
    return ([{"config": f"depth={d}"} for d in depths]
            + [{"config": f"depth={d},plain"} for d in depths if d != 110])
