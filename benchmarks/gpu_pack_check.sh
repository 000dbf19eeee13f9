#!/usr/bin/env bash
# One prepared check of packed training on a lent CUDA machine (about 4-8 minutes wall on an H200).
#
# Prints: torch / device; bf16 autocast forward + backward of a pack of 4 paper models finite; fp32 packed vs
# one-by-one logits (TF32 off); host-to-device copies during one packed epoch on GPU-resident windows; then
# windows/s and models/hour of cnn_transformer (23 x 1280, batch 64, bf16, 8192 training windows + 10 %
# validation per fold, 2 epochs per run, the first one warm-up) one at a time (train_model), packed N = 1, 4, 8,
# 16, 32, 64 (train_packed; stops at the first out-of-memory or when the time budget would be exceeded), the best
# pack again in NCHW instead of channels-last and with cuDNN autotuning, 2 and 4 concurrent processes; the ratios
# to one at a time; and the projection for the paper protocol (1328 models, 10.6 M windows per epoch, 54 epochs).
#
# Without CUDA it runs the same code path on the CPU with reduced sizes (--quick), so the script itself is tested.
#
# Usage:  bash benchmarks/gpu_pack_check.sh [extra bench_gpu_pack.py options, e.g. --packs 1,8,32]
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH=".${PYTHONPATH:+:$PYTHONPATH}"
start=$(date +%s)
if python -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)"; then
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
    timeout 540 python benchmarks/bench_gpu_pack.py --check --device cuda --n-train 8192 --budget-s 330 "$@"
else
    echo "no CUDA: CPU path with reduced sizes (--quick); the numbers are CPU numbers"
    timeout 300 python benchmarks/bench_gpu_pack.py --check --quick --device cpu "$@"
fi
echo "gpu_pack_check: $(( $(date +%s) - start )) s wall"
