"""Krizhevsky et al. 2012, sections 3.3 and 3.4 on CIFAR-10: local response normalisation and overlapping pooling,
each switched in the four-layer net of Figure 1.

Paper: section 3.3, "on the CIFAR-10 dataset: a four-layer CNN achieved a 13% test error rate without
normalization and 11% with normalization" (most likely cuda-convnet's layers-conv-local-13pct.cfg and -11pct.cfg,
which differ by two normalisation layers; trained for about 470 epochs on translated crops and tested on several
views per image, by the files' notes); on ImageNet LRN took 1.4% off top-1 error and 1.2% off top-5, section 3.4's
overlapping pooling 0.4% and 0.3%. Target: none set; the issue asks for the ablations reported honestly.

Setting: Figure 1's net and conditions as cuda-convnet trains it (`alexnet_fig1.py:activation=relu,cuda_convnet`:
raw pixels less the mean image, layers-18pct.cfg's initialisation, max-pooling, SGD with momentum 0.9, batch 128,
its chosen constant learning rate 0.001, no regularisation), trained on 45,000 images for 15 epochs and judged
on the 5,000 held out, the 1,000 exact test images and (labelled) all 10,000. The raw pixel scale matters: with
the paper's constants (k = 2, alpha = 1e-4, n = 5) LRN departs from a constant rescaling only where activations
reach tens (alpha times a sum of five squares against k); that happens with raw pixels, not with standardised
inputs or tanh (docs/results/cnn_lineage.md). `lrn` normalises conv1's and conv2's activations before their pooling,
as AlexNet does; `overlapping_pool=false` pools 2x2 windows with stride 2 instead of 3x3.

Measured (docs/results/cnn_lineage.md; seeds 0-2, held_out error): baseline 26.62, 26.50, 27.90%; with LRN
24.64, 24.72, 24.50%; non-overlapping pooling 28.48, 28.44, 28.22%; each 15-epoch run 13-29 minutes on one core.

    python -m train.sweep --config=configs/alexnet_ablations.py --workdir=runs/alexnet_ablations \\
        --set=data.data_dir=../shared/data
    python -m train.collect runs/alexnet_ablations --columns=held_out/error,test_exact/error,test/error

One run: `python launch.py --config=configs/alexnet_ablations.py:lrn --workdir=runs/ablation_lrn
--config.data.data_dir=../shared/data`. Arguments: lrn, overlapping_pool (on by default), epochs, smoke.
"""

from configs import alexnet_fig1, arguments, base


def get_config(arg: str | None = None):
    args = arguments.parse(arg, lrn=False, overlapping_pool=True, epochs=15, smoke=False)
    config = alexnet_fig1.get_config(
        f"activation=relu,cuda_convnet,lrn={args.lrn},overlapping_pool={args.overlapping_pool},"
        f"epochs={args.epochs}"
    )
    config.data.held_out = 5_000
    config.data.eval_splits = ("test_exact", "held_out", "test")
    if args.smoke:
        base.shrink_for_smoke(config)
    return config


def get_sweep(arg: str | None = None) -> list[dict]:
    """The baseline and each ablation, seeds 0-2."""
    return [{"config": condition, "seed": seed}
            for condition in ("lrn=false", "lrn", "overlapping_pool=false") for seed in (0, 1, 2)]
