#!/usr/bin/env bash
# The cluster test of issue 21, on a real Slurm: a one-node cluster of its own on this machine
# (tests/slurm/cluster.sh), `rine-cli slurm` submitting a 4-task array over a generated folder
# of more than 400 files (hostile ones among them) with the tiny test model, one task requeued
# in the middle of its scan (scontrol requeue: SIGTERM, the batch in flight committed, the case
# moved off scratch, the task run again), the dependent merge job, and the merged case checked
# against an unsharded scan of the same folder: the same files in the same order, statuses,
# SHA-256s and logits (within 1e-5: the shards batch other images together).
#
# usage: tests/slurm/run.sh BUILD_DIR
# Needs root (it starts munged, slurmctld and slurmd). Where Debian's slurm-wlm, munge and jq
# are missing it installs them when RINE_SLURM_TEST_INSTALL=1 or CI=true; otherwise it skips
# (exit 77) and says why.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)
rine="$build/app/rine-cli"
data="$here/../data/reference-tiny"

skip() {
    echo "SKIPPED: $*"
    exit 77
}
[ "$(id -u)" = 0 ] || skip "the Slurm test starts munged, slurmctld and slurmd: run it as root (CI does)"
missing=()
for tool in munged slurmctld slurmd sbatch jq; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "${RINE_SLURM_TEST_INSTALL:-}" = 1 ] || [ "${CI:-}" = true ]; then
        echo "installing slurm-wlm, munge and jq (missing: ${missing[*]})"
        { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
              slurm-wlm munge jq; } >/tmp/rine-slurm-install.log 2>&1 \
            || { tail -n 20 /tmp/rine-slurm-install.log; skip "slurm-wlm and munge cannot be installed here (apt-get failed)"; }
    else
        skip "${missing[*]} not installed (Debian: apt-get install slurm-wlm munge jq; or set RINE_SLURM_TEST_INSTALL=1)"
    fi
fi

work=$(mktemp -d /tmp/rine-slurm-test.XXXXXX)
cleanup() {
    "$here/cluster.sh" stop "$work/cluster" || true
    rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    for log in "$work"/job/logs/*.log "$work"/cluster/slurmctld.log; do
        [ -f "$log" ] && { echo "---- $log"; tail -n 30 "$log"; }
    done
    exit 1
}
export RINE_SIGNING_KEY="$work/signing-key.pem" RINE_MODEL_STORE="$work/models" RINE_BACKBONE=/nonexistent

"$here/cluster.sh" start "$work/cluster" || fail "the one-node cluster did not start"
# shellcheck disable=SC1091
. "$work/cluster/env"
echo "cluster: $(sinfo -h -o '%n: %c CPUs, %m MB, %T')"

files=$("$build/tests/make_scan_folder" "$work/evidence" 400)
[ "$files" -ge 200 ] || fail "make_scan_folder wrote $files files"
model=(--backbone "$data/clip_tiny_traced.pt" --head "$data/rine_tiny_head.pth" --device cpu --trust)

# The reference: one unsharded scan on this machine.
start=$(date +%s%N)
status=0
"$rine" scan --quiet --db "$work/whole.sqlite" "${model[@]}" "$work/evidence" 2>"$work/whole.err" || status=$?
[ "$status" -le 1 ] || { cat "$work/whole.err"; fail "the unsharded scan exited with $status"; }
whole_ms=$(( ($(date +%s%N) - start) / 1000000 ))
"$rine" results --db "$work/whole.sqlite" >"$work/whole.json"

# The job: 4 shards, one CPU each; batches of one image so that a shard commits often.
"$rine" slurm --dry-run --output "$work/job" --shards 4 --cpus-per-task 1 -- "${model[@]}" "$work/evidence" \
    >"$work/dry-run.txt" 2>/dev/null
grep -q -- '--array=0-3' "$work/dry-run.txt" || fail "--dry-run printed no array script"
[ ! -e "$work/job" ] || fail "--dry-run wrote $work/job"
start=$(date +%s%N)
"$rine" slurm --output "$work/job" --shards 4 --cpus-per-task 1 -- "${model[@]}" --batch 1 --workers 1 \
    --progress-every 0 "$work/evidence" >"$work/submit.txt" 2>"$work/submit.err" \
    || { cat "$work/submit.err"; fail "rine-cli slurm could not submit"; }
cat "$work/submit.txt"
array=$(jq -r .array_job "$work/job/job/job.json")
merge=$(jq -r .merge_job "$work/job/job/job.json")

# Requeue task 1 once it has committed a few images, well before the end of its shard.
requeued=no
for _ in $(seq 3000); do
    progress="$work/job/progress/shard-1.json"
    if [ -f "$progress" ] && [ "$(jq -r .state "$progress")" = scanning ] && [ "$(jq -r .done "$progress")" -ge 3 ]; then
        echo "task 1 at $(jq -r '"\(.done)/\(.total)"' "$progress") files: scontrol requeue ${array}_1"
        scontrol requeue "${array}_1"
        requeued=yes
        break
    fi
    sleep 0.02
done
[ "$requeued" = yes ] || fail "task 1 was never seen mid-way through its shard"
# Slurm holds a requeued job for two minutes (Reason=BeginTime); a test need not wait that out.
for _ in $(seq 600); do
    if [ "$(squeue -h -r -j "${array}_1" -o '%r' 2>/dev/null)" = BeginTime ]; then
        scontrol update JobId="${array}_1" StartTime=now
        break
    fi
    sleep 0.1
done

# Wait for the merge (the dependent job), at most 10 minutes.
for _ in $(seq 600); do
    squeue -h -j "$array,$merge" 2>/dev/null | grep -q . || break
    sleep 1
done
cluster_ms=$(( ($(date +%s%N) - start) / 1000000 ))
"$rine" slurm status --output "$work/job" || fail "slurm status: not merged"
[ -f "$work/job/case.sqlite" ] || fail "no merged case"

# The requeued task ran twice and resumed its shard's scan.
grep -q 'start 2' "$work/job/logs/shard-1.log" || fail "task 1 did not run again after its requeue"
grep -q 'SIGTERM' "$work/job/logs/shard-1.log" || fail "task 1 was not sent SIGTERM"
"$rine" audit --db "$work/job/shards/shard-1-of-4.sqlite" --format json 2>/dev/null >"$work/shard1-audit.json" \
    || fail "shard 1 does not verify"
jq -e '[.entries[] | select(.action == "scan resumed")] | length >= 1' "$work/shard1-audit.json" >/dev/null \
    || fail "shard 1's scan was not resumed (no 'scan resumed' in its audit log)"
jq -e '[.entries[] | select(.action == "scan interrupted" or .action == "scan cancelled")] | length >= 1' \
    "$work/shard1-audit.json" >/dev/null || fail "shard 1's first run did not end by committing its batch"

# The merged case verifies, and equals the unsharded scan.
"$rine" audit --db "$work/job/case.sqlite" >/dev/null 2>&1 || fail "the merged case does not verify"
"$rine" results --db "$work/job/case.sqlite" >"$work/merged.json"
jq -e -n --slurpfile a "$work/whole.json" --slurpfile b "$work/merged.json" '
  def abs: if . < 0 then -. else . end;
  ($a[0].files) as $x | ($b[0].files) as $y |
  ($x | length) == ($y | length) and
  ([range(0; $x | length) as $i | $x[$i] as $p | $y[$i] as $q |
    $p.path == $q.path and $p.status == $q.status and $p.sha256 == $q.sha256 and
    (($p.scores // []) | length) == (($q.scores // []) | length) and
    ([range(0; ($p.scores // []) | length) as $k | (($p.scores[$k].logit - $q.scores[$k].logit) | abs) < 1e-5] | all)
  ] | all)' >/dev/null || fail "the merged case differs from the unsharded scan"
merged_files=$(jq '.files | length' "$work/merged.json")
jq -e '.files | map(.status) | unique | contains(["failed", "scored", "unsupported"])' "$work/merged.json" >/dev/null \
    || fail "the hostile files did not end as failed or unsupported"

images=$(jq '[.files[] | select(.status == "scored" or .status == "degraded")] | length' "$work/merged.json")
for i in 0 1 2 3; do
    echo "task $i: $(jq -r '"\(.done) files in its last run, \(.images_per_second * 100 | round / 100) images/s"' \
        "$work/job/progress/shard-$i.json")"
done
echo "PASSED: $merged_files files ($images scored) in 4 shards, task 1 requeued mid-way and resumed; merged case"
echo "equals the unsharded scan. Unsharded: $whole_ms ms on this machine ($(( images * 1000 / (whole_ms + 1) )) images/s);"
echo "cluster, submission to merged case (batches of one image, requeue included): $cluster_ms ms"
