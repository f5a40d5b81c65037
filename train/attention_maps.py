"""Seeing what a ViT attends to: attention rollout (Abnar & Zuidema 2020, section 3) for an image, drawn beside
the input as in the decks' "Input / Attention" figure, and one layer's per-head maps of the class token.

Rollout: each layer's attention averaged over heads, with the residual connection accounted for as
A' = 0.5 A + 0.5 I (rows renormalised), multiplied through the layers, R = A'_L ... A'_1; the class token's row
of R over the patch tokens is the map.

    python -m train.attention_maps --workdir=runs/vit_cifar --index=0 --png=attention.png
"""

import jax
import jax.numpy as jnp
import numpy as np
from absl import app, flags

import input_pipeline
from train import trained


def layer_attentions(model, params, images) -> list[jax.Array]:
    """Every encoder layer's attention weights, (batch, heads, tokens, tokens), first layer first."""
    _, state = model.clone(sow_weights=True).apply({"params": params}, images, mutable=["intermediates"])
    blocks = state["intermediates"]["Transformer"]
    names = sorted((k for k in blocks if k.startswith("encoderblock_")), key=lambda k: int(k.split("_")[1]))
    return [blocks[name]["MultiHeadDotProductAttention_1"]["attention_weights"][0] for name in names]


def rollout(attentions: list[jax.Array]) -> jax.Array:
    """(batch, tokens, tokens): how much each output token draws on each input token through all layers."""
    result = None
    for weights in attentions:
        mixed = 0.5 * weights.mean(axis=1) + 0.5 * jnp.eye(weights.shape[-1])
        mixed = mixed / mixed.sum(axis=-1, keepdims=True)
        result = mixed if result is None else mixed @ result
    return result


def class_token_map(matrix: jax.Array) -> np.ndarray:
    """(batch, g, g): the class token's row over the patch tokens, on the patch grid, scaled to [0, 1]."""
    row = np.asarray(matrix[:, 0, 1:])
    grid = int(round(np.sqrt(row.shape[-1])))
    maps = row.reshape(-1, grid, grid)
    low, high = maps.min(axis=(1, 2), keepdims=True), maps.max(axis=(1, 2), keepdims=True)
    return (maps - low) / np.maximum(high - low, 1e-12)


def _show(ax, image):
    image = np.asarray(image)
    image = (image - image.min()) / max(float(image.max() - image.min()), 1e-12)
    ax.imshow(image[..., 0] if image.shape[-1] == 1 else image, cmap="gray" if image.shape[-1] == 1 else None)
    ax.axis("off")


def plot(image, rollout_map, head_maps, path: str) -> None:
    """Input | rollout overlay, then the per-head maps of one layer."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    size = image.shape[0]
    upsampled = np.asarray(jax.image.resize(rollout_map, (size, size), "bilinear"))
    columns = 2 + len(head_maps)
    fig, axes = plt.subplots(1, columns, figsize=(2.2 * columns, 2.4))
    _show(axes[0], image)
    axes[0].set_title("Input")
    _show(axes[1], image)
    axes[1].imshow(upsampled, cmap="jet", alpha=0.5)
    axes[1].set_title("Attention (rollout)")
    for i, head in enumerate(head_maps):
        axes[2 + i].imshow(head, cmap="viridis")
        axes[2 + i].set_title(f"last layer, head {i}")
        axes[2 + i].axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def draw(model, params, image, path: str) -> None:
    attentions = layer_attentions(model, params, image[None])
    rollout_map = class_token_map(rollout(attentions))[0]
    last = attentions[-1][0]  # (heads, tokens, tokens)
    head_maps = [class_token_map(last[h][None])[0] for h in range(last.shape[0])]
    plot(image, rollout_map, head_maps, path)


def main(argv):
    del argv
    config, model, variables = trained.load(flags.FLAGS.workdir)
    data = input_pipeline.get_data(config.data, flags.FLAGS.workdir)
    split = data.eval_splits[config.data.eval_splits[0]]
    draw(model, variables["params"], split["image"][flags.FLAGS.index], flags.FLAGS.png)


if __name__ == "__main__":  # flags are defined only when run, so the tools import together
    flags.DEFINE_string("workdir", None, "The workdir of a ViT run.", required=True)
    flags.DEFINE_integer("index", 0, "Which image of the first evaluation split.", lower_bound=0)
    flags.DEFINE_string("png", "attention.png", "Where to draw.")
    app.run(main)
