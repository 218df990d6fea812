#!/usr/bin/env bash
# One-step set-up: installs the packages, configures and builds the release preset with
# every core. Used by the README's two commands and by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
bash installer/install-deps.sh
cmake --preset release
cmake --build --preset release -j"$(nproc)"
