#!/usr/bin/env bash
# The wheels the device machine's image lacks (its package list: /work/.library/device/KINDS.md), for its
# Python 3.12, into .gpu_wheels/ (ignored by git; name it in the device call's carry).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  -d .gpu_wheels ml-collections tensorboardX
ls -l .gpu_wheels
