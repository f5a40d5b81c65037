#!/usr/bin/env bash
# On the device machine (second call; see .gpu/README.md): installs the carried wheels, reassembles CIFAR-10 from
# /tmp/kit (part 0, left there by the first call) and .gpu_data/b (part 1), trains configs/vit_cifar.py for at
# most $SECONDS_LEFT seconds (default 480) in bfloat16 mixed precision, and puts the run's records and its latest
# checkpoint (as a tar split into 15 MiB pieces) under $OUT, so that a later lease or this CPU can resume or
# evaluate it. Extra arguments go to launch.py (e.g. --config.train_epochs=100).
set -u
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
  .gpu_wheels/*.whl || exit
export PYTHONPATH=/tmp/site PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
cp .gpu_data/b/part1.npz /tmp/kit/ 2>/dev/null
[ -f /tmp/data/cifar10/cifar10.npz ] || python3 .gpu/cifar_bundle.py unpack /tmp/kit /tmp/data/cifar10/cifar10.npz \
  || exit
workdir=/tmp/runs/vit_cifar
if ls .gpu_data/ckpt/vit_ckpt.tar.* >/dev/null 2>&1; then  # a checkpoint carried back from an earlier lease
  mkdir -p "$workdir" && cat .gpu_data/ckpt/vit_ckpt.tar.* | tar -x -C "$workdir"
fi
timeout "${SECONDS_LEFT:-480}" python3 launch.py --config=configs/vit_cifar.py --workdir="$workdir" \
  --config.data.data_dir=/tmp/data --config.compute_dtype=bfloat16 "$@" 2>&1 | tee "$OUT/log.txt" | grep -v "^W"
cp "$workdir"/{metrics.jsonl,config.json,summary.json} "$OUT"/ 2>/dev/null
latest=$(ls "$workdir/checkpoints" 2>/dev/null | grep -E '^[0-9]+$' | sort -n | tail -1)
[ -n "$latest" ] && tar -c -C "$workdir" "checkpoints/$latest" | split -b 15M - "$OUT/vit_ckpt.tar."
ls -l "$OUT"
