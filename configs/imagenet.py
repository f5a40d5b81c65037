"""ImageNet (ILSVRC-2012) streamed from TensorFlow Datasets, with AlexNet's recipe (Krizhevsky et al. 2012).

Paper: AlexNet, Table 2 (ILSVRC-2012 validation, one CNN): top-1 error 40.7%, top-5 18.2% (Table 1,
ILSVRC-2010 test: 37.5% and 17.0%). Not yet reproduced here (it needs a GPU host and the dataset; README).

Data (sections 2 and 4.1): the training set's mean subtracted from every pixel (for AlexNet; the other models
are standardised per channel), shorter side rescaled to 256 and the central 256x256 kept; random 227x227
patches (224 in the paper's text; see `models/alexnet.py`) and their mirror images; PCA colour lighting with std
0.1; evaluation on the validation set's ten patches (four corners and centre, and their reflections), softmax
averaged (`eval_views=center` for one centre crop). Streamed with tf.data, one shard per process
(`input_pipeline/streaming.py`); tfds builds `imagenet2012` from the two ILSVRC-2012 tar files placed in its
manual directory (`~/tensorflow_datasets/downloads/manual/`; see the tfds catalogue).

Recipe (section 5): SGD with batch 128, momentum 0.9 and weight decay 0.0005 in the paper's update rule
(`alexnet_sgd`), weights from N(0, 0.01^2) and biases 1 in conv2, conv4, conv5 and the FC layers (the model's
own initialisation), learning rate 0.01 "divided by 10 when the validation error rate stopped improving",
three times in about 90 epochs: here fixed at epochs 30, 60 and 80, since a config cannot watch the validation
error.

    python launch.py --config=configs/imagenet.py --workdir=runs/imagenet_alexnet
    python launch.py --config=configs/imagenet.py:model=resnet50,crop_size=224 --workdir=runs/imagenet_resnet50

Arguments: model (any registered ImageNet model or variant: alexnet, vgg16, resnet50, ...); crop_size (227 for
AlexNet, 224 for the others); eval_views (ten_crop or center); epochs; smoke (tfds mock data in the tests: the
CIFAR ResNet-20 with 1,000 outputs on 64x64 crops, small enough to compile quickly, with BatchNorm state).
"""

from configs import arguments, base


def get_config(arg: str | None = None):
    args = arguments.parse(arg, model="alexnet", crop_size=227, eval_views="ten_crop", epochs=90, smoke=False)
    config = base.base_config()
    config.model = base.model_config(args.model)
    config.data.name = "imagenet2012"
    config.data.source = "tfds_streaming"
    config.data.resize_size = 256
    config.data.crop_size = args.crop_size
    config.data.eval_views = args.eval_views
    config.data.standardize = "subtract_mean" if args.model == "alexnet" else "per_channel"
    config.data.shuffle_buffer = 10_000
    config.data.augment = {"pca_lighting": 0.1}
    config.data.eval_splits = ("validation",)
    config.task.top_k = 5
    config.batch_size = 128
    config.eval_batch_size = 128  # ten views each: 1,280 images per evaluation batch
    config.optimizer.name = "alexnet_sgd"
    config.optimizer.momentum = 0.9
    config.optimizer.weight_decay = 5e-4
    config.schedule.name = "step"
    config.schedule.values = (0.01, 0.001, 0.0001, 0.00001)
    config.schedule.boundaries_epochs = (30.0, 60.0, 80.0)
    config.train_epochs = float(args.epochs)
    config.eval_every_epochs = 5.0
    config.checkpoint_every_steps = 2_000  # about 8 minutes of a fast GPU; an epoch is 10,009 steps
    base.set_reference(config, {"validation/error": 0.407, "validation/top5_error": 0.182}, "imagenet2012")
    if args.smoke:
        base.shrink_for_smoke(config, num_train=16)
        config.model = base.model_config("cifar_resnet20", num_classes=1000)
        config.data.standardize = "per_channel"
        config.data.resize_size, config.data.crop_size = 72, 64
        config.data.shuffle_buffer = 16
        config.batch_size, config.eval_batch_size = 4, 4
    return config
