#!/usr/bin/env bash
# GPU readiness check: runs the demo CNN (and models/report-ner if present) on CUDA and on CPU through
# onnxruntime-node, requires max |Δp| ≤ 1e-3 and CUDA nodes in onnxruntime's profile, prints throughput.
#
# Needs a CUDA 12 host with cuDNN 9 and onnxruntime-node's CUDA provider, which `npm ci` here skips (.npmrc sets
# onnxruntime-node-install=skip). Install it once with network access to NuGet:
#     ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci
# (or copy libonnxruntime_providers_{shared,cuda}.so into node_modules/onnxruntime-node/bin/napi-v6/linux/x64/).
# This script installs nothing unless told: GPU_CHECK_INSTALL=1 runs that npm ci first.
#
# Usage: bench/gpu-check.sh [--iterations N]     (GPU_CHECK_SKIP_BUILD=1 reuses dist/)
# Exit: 0 pass; 1 outputs disagree or the check broke; 2 CUDA not available or not used.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${GPU_CHECK_INSTALL:-0}" == 1 ]]; then
  ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci
fi

echo "== host"
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
else
  echo "nvidia-smi: not found (no NVIDIA driver on this host)"
fi
ls node_modules/onnxruntime-node/bin/napi-v6/linux/x64/ 2>/dev/null | sed 's/^/onnxruntime-node lib: /' || true

if [[ "${GPU_CHECK_SKIP_BUILD:-0}" != 1 ]]; then
  echo "== build"
  npm run --silent build
fi

echo "== check"
exec node dist/bench/gpu-check.js "$@"
