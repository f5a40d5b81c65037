"""Parameter counts pinned to the papers, output shapes, and the shared layers against plain references."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import traverse_util

import configs.base
import models
from models.layers import ConnectionTableConv, EuclideanRBF, TrainableSubsampling, scaled_tanh
from models.lenet5 import C3_CONNECTIONS, digit_prototypes

IMAGENET, CIFAR = (224, 224, 3), (32, 32, 3)


def deck_lstm(inputs, hidden=128):
    """The deck's LSTM: four gates' W (inputs x hidden) and U (hidden x hidden), biases on all but the candidate."""
    return 4 * (inputs * hidden + hidden * hidden) + 3 * hidden


def bilstm(inputs, hidden, candidate_bias=True):
    return 2 * (4 * (inputs * hidden + hidden * hidden) + (4 if candidate_bias else 3) * hidden)


# Conv (k x k x in x out + bias where there is no BatchNorm, 2 x out for BatchNorm's scale and offset), Table 1.
CRNN_SMALL_CONVS = (9 * 16 + 16) + (9 * 16 * 32 + 32) + (9 * 32 * 64 + 64) + (9 * 64 * 64 + 64) + (
    9 * 64 * 128 + 256) + (9 * 128 * 128 + 256) + (4 * 128 * 128 + 128)

# name (a registered model or a named variant) -> (input shape, exact parameter count, output shape after the
# batch: the number of classes, or (steps, classes) for per-step outputs).
# Every registered model and every variant needs an entry; the paper's count where it gives one exactly.
PARAMETER_COUNTS = {
    "lecun1989": ((16, 16, 1), 9_760, 10),  # LeCun et al. 1989, section 5
    "lenet5": ((32, 32, 1), 60_000, 10),  # LeCun et al. 1998, section II.B ("60,000 trainable parameters")
    "lecun1989_modern": ((16, 16, 1), 8_824, 10),  # 312 + 2,412 + 5,790 + 310: per-map instead of per-unit biases
    # 24 * 25 + 24, then H2 fully connected: 24 * 24 * 25 + 24, 4 * 4 * 24 * 64 + 64, 64 * 10 + 10.
    "lecun1989_modern_wide": ((16, 16, 1), 624 + 14_424 + 24_640 + 650, 10),
    "lenet5_modern": ((32, 32, 1), 61_706, 10),  # 156 + 2,416 (full C3) + 48,120 + 10,164 + 850
    "mlp": ((28, 28, 1), 238_510, 10),  # 784*300 + 300 + 300*10 + 10
    # Krizhevsky et al. 2012 ("60 million"): conv 34,944 + 307,456 + 885,120 + 663,936 + 442,624 (conv2, 4, 5
    # split over two GPUs) + FC 37,752,832 + 16,781,312 + 4,097,000.
    "alexnet": ((227, 227, 3), 60_965_224, 1000),
    # cuda-convnet layers-18pct (without its normalisation layers): 2,432 + 25,632 + 51,264 + 4*4*64*10 + 10.
    "four_layer_cnn": (CIFAR, 89_578, 10),
    # Simonyan & Zisserman 2015, Table 2 (in millions: 133, 133, 133, 134, 138, 144).
    "vgg": (IMAGENET, 138_357_544, 1000),
    "vgg11": (IMAGENET, 132_863_336, 1000),
    "vgg11_lrn": (IMAGENET, 132_863_336, 1000),  # LRN has no parameters
    "vgg13": (IMAGENET, 133_047_848, 1000),
    "vgg16_1x1": (IMAGENET, 133_638_952, 1000),
    "vgg16": (IMAGENET, 138_357_544, 1000),
    "vgg19": (IMAGENET, 143_667_240, 1000),
    # He et al. 2016, Table 1 networks (the paper gives FLOPs; these are torchvision's exact counts).
    "resnet": (IMAGENET, 25_557_032, 1000),
    "resnet18": (IMAGENET, 11_689_512, 1000),
    "resnet34": (IMAGENET, 21_797_672, 1000),
    "resnet50": (IMAGENET, 25_557_032, 1000),
    "resnet101": (IMAGENET, 44_549_160, 1000),
    "resnet152": (IMAGENET, 60_192_808, 1000),
    # Plain ImageNet networks have no projection shortcuts, so they are smaller by exactly those (1x1 convs + BN):
    # basic: 64*128 + 128*256 + 256*512 = 172,032 weights, 2*(128 + 256 + 512) = 1,792 BN;
    # bottleneck: 64*256 + 256*512 + 512*1024 + 1024*2048 = 2,768,896 weights, 2*(256 + ... + 2048) = 7,680 BN.
    "plain18": (IMAGENET, 11_689_512 - 172_032 - 1_792, 1000),
    "plain34": (IMAGENET, 21_797_672 - 172_032 - 1_792, 1000),
    "plain50": (IMAGENET, 25_557_032 - 2_768_896 - 7_680, 1000),
    "plain101": (IMAGENET, 44_549_160 - 2_768_896 - 7_680, 1000),
    "plain152": (IMAGENET, 60_192_808 - 2_768_896 - 7_680, 1000),
    # Table 6 (0.27M, 0.46M, 0.66M, 0.85M, 1.7M, 19.4M); option A shortcuts have no parameters, so the plain
    # networks are the same size. `test_cifar_resnet_counts_follow_the_6n_plus_2_formula` derives each.
    "cifar_resnet": (CIFAR, 269_722, 10),
    **{f"cifar_{kind}{depth}": (CIFAR, count, 10) for depth, count in (
        (20, 269_722), (32, 464_154), (44, 658_586), (56, 853_018), (110, 1_727_962), (1202, 19_421_274))
       for kind in ("resnet", "plain")},
    # The four shapes (128 LSTM units, 10 outputs): the deck's LSTM plus a dense head of 128 * 10 + 10.
    "one_to_one": ((256,), deck_lstm(256) + 1_290, 10),
    "many_to_one": ((28, 28), deck_lstm(28) + 1_290, 10),  # MNIST row by row
    "one_to_many": ((256,), 256 * 128 + 128 + deck_lstm(128) + 1_290, (6, 10)),
    "many_to_many_aligned": ((10, 8), deck_lstm(8) + 1_290, (10, 10)),
    # Shi et al. 2015, section 3.4: "8.3M parameters" (37 classes with the blank; see models/crnn.py).
    "crnn": ((32, 100, 1), 8_325_669, (26, 37)),
    # Vaswani et al. 2017, Table 3 base, "65M" at a 37k vocabulary: inputs are (source, target) token ids.
    "transformer": (((8,), (8,)), 37_000 * 512 + 6 * 3_152_384 + 6 * 4_204_032, (8, 37_000)),
    # Bahdanau et al.'s layout at our default sizes (vocabularies 8,000, embeddings and units 256): embeddings,
    # a bidirectional deck LSTM encoder, the bridge to s_0, U h_j, then the decoder step: an LSTM reading
    # [embedding; context] (768), W s, v, and the output layer reading [s; context; embedding] (1,024).
    "rnn_encoder_decoder": (((8,), (8,)), 2 * 8000 * 256 + 2 * deck_lstm(256, 256) + (512 * 256 + 256) + 512 * 256
                            + deck_lstm(768, 256) + 256 * 256 + 256 + (1024 * 8000 + 8000), (8, 8000)),
    # Dosovitskiy et al. 2021, Table 1: B/16 86M, L/16 307M, H/14 632M; exact counts as the public
    # implementation's ImageNet-1k models (timm's vit_*_224: 86,567,656; 304,326,632; 632,045,800; Ti/16
    # 5,717,416 and S/16 22,050,664 as DeiT). Our L/16 is the public 304.3M (the paper's 307M is not derivable
    # from Table 1 with a 1,000-class head).
    "vit": (IMAGENET, 86_567_656, 1000),
    "vit_b16": (IMAGENET, 86_567_656, 1000),
    "vit_b32": (IMAGENET, 88_224_232, 1000),
    "vit_l16": (IMAGENET, 304_326_632, 1000),
    "vit_l32": (IMAGENET, 306_535_400, 1000),
    "vit_h14": (IMAGENET, 632_045_800, 1000),
    "vit_ti16": (IMAGENET, 5_717_416, 1000),
    "vit_s16": (IMAGENET, 22_050_664, 1000),
    "vit_s32": (IMAGENET, 22_878_952, 1000),
    "crnn_small": ((32, 128, 1), CRNN_SMALL_CONVS + bilstm(128, 128) + (256 * 128 + 128) + bilstm(128, 128)
                   + 256 * 11 + 11, (33, 11)),
}


def _inputs(name, batch):
    """Zeros of the entry's input shape, or token ids (int32) for each shape of a tuple of shapes."""
    shape = PARAMETER_COUNTS[name][0]
    if isinstance(shape[0], tuple):
        return tuple(jnp.ones((batch, *s), jnp.int32) for s in shape)
    return (jnp.zeros((batch, *shape)),)


def _abstract_variables(name, batch=2):
    model = models.build(configs.base.model_config(name))
    return model, jax.eval_shape(lambda: model.init(jax.random.PRNGKey(0), *_inputs(name, batch)))


def _params(name):
    model = models.build({"name": name})
    variables = model.init(jax.random.PRNGKey(0), jnp.zeros((2, *PARAMETER_COUNTS[name][0])))
    return model, variables


def _count(tree):
    return sum(x.size for x in jax.tree.leaves(tree))


def test_every_registered_model_and_variant_has_a_pinned_count():
    assert set(models.MODELS) | set(models.VARIANTS) == set(PARAMETER_COUNTS)


@pytest.mark.parametrize("name", sorted(PARAMETER_COUNTS))
def test_parameter_count_and_output_shape(name):
    # Shapes only (jax.eval_shape): nothing is allocated, so ResNet-1202 and VGG-19 cost no memory here.
    model, variables = _abstract_variables(name)
    shape, count, classes = PARAMETER_COUNTS[name]
    assert _count(variables["params"]) == count
    if name.endswith("1202"):
        return  # tracing 1,202 layers again for the output shape costs 10 s; depth 20 checks the same code
    outputs = jax.eval_shape(lambda v: model.apply(v, *_inputs(name, 3)), variables)
    assert outputs.shape == (3, *np.atleast_1d(classes))


def test_cifar_resnet_counts_follow_the_6n_plus_2_formula():
    # First conv 3*3*3*16 + BN 32; per stage of n blocks, 2 convs of 3x3 with BN; FC 64*10 + 10.
    def formula(n):
        count = 3 * 3 * 3 * 16 + 32 + 64 * 10 + 10
        for c_in, c in ((16, 16), (16, 32), (32, 64)):
            count += (9 * c_in * c + 2 * c) + (9 * c * c + 2 * c) + (n - 1) * 2 * (9 * c * c + 2 * c)
        return count

    for depth in (20, 32, 44, 56, 110, 1202):
        assert PARAMETER_COUNTS[f"cifar_resnet{depth}"][1] == formula((depth - 2) // 6)


def test_unknown_model_names_the_choices():
    with pytest.raises(ValueError, match="registered models.*variants"):
        models.build({"name": "resnet21"})


def test_lecun1989_layer_by_layer():
    # Section 5: H1 1,068 (768 unit biases + 12 x 25 weights), H2 2,592, H3 5,790, output 310.
    _, variables = _params("lecun1989")
    per_layer = {k: _count(v) for k, v in variables["params"].items()}
    assert per_layer == {"H1": 1_068, "H2": 2_592, "H3": 5_790, "output": 310}
    assert variables["params"]["H1"]["bias"].shape == (8, 8, 12)  # one bias per unit
    assert variables["params"]["H2"]["bias"].shape == (4, 4, 12)


def test_lenet5_layer_by_layer():
    _, variables = _params("lenet5")
    per_layer = {k: _count(v) for k, v in variables["params"].items()}
    assert per_layer == {"C1": 156, "S2": 12, "C3": 1_516, "S4": 32, "C5": 48_120, "F6": 10_164}


def test_c3_table_matches_table_1():
    assert sum(len(row) for row in C3_CONNECTIONS) == 60
    assert [len(row) for row in C3_CONNECTIONS] == [3] * 6 + [4] * 9 + [6]
    # Row 0 of Table I: S2 map 0 feeds C3 maps 0, 4, 5, 6, 9, 10, 11, 12, 14, 15.
    assert [j for j, row in enumerate(C3_CONNECTIONS) if 0 in row] == [0, 4, 5, 6, 9, 10, 11, 12, 14, 15]


def test_prototypes_are_distinct_plus_minus_one_bitmaps():
    prototypes = digit_prototypes()
    assert prototypes.shape == (10, 84) and set(np.unique(prototypes)) == {-1.0, 1.0}
    distances = ((prototypes[:, None] - prototypes[None]) ** 2).sum(-1)
    assert distances[~np.eye(10, dtype=bool)].min() >= 4 * 4  # every pair differs in at least 4 pixels


def test_scaled_tanh_maps_plus_minus_one_to_itself():
    np.testing.assert_allclose(scaled_tanh(jnp.array([-1.0, 0.0, 1.0])), [-1.0, 0.0, 1.0], atol=1e-4)


@pytest.mark.parametrize("stride", [1, 2])  # stride 2 has its own backward pass
@pytest.mark.parametrize("connections", [((0, 1), (1, 2), (0, 2), (0, 1, 2)), None])
def test_connection_table_conv_equals_per_map_reference(connections, stride):
    layer = ConnectionTableConv(connections, kernel_size=3, strides=stride, padding=1, pad_value=-1.0,
                                unit_bias=True, num_outputs=4)
    table = connections or ((0, 1, 2),) * 4  # None: every map reads every input
    x = jax.random.normal(jax.random.PRNGKey(0), (2, 7, 7, 3))
    variables = layer.init(jax.random.PRNGKey(1), x)
    kernel, bias = variables["params"]["kernel"], variables["params"]["bias"]
    out = (7 + 2 - 3) // stride + 1  # 7 pixels, padded by 1 on each side, 3x3 fields
    assert kernel.shape == (3, 3, sum(map(len, table))) and bias.shape == (out, out, 4)

    def reference(kernel, x):  # one plain convolution per output map over the maps it reads
        padded = jnp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), constant_values=-1.0)
        maps, start = [], 0
        for inputs in table:
            k = kernel[:, :, start:start + len(inputs)][..., None]
            start += len(inputs)
            maps.append(jax.lax.conv_general_dilated(
                padded[..., list(inputs)], k, (stride, stride), "VALID",
                dimension_numbers=("NHWC", "HWIO", "NHWC"),
            )[..., 0])
        return jnp.stack(maps, -1) + bias

    def ours(kernel, x):
        return layer.apply({"params": {"kernel": kernel, "bias": bias}}, x)

    np.testing.assert_allclose(ours(kernel, x), reference(kernel, x), rtol=1e-5, atol=1e-5)
    # At stride 2 the undifferentiated pass gathers its patches and the differentiated one slices them: the
    # same numbers, so evaluation sees exactly the network that training differentiates.
    np.testing.assert_array_equal(jax.vjp(ours, kernel, x)[0], ours(kernel, x))
    # Both lowerings must give the convolution's gradients (kernel and input), also per example under vmap
    # (as LeNet-5's curvature estimate differentiates): autodiff at stride 1, the hand-written pass at stride 2.
    weights = jax.random.normal(jax.random.PRNGKey(2), (2, out, out, 4))
    grads = [jax.grad(lambda k, x, f=f: jnp.sum(f(k, x) * weights), argnums=(0, 1))(kernel, x)
             for f in (ours, reference)]
    per_example = [jax.vmap(jax.grad(lambda k, x, w, f=f: jnp.sum(f(k, x[None]) * w)), (None, 0, 0))(
        kernel, x, weights) for f in (ours, reference)]
    for got, want in [*zip(*grads, strict=True), tuple(per_example)]:
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_trainable_subsampling_and_rbf_against_formulas():
    x = jax.random.normal(jax.random.PRNGKey(0), (2, 4, 4, 3))
    layer = TrainableSubsampling()
    variables = layer.init(jax.random.PRNGKey(1), x)
    c, b = variables["params"]["coefficient"], variables["params"]["bias"]
    sums = x.reshape(2, 2, 2, 2, 2, 3).sum(axis=(2, 4))
    np.testing.assert_allclose(layer.apply(variables, x), sums * c + b, rtol=1e-5)

    prototypes = np.sign(np.random.default_rng(0).normal(size=(10, 84))).astype(np.float32)
    features = jax.random.normal(jax.random.PRNGKey(2), (3, 84))
    penalties = EuclideanRBF(prototypes).apply({}, features)
    np.testing.assert_allclose(
        penalties, ((features[:, None, :] - prototypes[None]) ** 2).sum(-1), rtol=1e-4
    )


def test_paper_initialisation_bounds():
    _, variables = _params("lecun1989")
    flat = traverse_util.flatten_dict(variables["params"], sep="/")
    assert float(jnp.abs(flat["H1/kernel"]).max()) <= 2.4 / 25  # fan-in 25
    assert float(jnp.abs(flat["H2/kernel"]).max()) <= 2.4 / 200  # fan-in 8 maps x 25
    assert float(jnp.abs(flat["H3/kernel"]).max()) <= 2.4 / 192
    assert float(jnp.abs(flat["H2/kernel"]).max()) > 0.8 * 2.4 / 200  # and it is uniform up to the bound


def test_lenet5_takes_eblearns_initialisation_as_an_option():
    """EBLearn's forget_param_linear(1, 0.5): kernels U(-1/sqrt(F), 1/sqrt(F)) with F = kernel area x the input
    maps a C3 map reads; subsampling coefficients the constant 1/sqrt(2 x 2); biases 0."""
    model = models.build(configs.base.model_config(
        "lenet5", initializer="eblearn_1_over_sqrt_fan_in",
        subsampling_initializer="eblearn_constant_1_over_sqrt_fan_in"))
    params = model.init(jax.random.key(0), jnp.zeros((1, 32, 32, 1)))["params"]
    for layer, fan_in in (("C1", 25), ("C5", 16 * 25), ("F6", 120)):
        bound = float(jnp.abs(params[layer]["kernel"]).max())
        assert 0.9 / fan_in**0.5 < bound <= 1 / fan_in**0.5, layer
    c3 = np.abs(np.asarray(params["C3"]["kernel"]))  # (5, 5, 60): 6 maps of 3 inputs, 9 of 4, 1 of 6
    assert c3[:, :, :18].max() <= 1 / 75**0.5 < c3[:, :, :18].max() / 0.9
    assert c3[:, :, -6:].max() <= 1 / 150**0.5
    for layer in ("S2", "S4"):
        np.testing.assert_array_equal(params[layer]["coefficient"], 0.5)
        np.testing.assert_array_equal(params[layer]["bias"], 0.0)
    # left empty, the subsampling coefficients follow `initializer`, as before the field existed
    default = models.build(configs.base.model_config("lenet5")).init(jax.random.key(0), jnp.zeros((1, 32, 32, 1)))
    coefficient = np.asarray(default["params"]["S2"]["coefficient"])
    assert np.abs(coefficient).max() <= 2.4 / 4 and len(np.unique(coefficient)) == 6


def test_figure1_net_takes_alexnets_gaussian_initialisation_as_an_option():
    def kernel_stds(**fields):
        model = models.build({"name": "four_layer_cnn", **fields})
        params = model.init(jax.random.PRNGKey(0), jnp.zeros((1, 32, 32, 3)))["params"]
        return {name: float(params[name]["kernel"].std()) for name in ("conv1", "conv2", "conv3", "output")}

    assert all(abs(std - 0.01) < 0.001 for std in kernel_stds(init_std=0.01).values())
    cuda_convnet = kernel_stds(init_std=0.01, conv1_init_std=1e-4)  # layers-18pct: conv1 initW=0.0001
    assert abs(cuda_convnet.pop("conv1") - 1e-4) < 1e-5
    assert all(abs(std - 0.01) < 0.001 for std in cuda_convnet.values())
    default = kernel_stds()  # LeCun normal: 1 / sqrt(fan-in)
    np.testing.assert_allclose([default["conv2"], default["output"]], [800 ** -0.5, 1024 ** -0.5], rtol=0.1)


def test_figure1_net_average_pools_as_cuda_convnet_does():
    """layers-18pct.cfg's pool2 and pool3: 3x3 windows from pixel 0 in steps of 2, each averaged over its pixels
    inside the image (cuda-convnet's kLocalPool divides by the clipped region's size)."""
    from models.alexnet import FourLayerCNN

    x = np.random.RandomState(0).randn(2, 6, 6, 3).astype(np.float32)
    pooled = FourLayerCNN(later_pool="avg")._pool(jnp.asarray(x), "avg")
    windows = [(0, 3), (2, 5), (4, 6)]  # the last one clipped at the border
    expected = np.stack([np.stack([x[:, r0:r1, c0:c1].mean(axis=(1, 2)) for c0, c1 in windows], axis=1)
                         for r0, r1 in windows], axis=1)
    np.testing.assert_allclose(pooled, expected, atol=1e-6)
    images = jnp.zeros((1, 32, 32, 3))
    averaged = models.build({"name": "four_layer_cnn", "later_pool": "avg"})
    variables = averaged.init(jax.random.PRNGKey(0), images)
    maxed = models.build({"name": "four_layer_cnn"}).init(jax.random.PRNGKey(0), images)
    assert jax.tree.map(jnp.shape, variables) == jax.tree.map(jnp.shape, maxed)  # the same 89,578 parameters
    with pytest.raises(ValueError, match="unknown later_pool 'mean'; choose 'max' or 'avg'"):
        models.build({"name": "four_layer_cnn", "later_pool": "mean"}).init(jax.random.PRNGKey(0), images)


def test_figure1_net_normalises_conv1_and_conv2_before_pooling():
    """lrn: LRN after the first two layers' activations and before their pooling (AlexNet section 3.5), none after
    conv3; checked against the forward pass written out, on raw-pixel-scale inputs where LRN is not a constant."""
    from models.layers.local_response_norm import local_response_norm

    images = 60.0 * jax.random.normal(jax.random.PRNGKey(1), (2, 32, 32, 3))
    model = models.build({"name": "four_layer_cnn", "lrn": True})
    variables = model.init(jax.random.PRNGKey(0), images)
    params = variables["params"]

    def layer(x, name, normalise):
        x = jax.lax.conv_general_dilated(x, params[name]["kernel"], (1, 1), [(2, 2), (2, 2)],
                                         dimension_numbers=("NHWC", "HWIO", "NHWC")) + params[name]["bias"]
        x = jax.nn.relu(x)
        return nn.max_pool(local_response_norm(x) if normalise else x, (3, 3), (2, 2), padding="SAME")

    x = layer(layer(layer(images, "conv1", True), "conv2", True), "conv3", False)
    expected = x.reshape(2, -1) @ params["output"]["kernel"] + params["output"]["bias"]
    np.testing.assert_allclose(model.apply(variables, images), expected, rtol=1e-4, atol=1e-4)
    without = models.build({"name": "four_layer_cnn"}).apply(variables, images)
    assert not np.allclose(without, expected, rtol=1e-2)  # the normalisation changed the output


def test_unknown_model_and_field_errors_name_the_choices():
    with pytest.raises(ValueError, match="registered models: .*lecun1989"):
        models.build({"name": "lenet6"})
    with pytest.raises(ValueError, match="has no field.*'actvation'.*its fields are"):
        models.build({"name": "lecun1989", "actvation": "relu"})


@pytest.mark.parametrize("size,channels,features,kernel,stride,pad", [
    (12, 3, 8, 5, 1, 2), (9, 4, 6, 3, 2, 1), (10, 1, 12, 5, 2, 0), (8, 8, 8, 1, 2, 0), (7, 2, 3, 3, 2, 2),
    # images smaller than the kernel (both ways) run as one matrix product
    (2, 5, 7, 3, 1, 1), (1, 4, 6, 3, 1, 1), (2, 3, 4, 3, 2, 1), (4, 2, 3, 5, 1, 2), (3, 2, 2, 5, 2, 1),
])
def test_conv2d_gradients_equal_autodiff(size, channels, features, kernel, stride, pad):
    from models.layers import conv2d

    keys = jax.random.split(jax.random.PRNGKey(0), 2)
    x = jax.random.normal(keys[0], (3, size, size, channels))
    w = jax.random.normal(keys[1], (kernel, kernel, channels, features))
    padding = ((pad, pad), (pad, pad))

    def reference(x, w):
        return jax.lax.conv_general_dilated(x, w, (stride, stride), padding,
                                            dimension_numbers=("NHWC", "HWIO", "NHWC"))

    def grads(conv):
        return jax.grad(lambda x, w: jnp.sum(jnp.sin(conv(x, w))), argnums=(0, 1))(x, w)

    ours = grads(lambda x, w: conv2d(x, w, (stride, stride), padding))
    np.testing.assert_allclose(conv2d(x, w, (stride, stride), padding), reference(x, w), rtol=1e-5, atol=1e-5)
    for a, b in zip(ours, grads(reference), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


def test_conv2d_runs_an_image_smaller_than_its_kernel_as_a_product():
    from models.layers import conv2d

    def lowered(size):
        x, w = jnp.ones((2, size, size, 4)), jnp.ones((3, 3, 4, 5))
        return jax.jit(lambda x, w: conv2d(x, w, (1, 1), ((1, 1), (1, 1)))).lower(x, w).as_text()

    assert "convolution" not in lowered(2) and "dot_general" in lowered(2)
    assert "convolution" in lowered(3)


def test_grouped_conv_equals_lax_feature_groups():
    from models.layers import Conv

    x = jax.random.normal(jax.random.PRNGKey(0), (2, 9, 9, 6))
    conv = Conv(4, (3, 3), strides=2, padding=1, feature_group_count=2)
    variables = conv.init(jax.random.PRNGKey(1), x)
    expected = jax.lax.conv_general_dilated(
        x, variables["params"]["kernel"], (2, 2), ((1, 1), (1, 1)), dimension_numbers=("NHWC", "HWIO", "NHWC"),
        feature_group_count=2,
    ) + variables["params"]["bias"]
    np.testing.assert_allclose(conv.apply(variables, x), expected, rtol=1e-5, atol=1e-5)


def test_local_response_norm_matches_section_3_3():
    from models.layers.local_response_norm import local_response_norm

    a = jax.random.normal(jax.random.PRNGKey(0), (2, 3, 3, 7)) * 10
    b = np.asarray(local_response_norm(a, k=2.0, n=5, alpha=1e-2, beta=0.75))
    a = np.asarray(a)
    for i in range(7):  # b^i = a^i / (k + alpha sum_{j=max(0,i-n/2)}^{min(N-1,i+n/2)} (a^j)^2)^beta
        window = np.sum(a[..., max(0, i - 2): min(6, i + 2) + 1] ** 2, axis=-1)
        np.testing.assert_allclose(b[..., i], a[..., i] / (2.0 + 1e-2 * window) ** 0.75, rtol=1e-5)


@pytest.mark.parametrize("beta", [0.75, 0.6])  # 0.75 takes the square-root path
def test_local_response_norm_gradient_equals_that_of_the_power_formula(beta):
    from models.layers.local_response_norm import local_response_norm

    def plain(a):  # the formula with jnp.power and a padded sum of shifted copies
        padded = jnp.pad(jnp.square(a), [(0, 0)] * 3 + [(2, 2)])
        return a / jnp.power(2.0 + 1e-2 * sum(padded[..., j:j + a.shape[-1]] for j in range(5)), beta)

    a = jax.random.normal(jax.random.PRNGKey(0), (2, 3, 3, 7)) * 10
    weights = jax.random.normal(jax.random.PRNGKey(1), a.shape)
    ours, expected = (jax.grad(lambda a, f=f: jnp.sum(f(a) * weights))(a)
                      for f in (lambda a: local_response_norm(a, alpha=1e-2, beta=beta), plain))
    np.testing.assert_allclose(local_response_norm(a, alpha=1e-2, beta=beta), plain(a), rtol=1e-5)
    np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-6)


def test_alexnet_two_gpu_split_and_knobs():
    def count(**fields):
        model = models.build(configs.base.model_config("alexnet", **fields))
        variables = jax.eval_shape(lambda: model.init(jax.random.PRNGKey(0), jnp.zeros((1, 227, 227, 3))))
        return _count(variables["params"]), variables

    assert count(two_gpu=False)[0] == 62_378_344  # conv2, conv4, conv5 see every map
    assert count(lrn=False, overlapping_pool=False, dropout_rate=0.0, activation="tanh")[0] == 60_965_224
    assert "conv1_bn" in count(batch_norm=True)[1]["batch_stats"]
