"""The fully connected baseline of LeCun et al. 1998 (section III.C.5, Figure 9): a 784-300-10 network on MNIST,
4.7% test error in the paper. Ours trains it with SGD + momentum on the 28x28 images scaled to [0, 1].

    python launch.py --config=configs/mlp.py --workdir=runs/mlp --config.data.data_dir=../shared/data

Arguments: smoke (a few seconds, for tests); dataset=<mnist|fashion_mnist|usps>; hidden=<int>.
"""

from configs import arguments, base


def get_config(arg: str | None = None):
    args = arguments.parse(arg, smoke=False, dataset="mnist", hidden=300)
    config = base.base_config()
    config.model = base.model_config("mlp", hidden_units=(args.hidden,), activation="relu")
    config.data.name = args.dataset
    config.task.loss = "softmax_cross_entropy"
    config.optimizer.name = "sgd"
    config.optimizer.momentum = 0.9
    config.schedule.name = "cosine"
    config.schedule.learning_rate = 0.05
    config.batch_size = 128
    config.train_epochs = 20.0
    base.set_reference(config, {"test/error": 0.047}, "mnist")  # dataset=fashion_mnist or usps: none printed
    if args.smoke:
        base.shrink_for_smoke(config)
    return config
