#!/usr/bin/env bash
# Takes the README's screenshots of the Scan and Inspect pages under Xvfb (1280x800), with the
# tiny test model (its scores mean nothing: the real backbone is not in the repository).
# Settings, cases and trust decisions go to a temporary folder, never the user's.
# Usage: docs/make-screenshots.sh [BUILD_DIR]   (needs xvfb-run)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/release}
data=$root/tests/data/reference-tiny
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_CONFIG_HOME=$work/config XDG_DATA_HOME=$work/data RINE_MODEL_STORE=$work/models

# A folder like an analyst's: the reference images, a file named like an image that is not
# one, and a truncated PNG.
mkdir -p "$work/evidence"
cp "$data"/images/* "$work/evidence/"
echo "meeting notes" > "$work/evidence/notes.jpg"
head -c 3000 "$data/images/astronaut.png" > "$work/evidence/astronaut-truncated.png"

model=(--backbone "$data/clip_tiny_traced.pt" --head "$data/rine_tiny_head.pth")
"$build/app/rine-cli" score "${model[@]}" --trust "$data/images/block.png" >/dev/null # record the trust decision
shoot() {
    xvfb-run -a -s "-screen 0 1280x800x24" "$build/app/rine-studio" "${model[@]}" --screenshot "$@" 2>/dev/null
}
shoot "$root/docs/scan-page.png" "$work/evidence"
shoot "$root/docs/inspect-page.png" --page inspect --tile-map "$work/evidence/astronaut.png"
shoot "$root/docs/robustness-page.png" --robustness "$work/evidence/astronaut.png"
shoot "$root/docs/models-page.png" --page models

# The training wizard: its GUI test trains on a dataset it makes and, with RINE_SCREENSHOTS
# set, saves its Data, Training and Evaluation pages (15 epochs instead of 3 for the picture).
QT_QPA_PLATFORM=offscreen RINE_SCREENSHOTS="$root/docs" RINE_BACKBONE=/nonexistent \
    "$build/tests/tst_training_wizard" trainsEvaluatesAndActivates >/dev/null
