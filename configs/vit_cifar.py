"""ViT (Dosovitskiy et al. 2021) trained from scratch on CIFAR-10 with what small-data ViTs need: 4-pixel random
crops and flips, RandAugment (Cubuk et al. 2020; 2 layers, magnitude 9), mixup (Zhang et al. 2018, alpha 0.8)
or CutMix (Yun et al. 2019, alpha 1.0) on alternate batches at random, label smoothing 0.1, AdamW (weight decay
0.05) with linear warmup and cosine decay: the DeiT recipe (Touvron et al. 2021, Table 9), scaled down and without
its random erasing, repeated augmentation and stochastic depth. Judged on `test_exact` (the 1,000 byte-exact test
images) and `held_out` (5,000 training images set aside), the JPEG-degraded all-10,000 `test` beside them.

Target (issue 6): >= 90% test accuracy when a GPU is lent (published small ViTs from scratch reach about 90-93%);
on this CPU, a short schedule with its measured number: width 128, depth 4, 4 heads, MLP 256, 5 epochs, warmup 1,
crops and flips only (no mixup, CutMix or RandAugment, which pay off over long schedules) reached 56.80% on
test_exact (README, Vision Transformer). The 200-epoch GPU run has not been made.

    python launch.py --config=configs/vit_cifar.py --workdir=runs/vit_cifar --config.data.data_dir=../shared/data

Arguments: epochs (default 200); width, depth, heads, mlp (default the speed benchmark's ViT: 192, 6, 3, 768);
patch (default 4); smoke.
"""

from configs import arguments, base


def get_config(arg: str | None = None):
    args = arguments.parse(arg, smoke=False, epochs=200.0, width=192, depth=6, heads=3, mlp=768, patch=4)
    config = base.base_config()
    config.model = base.model_config("vit", num_classes=10, patch_size=args.patch, hidden_size=args.width,
                                     num_layers=args.depth, num_heads=args.heads, mlp_dim=args.mlp,
                                     dropout_rate=0.0, attention_dropout_rate=0.0)
    base.use_cifar10(config, standardize="per_channel")
    config.compiler_options = {}  # the YNN fusions slow ViT down (../shared/CPU-PERF-NOTES.md)
    config.data.augment.update(randaugment_layers=2, randaugment_magnitude=9.0)
    config.task.update(label_smoothing=0.1, mixup_alpha=0.8, cutmix_alpha=1.0)
    config.optimizer.update(name="adamw", weight_decay=0.05, grad_clip_norm=1.0)
    config.schedule.update(name="cosine", learning_rate=1e-3, warmup_epochs=5.0)
    config.batch_size = 128
    config.train_epochs = args.epochs
    config.eval_every_epochs = 10.0
    config.checkpoint_every_epochs = 1.0
    config.reference = {"test_exact/accuracy": 0.90}  # the GPU target
    if args.smoke:
        base.shrink_for_smoke(config)
        config.model.update(hidden_size=16, num_layers=1, num_heads=2, mlp_dim=32, patch_size=8)
    return config
