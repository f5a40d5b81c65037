"""A modern variant of the LeCun et al. 1989 zip-code network on the same USPS split (not a paper result).

Same maps and connection table as the 1989 network (`models/lecun1989.py: LeCun1989Modern`), with what 33 years
added: ReLU, max-pooling, He initialisation, dropout, softmax cross-entropy, AdamW with a cosine schedule, random
translations of up to 1 pixel and Simard et al.'s (2003) elastic distortions (alpha 11, sigma 2.3 pixels: their
MNIST setting, 34 and 4, scaled from 28 to 16 pixels), 200 epochs; and a committee of five such networks (seeds
0-4, softmax outputs averaged; Ciresan et al. 2012). Target: test error <= 1.8% (the paper's 5.0%; human error on
this test set is about 2.5%, Bromley & Sackinger 1991). The elastic distortions, the 200 epochs and the committee
were chosen on 2,000 held-out training digits, never on the test set (docs/results/foundation.md).

    python launch.py --config=configs/lecun1989_modern.py --workdir=runs/lecun1989_modern          # one network
    python -m train.sweep --config=configs/lecun1989_modern.py --workdir=runs/lecun1989_committee   # five
    python -m train.committee runs/lecun1989_committee --split=test

Arguments: smoke (a few seconds, for tests); epochs=<int>; wide (the `lecun1989_modern_wide` variant: 24 maps
in H1 and H2, all connected, and 64 hidden units).
"""

from configs import arguments, base


def get_config(arg: str | None = None):
    args = arguments.parse(arg, smoke=False, epochs=200, wide=False)
    config = base.base_config()
    config.model = base.model_config("lecun1989_modern_wide" if args.wide else "lecun1989_modern")
    config.data.name = "usps"
    config.data.pixel_range = (-1.0, 1.0)
    config.data.eval_splits = ("test", "train")
    base.use_modern_recipe(config, learning_rate=3e-3, max_translation=1, warmup_epochs=2.0)
    config.data.augment.elastic_alpha = 11.0
    config.data.augment.elastic_sigma = 2.3
    config.batch_size = 32
    config.train_epochs = float(args.epochs)
    config.log_every_epochs = 10.0
    config.checkpoint_every_epochs = 10.0
    base.set_reference(config, {"test/error": 0.018}, "usps", kind="target")
    if args.smoke:
        base.shrink_for_smoke(config)
    return config


def get_sweep(arg: str | None = None) -> list[dict]:
    """The committee's five members: seeds 0-4 (then `python -m train.committee <workdir>`)."""
    return [{"seed": seed} for seed in range(5)]
