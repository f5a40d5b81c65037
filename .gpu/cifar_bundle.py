"""CIFAR-10 in pieces small enough for the device tool (64 MiB a call), losslessly, and back.

The training images do not fit one call even compressed (xz alone: about 111 MiB for 50,000, extrapolated from
5,000), so each image is turned into prediction residuals first (per colour plane, the median edge detector of
LOCO-I / JPEG-LS: each pixel predicted from its left, upper and upper-left neighbours; red and blue then as their
residuals' difference from green's), which xz packs to about 82 MiB; that goes as two parts (44.0 and 41.0 MiB,
part 0 with the labels and test images), one per call. Only the 1,000 exact test images travel (the JPEG-degraded
9,000 are for the labelled all-10,000 figure, computed here).

    python .gpu/cifar_bundle.py pack ../shared/data/cifar10/cifar10.npz .gpu_data    # here: part0.npz, part1.npz
    python .gpu/cifar_bundle.py unpack /tmp/kit /tmp/data/cifar10/cifar10.npz         # there, from both parts

`unpack` checks the reassembled arrays against the SHA-256 sums that `pack` wrote into part 0 and stops with an
error on any difference; `pack` runs the same check before it returns.
"""

import argparse
import hashlib
import io
import lzma
import os
import sys

import numpy as np

PARTS = 2
XZ_PRESET = 9 | lzma.PRESET_EXTREME


def _neighbours(plane):
    """Left, upper and upper-left neighbours of every pixel of (N, H, W) int16 planes (0 beyond the border)."""
    left, up, up_left = (np.zeros_like(plane) for _ in range(3))
    left[:, :, 1:] = plane[:, :, :-1]
    up[:, 1:, :] = plane[:, :-1, :]
    up_left[:, 1:, 1:] = plane[:, :-1, :-1]
    return left, up, up_left


def _med_prediction(left, up, up_left):
    """LOCO-I's median edge detector: min(a, b) where c >= max(a, b), max(a, b) where c <= min(a, b), else
    a + b - c."""
    high, low = np.maximum(left, up), np.minimum(left, up)
    return np.where(up_left >= high, low, np.where(up_left <= low, high, left + up - up_left))


def _plane_residuals(plane):
    """(N, H, W) uint8 -> residuals mod 256 (int16)."""
    plane = plane.astype(np.int16)
    return (plane - _med_prediction(*_neighbours(plane))) & 255


def _plane_from_residuals(residuals):
    """Inverts `_plane_residuals`, row by row and column by column (each pixel needs its decoded neighbours)."""
    n, height, width = residuals.shape
    plane = np.zeros((n, height, width), np.int16)
    zero = np.zeros(n, np.int16)
    for y in range(height):
        for x in range(width):
            left = plane[:, y, x - 1] if x else zero
            up = plane[:, y - 1, x] if y else zero
            up_left = plane[:, y - 1, x - 1] if x and y else zero
            plane[:, y, x] = (residuals[:, y, x] + _med_prediction(left, up, up_left)) & 255
    return plane.astype(np.uint8)


def encode(images: np.ndarray) -> bytes:
    """(N, H, W, 3) uint8 -> xz bytes of the decorrelated residual planes."""
    red, green, blue = (_plane_residuals(images[..., c]) for c in range(3))
    planes = np.stack([green, (red - green) & 255, (blue - green) & 255], axis=1).astype(np.uint8)
    return lzma.compress(planes.tobytes(), preset=XZ_PRESET)


def decode(data: bytes, shape: tuple) -> np.ndarray:
    n, height, width, _ = shape
    planes = np.frombuffer(lzma.decompress(data), np.uint8).reshape(n, 3, height, width).astype(np.int16)
    green = planes[:, 0]
    red, blue = (planes[:, 1] + green) & 255, (planes[:, 2] + green) & 255
    return np.stack([_plane_from_residuals(p) for p in (red, green, blue)], axis=-1)


def _digest(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def pack(source: str, out_dir: str):
    with np.load(source) as data:
        arrays = {k: data[k] for k in data.files}
    exact = arrays["test_lossless"]
    kept = {"y_train": arrays["y_train"], "x_test": arrays["x_test"][exact], "y_test": arrays["y_test"][exact],
            "label_names": arrays["label_names"], "test_lossless": np.ones(int(exact.sum()), bool)}
    images = arrays["x_train"]
    os.makedirs(out_dir, exist_ok=True)
    for i, chunk in enumerate(np.array_split(images, PARTS)):
        header = {"images": np.frombuffer(encode(chunk), np.uint8), "shape": np.array(chunk.shape)}
        if i == 0:
            header.update(kept, x_train_sha256=np.array(_digest(images)), x_train_shape=np.array(images.shape))
        path = os.path.join(out_dir, f"part{i}.npz")
        np.savez(path, **header)
        print(f"{path}: {os.path.getsize(path) / 2**20:.1f} MiB")
    unpack(out_dir, os.path.join(out_dir, "check", "cifar10.npz"))
    os.remove(os.path.join(out_dir, "check", "cifar10.npz"))
    os.rmdir(os.path.join(out_dir, "check"))


def unpack(parts_dir: str, target: str):
    parts = [np.load(os.path.join(parts_dir, f"part{i}.npz")) for i in range(PARTS)]
    images = np.concatenate([decode(p["images"].tobytes(), tuple(p["shape"])) for p in parts])
    first = parts[0]
    if images.shape != tuple(first["x_train_shape"]) or _digest(images) != str(first["x_train_sha256"]):
        sys.exit(f"{parts_dir}: the reassembled training images differ from the packed ones (SHA-256 mismatch).")
    os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
    buffer = io.BytesIO()
    np.savez(buffer, x_train=images, **{k: first[k] for k in
                                          ("y_train", "x_test", "y_test", "label_names", "test_lossless")})
    with open(target, "wb") as f:
        f.write(buffer.getvalue())
    print(f"{target}: {images.shape[0]} training images, checked byte-exact; {first['x_test'].shape[0]} exact test "
          f"images")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("pack")
    p.add_argument("source")
    p.add_argument("out_dir")
    u = commands.add_parser("unpack")
    u.add_argument("parts_dir")
    u.add_argument("target")
    args = parser.parse_args()
    if args.command == "pack":
        pack(args.source, args.out_dir)
    else:
        unpack(args.parts_dir, args.target)


if __name__ == "__main__":
    main()
