"""VGG (Simonyan & Zisserman 2015) on CIFAR-10, in the common CIFAR adaptation (not a table of the paper).

The paper trains on ImageNet. On CIFAR-10 the usual adaptation keeps Table 1's convolution stacks, adds
BatchNorm after every convolution and replaces the three FC layers by one 512 -> 10 layer (the 32x32 image is
1x1 after the five poolings); see `models/vgg.py`. Target: none set by the paper for CIFAR-10; we report ours
(commonly quoted figures for this adaptation are about 92% test accuracy for VGG-11, 93-94% for VGG-16).

Recipe: 45k/5k split (as the ResNet paper), per-channel standardisation, 4-pixel padding + random crop +
horizontal flip, SGD with momentum 0.9 and weight decay 5e-4, batch 128, learning rate 0.05 with cosine decay
after a 2-epoch linear warmup, 160 epochs. Judged on "test_exact" (1,000 exact test images) and "held_out";
"test" (all 10,000, 9,000 of them JPEG-degraded in ../shared/data) beside them.

    python launch.py --config=configs/cifar_vgg.py:depth=16 --workdir=runs/cifar_vgg16 \\
        --config.data.data_dir=../shared/data
    python launch.py --config=configs/cifar_vgg.py:depth=11,lrn --workdir=runs/cifar_vgg11_lrn ...

Arguments: depth (11, 13, 16, 19: Table 1's A, B, D, E); lrn (configuration A-LRN, depth 11 only; the paper
found LRN "does not improve" A, Table 3: 10.5% vs 10.4% top-5); epochs; smoke.
"""

from configs import arguments, base


def get_config(arg: str | None = None):
    args = arguments.parse(arg, depth=16, lrn=False, epochs=160, smoke=False)
    if args.lrn and args.depth != 11:
        raise ValueError("lrn selects configuration A-LRN, which exists only for depth=11.")
    name = f"vgg{args.depth}{'_lrn' if args.lrn else ''}"
    config = base.base_config()
    config.model = base.model_config(name, num_classes=10, fc_widths=(), batch_norm=True)
    base.use_cifar10(config, standardize="per_channel")
    config.batch_size = 128
    config.optimizer.update(name="sgd", momentum=0.9, weight_decay=5e-4)
    # Without a warmup, 0.05 blew VGG-11 up in its first 25 steps (loss 6.3, then stuck at chance; VGG-16 was at
    # 15% after 3 epochs); a linear warmup (Goyal et al. 2017) gets it through (docs/results/cnn_lineage.md).
    config.schedule.update(name="cosine", learning_rate=0.05, warmup_epochs=2.0)
    config.train_epochs = float(args.epochs)
    config.eval_every_epochs = 10.0
    config.checkpoint_every_epochs = 1.0
    if args.smoke:
        base.shrink_for_smoke(config)
        # The smallest configuration (A, or A-LRN) runs the same layer kinds in a third of VGG-16's test time.
        config.model.configuration = "A-LRN" if args.lrn else "A"
    return config
