#!/usr/bin/env bash
# Installs the Debian package into a clean Debian 12 root that it makes with debootstrap (so
# apt-get must resolve every runtime dependency from the package's own control file), then,
# inside that root: rine-cli --version, rine-cli score on the test images with the tiny test
# model (logits checked against the published reference code's), and rine-studio started
# offscreen until its main window is shown. Run as root or with sudo rights; needs network
# access to a Debian mirror (RINE_DEBIAN_MIRROR, default http://deb.debian.org/debian).
#
#   installer/install-check.sh [BUILD_DIR]     (default build/release; the package target is
#                                               built there first, so the check is of the tree)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$repo/build/release}
mirror=${RINE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
say() { printf 'install-check: %s\n' "$*" >&2; }
if [[ $(id -u) -eq 0 ]]; then sudo=(); else sudo=(sudo); fi

say "building the package in $build"
cmake --build "$build" --target package >/dev/null
deb=$(ls -t "$build"/rine-studio_*.deb | head -n 1)
say "package: $deb"
command -v debootstrap >/dev/null || "${sudo[@]}" apt-get install -y --no-install-recommends debootstrap >/dev/null

work=$(mktemp -d /tmp/rine-install-check.XXXXXX)
root=$work/root
cleanup() {
    "${sudo[@]}" umount "$root/proc" 2>/dev/null || true
    "${sudo[@]}" rm -rf "$work"
}
trap cleanup EXIT

say "making a clean Debian 12 root with debootstrap ($mirror)"
"${sudo[@]}" debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }
"${sudo[@]}" mkdir -p "$root/check"
"${sudo[@]}" cp "$deb" "$root/check/"
"${sudo[@]}" cp -r "$repo/tests/data/reference-tiny" "$root/check/"
"${sudo[@]}" mount -t proc proc "$root/proc"
in_root() { "${sudo[@]}" chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }

say "apt-get install ./$(basename "$deb") in the clean root"
in_root apt-get update -q >/dev/null
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "/check/$(basename "$deb")" >"$work/apt.log" 2>&1 || { tail -n 30 "$work/apt.log" >&2; exit 1; }
say "installed: $(in_root dpkg-query -W -f='${Package} ${Version}' rine-studio)"

say "rine-cli --version"
in_root rine-cli --version

say "rine-cli score with the tiny test model"
tiny=/check/reference-tiny
status=0
in_root sh -c "rine-cli score --backbone $tiny/clip_tiny_traced.pt --head $tiny/rine_tiny_head.pth --device cpu \
    --trust --format csv --quiet $tiny/images/*" >"$work/scores.csv" || status=$?
[[ $status -eq 0 ]] || { say "rine-cli score failed with status $status"; exit 1; }
# The reference logits (reference.json: "name": { "logit": x, ...}) against the CSV's
# path (column 1) and logit (column 5): every image, within 1e-4.
awk -F, '
    NR == FNR {
        if (match($0, /"[^"]+\.(png|jpg)"/)) name = substr($0, RSTART + 1, RLENGTH - 2)
        if ($0 ~ /"logit"/) { v = $0; sub(/.*"logit": */, "", v); sub(/,.*/, "", v); ref[name] = v + 0 }
        next
    }
    FNR > 1 {
        n = $1; sub(/.*\//, "", n)
        if (!(n in ref)) { print "install-check: no reference for " n > "/dev/stderr"; bad = 1; next }
        d = $5 - ref[n]; if (d < 0) d = -d
        if ($3 != "ok" || d > 1e-4) { print "install-check: " n ": " $3 " logit " $5 ", reference " ref[n] > "/dev/stderr"; bad = 1 }
        seen++
    }
    END {
        if (seen != length(ref)) { print "install-check: " seen " images scored, " length(ref) " expected" > "/dev/stderr"; bad = 1 }
        if (!bad) print "install-check: " seen " images, every logit within 1e-4 of the reference" > "/dev/stderr"
        exit bad
    }' "$repo/tests/data/reference-tiny/reference.json" "$work/scores.csv"

say "rine-cli scan and report: a PDF from a clean installation (fonts, offscreen platform)"
in_root sh -c "rine-cli scan --db /check/case.sqlite --backbone $tiny/clip_tiny_traced.pt \
    --head $tiny/rine_tiny_head.pth --device cpu --trust --quiet $tiny/images >/dev/null"
in_root sh -c "rine-cli report --db /check/case.sqlite --pdf /check/report.pdf --detail $tiny/images/astronaut.png" >/dev/null
if command -v pdftotext >/dev/null; then
    astronaut=$(sha256sum "$repo/tests/data/reference-tiny/images/astronaut.png" | cut -d' ' -f1)
    # Into a file first: grep -q stops reading at the first match, and under pipefail the
    # writer's SIGPIPE would fail the check at random.
    pdftotext "$root/check/report.pdf" "$work/report.txt"
    grep -q "$astronaut" "$work/report.txt" \
        || { say "the report made in the clean root does not name the images' SHA-256"; exit 1; }
fi
in_root rine-cli audit --db /check/case.sqlite >/dev/null

say "rine-studio offscreen, until its main window is shown"
"${sudo[@]}" install -d -m 700 "$root/root/runtime"
in_root env QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR=/root/runtime timeout 60 rine-studio --screenshot /check/window.png
[[ -s $root/check/window.png ]] || { say "no picture of the main window"; exit 1; }
say "man page: $(in_root sh -c 'ls /usr/share/man/man1/rine-cli.1*')"
say "the .tar.gz: unpacked under a prefix of its own, on this machine"
tgz=$(ls -t "$build"/rine-studio-*.tar.gz | head -n 1)
mkdir -p "$work/tgz"
tar -xzf "$tgz" -C "$work/tgz"
prefix=$(find "$work/tgz" -mindepth 1 -maxdepth 1 -type d | head -n 1)
[[ -f $prefix/share/rine-studio/models/rine_2class.pth && -f $prefix/share/man/man1/rine-cli.1 ]] \
    || { say "the .tar.gz lacks the bundled head or the man page"; exit 1; }
"$prefix/bin/rine-cli" --version >"$work/version.txt"
head -n 1 "$work/version.txt"
"$prefix/bin/rine-cli" score --backbone "$repo/tests/data/reference-tiny/clip_tiny_traced.pt" \
    --head "$repo/tests/data/reference-tiny/rine_tiny_head.pth" --device cpu --trust --quiet \
    "$repo/tests/data/reference-tiny/images/camera.png" >/dev/null
say "all checks passed"
