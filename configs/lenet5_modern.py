"""A modern variant of LeNet-5 on MNIST (not a paper result): the same 6-16-120-84 widths with ReLU,
max-pooling, dropout, softmax cross-entropy, AdamW with a cosine schedule and random translations of up to 2 pixels
(`models/lenet5.py: LeNet5Modern`). For comparison, the paper's LeNet-5 with distortions reached 0.80%.

    python launch.py --config=configs/lenet5_modern.py --workdir=runs/lenet5_modern \
        --config.data.data_dir=../shared/data

Arguments: smoke (a few seconds, for tests); epochs=<int>.
"""

from configs import arguments, base


def get_config(arg: str | None = None):
    args = arguments.parse(arg, smoke=False, epochs=20)
    config = base.base_config()
    config.model = base.model_config("lenet5_modern")
    config.data.name = "mnist"
    config.data.pad_to = 32
    config.data.pixel_range = (-0.1, 1.175)
    base.use_modern_recipe(config, learning_rate=2e-3, max_translation=2, warmup_epochs=1.0)
    config.batch_size = 128
    config.train_epochs = float(args.epochs)
    base.set_reference(config, {"test/error": 0.0080}, "mnist")  # LeNet-5 with distortions (section III.C.1)
    if args.smoke:
        base.shrink_for_smoke(config)
    return config
