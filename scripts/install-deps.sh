#!/usr/bin/env bash
# Installs the Debian packages plateau builds and tests with. Idempotent: packages
# already present are skipped, and apt is only asked when something is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libdnnl-dev
  libonnx-dev libprotobuf-dev protobuf-compiler
  libopencv-dev libopencv-contrib-dev
  # JPEG and PNG are decoded and encoded on these directly (src/io/codecs.h), not through OpenCV.
  libjpeg62-turbo-dev libpng-dev
  libpolyclipping-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev
  libcpp-httplib-dev
  libpoppler-cpp-dev
  fonts-noto-cjk
  tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd libtesseract-dev
  nodejs
  # make format-check and make tidy (.clang-format, .clang-tidy).
  clang-format clang-tidy
  clang-14 libclang-rt-14-dev
  curl
  # The Python package (python/): pybind11 and CPython headers to build it, numpy for its arrays, pytest
  # for its tests, venv/pip/setuptools/wheel to install it offline.
  pybind11-dev python3-dev python3-numpy python3-pytest python3-venv python3-pip python3-setuptools
  python3-wheel python3-pil
  redis-server libhiredis-dev
  # plateau.dask (python/plateau/dask.py) and its test: Dask's distributed scheduler for Debian's python3.
  python3-distributed
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# npm fetches the models and ONNX Runtime. Some Node.js builds ship it inside the nodejs package, and
# Debian's separate npm package would conflict with those, so it is only asked for when absent.
if ! command -v npm >/dev/null 2>&1 && ! dpkg-query -W -f='${Status}' npm 2>/dev/null | grep -q "install ok installed"; then
  missing+=(npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
