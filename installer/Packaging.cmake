# CPack: a Debian package and a .tar.gz of the runtime component, built by
# `cmake --build build/release --target package`.

# Debian version: the project version, then "+git" and `git describe` (upstream versions may
# hold only [A-Za-z0-9.+~-]; a dirty tree shows as such).
string(REGEX REPLACE "[^A-Za-z0-9.+~]" "." _rine_describe "${RINE_GIT_DESCRIBE}")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}+git.${_rine_describe}")

set(CPACK_PACKAGE_NAME "rine-studio")
set(CPACK_PACKAGE_VENDOR "RINE Studio")
set(CPACK_PACKAGE_CONTACT "RINE Studio developers <rine-studio@users.noreply.github.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Synthetic image detection for forensic analysts (RINE, ECCV 2024)")
string(CONCAT CPACK_PACKAGE_DESCRIPTION
    "RINE Studio scores images with RINE, a detector of GAN and diffusion images built on the\n"
    "intermediate blocks of CLIP ViT-L/14, and records every result with the SHA-256 of the\n"
    "examined file and of the model files. rine-studio is the desktop application, rine-cli\n"
    "the command line (score, scan, results, bench). The CLIP backbone (890 MB) is not\n"
    "included: see /usr/share/rine-studio/models/README.md.")
set(CPACK_PACKAGE_INSTALL_DIRECTORY "rine-studio")
set(CPACK_GENERATOR "DEB;TGZ")
set(CPACK_COMPONENTS_ALL runtime)
set(CPACK_DEB_COMPONENT_INSTALL OFF)
set(CPACK_ARCHIVE_COMPONENT_INSTALL OFF)
set(CPACK_STRIP_FILES ON)
set(CPACK_SOURCE_IGNORE_FILES "/build/;/\\\\.git/")

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "graphics")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
# Shared libraries (Qt 6, LibTorch, OpenCV, QCustomPlot, SQLite) are found by
# dpkg-shlibdeps; what is loaded at run time without being linked is named here: OpenBLAS
# (LibTorch calls the BLAS through libblas.so.3, ~30x slower without it), Qt's platform
# plugins and its SQLite driver, and a font for the PDF reports (laid out in DejaVu Sans).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# QCustomPlot is named too: the charts of the application's pages link it.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libopenblas0-pthread, qt6-qpa-plugins, libqt6sql6-sqlite, libqcustomplot2.1-qt6, fonts-dejavu-core")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "curl")

# The .tar.gz holds the same tree (bin/, share/) for a prefix of the user's choice; it needs
# the same libraries installed (installer/install-deps.sh lists them).
set(CPACK_PACKAGE_FILE_NAME "${CPACK_PACKAGE_NAME}-${CPACK_PACKAGE_VERSION}-linux-${CMAKE_SYSTEM_PROCESSOR}")

include(CPack)
