"""PyTorch 2.13 eager reference for CIFAR ResNet-20 training throughput (He et al. 2016, section 4.2): the same
network (option A shortcuts, BatchNorm, 269,722 parameters), SGD with momentum 0.9 and weight decay 1e-4, batch
128 of random 32x32x3 images, on this machine's CPU.

    pip install torch==2.13.0   # the CPU build
    python benchmarks/cifar_resnet20_torch.py [--steps 30] [--channels_last]
"""

import argparse
import time

import torch
import torch.nn.functional as F
from torch import nn


class BasicBlock(nn.Module):
    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.pad = c_out - c_in
        self.stride = stride

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        shortcut = x
        if self.stride != 1 or self.pad:  # option A: subsample, zero-pad the new channels
            shortcut = F.pad(x[:, :, :: self.stride, :: self.stride],
                             (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
        return F.relu(y + shortcut)


class ResNet20(nn.Module):
    def __init__(self, n=3):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        layers, c_in = [], 16
        for stage, width in enumerate((16, 32, 64)):
            for i in range(n):
                layers.append(BasicBlock(c_in, width, 2 if stage and not i else 1))
                c_in = width
        self.blocks = nn.Sequential(*layers)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.blocks(F.relu(self.bn(self.conv(x))))
        return self.fc(x.mean((2, 3)))


def measure(steps: int, batch_size: int, channels_last: bool) -> float:
    torch.manual_seed(0)
    model = ResNet20()
    assert sum(p.numel() for p in model.parameters()) == 269_722
    images = torch.randn(batch_size, 3, 32, 32)
    labels = torch.randint(0, 10, (batch_size,))
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        images = images.contiguous(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)

    def step():
        loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    for _ in range(3):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * batch_size / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch_size", type=int, default=128)
    parser.add_argument("--channels_last", action="store_true")
    args = parser.parse_args()
    rate = measure(args.steps, args.batch_size, args.channels_last)
    layout = "channels_last" if args.channels_last else "NCHW"
    print(f"torch {torch.__version__} eager ({layout}, {torch.get_num_threads()} threads): "
          f"ResNet-20 training, batch {args.batch_size}: {rate:.0f} examples/s")


if __name__ == "__main__":
    main()
