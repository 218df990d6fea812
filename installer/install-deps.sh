#!/usr/bin/env bash
# Installs what RINE Studio needs to build, test and run, from the distribution's packages.
# Supported: Debian 12 (bookworm). Ubuntu 24.04 has the same package names (not yet tested
# in CI). Runs apt-get through sudo unless already root.
set -euo pipefail

packages=(
    build-essential cmake ninja-build pkg-config git
    qt6-base-dev qt6-base-dev-tools qt6-qpa-plugins   # Qt 6 Core/Gui/Widgets/Sql/Test, platform plugins
    libqt6sql6-sqlite                                 # Qt SQL's SQLite driver (case databases)
    libtorch-dev                                      # LibTorch (Debian: 1.13, CPU)
    libopencv-dev                                     # image decoding
    libqcustomplot-dev                                # charts (CMake package QCustomPlotQt6)
    zlib1g-dev                                        # compressed PNG text chunks (image metadata)
    libssl-dev                                        # OpenSSL: Ed25519 signatures of case audit logs
    poppler-utils                                     # tests: pdftotext, pdftoppm read the PDF reports
    fonts-dejavu-core                                 # the PDF reports are set in DejaVu Sans
    # Debian's LibTorch calls the BLAS through libblas.so.3; without OpenBLAS that is the
    # reference BLAS and matrix products run ~30x slower.
    libopenblas0-pthread
)

if [[ $(id -u) -eq 0 ]]; then sudo=(); else sudo=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update
"${sudo[@]}" apt-get install -y --no-install-recommends "${packages[@]}"

# Make sure libblas.so.3 resolves to OpenBLAS (its alternative has the higher priority, but a
# machine may have been set by hand to the reference BLAS).
if command -v update-alternatives >/dev/null; then
    arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
    "${sudo[@]}" update-alternatives --auto "libblas.so.3-${arch}" 2>/dev/null || true
    "${sudo[@]}" update-alternatives --auto "liblapack.so.3-${arch}" 2>/dev/null || true
fi
