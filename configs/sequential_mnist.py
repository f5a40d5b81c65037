"""Sequential MNIST (Le, Jaitly & Hinton 2015, section 4.2): an LSTM reads each digit as a sequence and
classifies it from its last state. Row by row (28 steps of 28 pixels), target >= 98% test accuracy; pixel by
pixel (784 steps of 1 pixel), no target, reported: 72.06% after the 10 epochs (48 min 37 s of training on 2 CPU
cores; still underfitting, training accuracy 72.33%).

    python launch.py --config=configs/sequential_mnist.py --workdir=runs/smnist_rows \\
        --config.data.data_dir=../shared/data
    python launch.py --config=configs/sequential_mnist.py:reading=pixels --workdir=runs/smnist_pixels \\
        --config.data.data_dir=../shared/data

Arguments: reading=<rows|pixels> (default rows); cell=<rnn|lstm|gru> (default lstm); epochs; smoke.
Recipe: 128 hidden units, Adam (lr 1e-3, cosine decay), batch 128, gradient norm clipped at 1.
"""

from configs import arguments, base

STEP_SIZES = {"rows": 28, "pixels": 1}


def get_config(arg: str | None = None):
    args = arguments.parse(arg, smoke=False, reading="rows", cell="lstm", epochs=10.0)
    if args.reading not in STEP_SIZES:
        raise ValueError(f"Unknown reading {args.reading!r}; choose one of {sorted(STEP_SIZES)}.")
    config = base.base_config()
    config.model = base.model_config("many_to_one", cell=args.cell, features=128, num_classes=10,
                                     step_size=STEP_SIZES[args.reading])
    config.data.name = "mnist"
    config.optimizer.name = "adam"
    config.optimizer.grad_clip_norm = 1.0
    config.schedule.name = "cosine"
    config.schedule.learning_rate = 1e-3
    config.batch_size = 128
    config.train_epochs = args.epochs
    # The target for rows; pixel by pixel has none to print beside ours (the issue asks for the number).
    if args.reading == "rows":
        base.set_reference(config, {"test/accuracy": 0.98}, "mnist", kind="target")
    if args.smoke:
        base.shrink_for_smoke(config)
        config.model.features = 16
    return config
