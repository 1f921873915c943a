#!/bin/sh
# `richeta train` and `richeta sweep` on image files: D, C and the image
# shape filled in from Fashion-MNIST, a CIFAR-10 binary file and an npzdir
# of HWC parts (written here with numpy's own np.savez); given values that
# disagree are usage errors naming both; the paper's CNN and ResNet-18 train
# end to end (the ResNet also on the synthetic image task, resumed, swept).
# Prints TAP (one line per case). usage: test_data.sh RICHETA PYTHON3
set -u
R=$1
PY=${2:-python3}
. "$(dirname "$0")/tap.sh"
FM=/usr/share/datasets/fashion-mnist

# Fixtures: a CIFAR-10 batch of 6 records, an npzdir of two HWC parts
# (7 + 5 samples of 12x12x3 uint8, labels 0..9) and a held-out file.
"$PY" - "$tmp" <<'PY' || { echo "Bail out! cannot write the fixtures with numpy"; exit 1; }
import os, sys
import numpy as np
d = sys.argv[1]
rng = np.random.default_rng(5)
rec = np.zeros((6, 3073), np.uint8)
rec[:, 0] = np.arange(6) % 10
rec[:, 1:] = rng.integers(0, 256, (6, 3072))
rec.tofile(os.path.join(d, "batch.bin"))
os.mkdir(os.path.join(d, "parts"))
g = 0
for k, n in enumerate((7, 5)):
    X = rng.integers(0, 256, (n, 12, 12, 3), dtype=np.uint8)
    Y = (np.arange(g, g + n) % 10).astype(np.int64)
    np.savez(os.path.join(d, "parts", "part%d.npz" % k), X=X, Y=Y)
    g += n
np.savez_compressed(os.path.join(d, "test.npz"), X=rng.integers(0, 256, (4, 12, 12, 3), dtype=np.uint8),
                    Y=np.arange(4, dtype=np.int64))
PY
DIRSPEC="npzdir:$tmp/parts?layout=hwc&test=$tmp/test.npz"

# key=value lines of the effective configuration
show() { "$R" train "$@" --show-config | tr ',' '\n'; }
has() { grep -qx "$1" "$tmp/show" || { echo "missing $1 in:"; cat "$tmp/show"; return 1; }; }

fashion_cnn() {
  show --task file --data fashion-mnist --arch cnn >"$tmp/show" || return 1
  has D=784 && has C=10 && has L=4 && has image_channels=1 && has image_height=28 &&
    has image_width=28
}
check "fashion-mnist --arch cnn: D, C and the 1x28x28 shape are filled in" fashion_cnn

fashion_mlp() {
  show --task file --data fashion-mnist >"$tmp/show" || return 1
  has D=784 && has C=10 && has image_channels=0 && has image_height=0 # MLPs keep 1.0's hash
}
check "fashion-mnist MLP: D and C filled in, no image keys" fashion_mlp

cifar_cnn() {
  show --task file --data "cifar10:$tmp/batch.bin" --arch cnn >"$tmp/show" || return 1
  has D=3072 && has C=10 && has image_channels=3 && has image_height=32 && has image_width=32
}
check "cifar10 file --arch cnn: 3x32x32 filled in" cifar_cnn

npzdir_cnn() {
  show --task file --data "$DIRSPEC" --arch cnn >"$tmp/show" || return 1
  has D=432 && has C=10 && has image_channels=3 && has image_height=12 && has image_width=12
}
check "npzdir with layout=hwc --arch cnn: 3x12x12 from the X shape" npzdir_cnn

given_agree() {
  show --task file --data fashion-mnist --arch cnn --D 784 --set "image_height=28" \
    --image-width 28 >"$tmp/show" || return 1
  has D=784 && has image_channels=1
}
check "values given that agree with the data set are kept" given_agree

# usage errors: exit 2, one line on stderr naming both values
disagree() { # disagree GIVEN WANT ARGS...
  given=$1 want=$2
  shift 2
  "$R" train "$@" --show-config >"$tmp/u.out" 2>"$tmp/u.err"
  rc=$?
  cat "$tmp/u.err"
  [ $rc -eq 2 ] && [ ! -s "$tmp/u.out" ] && [ "$(wc -l <"$tmp/u.err")" -eq 1 ] &&
    grep -q "$given" "$tmp/u.err" && grep -q "$want" "$tmp/u.err"
}
check "--D that disagrees with fashion-mnist names both" \
  disagree "D=100" "784" --task file --data fashion-mnist --D 100
check "--set C=3 that disagrees names both" \
  disagree "C=3" "10" --task file --data fashion-mnist --set C=3
config_disagree() {
  printf 'image_channels=3\n' >"$tmp/c.cfg"
  disagree "image_channels=3" "1" --task file --data fashion-mnist --arch cnn --config "$tmp/c.cfg"
}
check "an image key in a --config file that disagrees names both" config_disagree
check "--channels 3 against 1-channel fashion-mnist names both" \
  disagree "image_channels=3" "1" --task file --data fashion-mnist --arch cnn --channels 3
check "channels-last npz without layout=hwc: the error says to add it" \
  disagree "layout=hwc" "12x12x3" --task file --data "npzdir:$tmp/parts" --arch cnn
check "sweep: a disagreeing --D is a usage error too" sh -c \
  "'$R' sweep --task file --data fashion-mnist --D 10 --db '$tmp/x.db' 2>'$tmp/sw.err'; \
   [ \$? -eq 2 ] && grep -q 'D=10' '$tmp/sw.err'"

missing_dir() {
  "$R" train --task file --data "npzdir:$tmp/none" --arch cnn >/dev/null 2>"$tmp/m.err"
  [ $? -eq 1 ] && [ "$(wc -l <"$tmp/m.err")" -eq 1 ] && grep -q "$tmp/none" "$tmp/m.err"
}
check "a missing npzdir is a runtime error (exit 1) naming it" missing_dir

fashion_train() {
  "$R" train --arch cnn --task file --data fashion-mnist --N 4 --T 20 --B 16 --eta0 0.05 \
    --eval_n 64 --json >"$tmp/f.jsonl" 2>"$tmp/f.err" || return 1
  [ ! -s "$tmp/f.err" ] || return 1 # 320 samples of 60000: no reuse warning
  "$PY" - "$tmp/f.jsonl" <<'PY'
import json, math, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
*points, final = rows
assert final["status"] == "converged" and final["steps"] == 20, final
# centered (f = 0 at init) on one-hot targets of 10 classes: MSE is 1/10
assert abs(points[0]["test_loss"] - 0.1) < 1e-12, points[0]
assert points[0]["step"] == 0 and points[-1]["step"] == 20
assert math.isfinite(final["test_final_loss"]) and final["test_final_loss"] < points[0]["test_loss"], final
assert all(p["test_accuracy"] is not None for p in points)
PY
}
check "richeta train --arch cnn on fashion-mnist: 20 steps, loss falls from 1/C" fashion_train

npzdir_train() {
  # 12 samples, B=4: steps 0-2 are the pass, 3-5 reuse it (and stderr says so)
  "$R" train --arch cnn --task file --data "$DIRSPEC" --N 2 --T 6 --B 4 --eta0 0.05 --json \
    >"$tmp/d.jsonl" 2>"$tmp/d.err" || return 1
  grep -q "reused training samples (1 full passes" "$tmp/d.err" || { cat "$tmp/d.err"; return 1; }
  "$PY" - "$tmp/d.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert rows[-1]["status"] == "converged" and rows[-1]["steps"] == 6, rows[-1]
assert abs(rows[0]["test_loss"] - 0.1) < 1e-12  # the held-out file (4 samples)
PY
}
check "richeta train --arch cnn on an npzdir with a held-out file; reuse is reported" npzdir_train

npzdir_resume() {
  A="--arch cnn --task file --data $DIRSPEC --N 2 --T 7 --B 4 --eta0 0.05"
  # shellcheck disable=SC2086
  "$R" train $A >"$tmp/full.csv" 2>/dev/null || return 1
  # shellcheck disable=SC2086
  "$R" train $A --max-steps 4 --checkpoint "$tmp/ck" >/dev/null 2>&1 || return 1
  "$R" train --resume "$tmp/ck" >"$tmp/res.csv" 2>/dev/null || return 1
  cmp -s "$tmp/full.csv" "$tmp/res.csv" || { diff "$tmp/full.csv" "$tmp/res.csv"; return 1; }
}
check "an npzdir run resumed in its second pass gives the uninterrupted curve" npzdir_resume

sweep_cifar() {
  "$R" sweep --task file --data "cifar10:$tmp/batch.bin" --arch cnn --N 2 --T 3 --B 2 \
    --eval_n 4 --gamma-grid 1 --eta-grid 0.01 --mode dense --workers 1 --db "$tmp/s.db" \
    --json --no-report >"$tmp/s.jsonl" 2>"$tmp/s.err" || { cat "$tmp/s.err"; return 1; }
  "$PY" - "$tmp/s.jsonl" <<'PY'
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
assert len(runs) == 1 and runs[0]["status"] in ("converged", "stalled"), runs
PY
}
check "richeta sweep --arch cnn on a cifar10 file fills in the shape and runs" sweep_cifar

# the ResNet-18: shape and L filled in, trains on a CIFAR-10 file and on the
# synthetic image task, sweeps, and resumes to the byte
cifar_resnet() {
  show --task file --data "cifar10:$tmp/batch.bin" --arch resnet18 >"$tmp/show" || return 1
  has D=3072 && has C=10 && has L=3 && has image_channels=3 && has image_height=32 &&
    has image_width=32
}
check "cifar10 file --arch resnet18: 3x32x32 and L=3 filled in" cifar_resnet

cifar_resnet_train() {
  "$R" train --arch resnet18 --task file --data "cifar10:$tmp/batch.bin" --N 1 --T 4 --B 2 \
    --eta0 0.05 --json >"$tmp/r.jsonl" 2>/dev/null || return 1
  "$PY" - "$tmp/r.jsonl" <<'PY'
import json, math, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
*points, final = rows
assert final["status"] == "converged" and final["steps"] == 4, final
# centered with batch statistics: f = 0 at step 0 on one-hot targets of 10 classes
assert abs(points[0]["train_loss"] - 0.1) < 1e-12, points[0]
assert math.isfinite(final["final_loss"]), final
PY
}
check "richeta train --arch resnet18 on a cifar10 file: centered at 1/C, 4 steps" cifar_resnet_train

IMG="--arch resnet18 --task image_cnn --channels 3 --height 12 --image-width 12 --D 432 --C 1"
image_resnet_resume() {
  # shellcheck disable=SC2086
  "$R" train $IMG --N 2 --T 9 --B 8 --eta0 0.2 >"$tmp/rf.csv" 2>/dev/null || return 1
  # shellcheck disable=SC2086
  "$R" train $IMG --N 2 --T 9 --B 8 --eta0 0.2 --max-steps 5 --checkpoint "$tmp/rck" \
    >/dev/null 2>&1 || return 1
  "$R" train --resume "$tmp/rck" >"$tmp/rr.csv" 2>/dev/null || return 1
  grep -q "status=converged" "$tmp/rf.csv" && cmp -s "$tmp/rf.csv" "$tmp/rr.csv" ||
    { diff "$tmp/rf.csv" "$tmp/rr.csv"; return 1; }
}
check "richeta train --arch resnet18 on the synthetic image task resumes to the byte" \
  image_resnet_resume

sweep_resnet() {
  # shellcheck disable=SC2086
  "$R" sweep $IMG --N 1 --T 3 --B 4 --eval_n 8 --gamma-grid 0.5,2 --eta-grid 0.01 --mode dense \
    --workers 1 --db "$tmp/rs.db" --json --no-report >"$tmp/rs.jsonl" 2>"$tmp/rs.err" ||
    { cat "$tmp/rs.err"; return 1; }
  "$PY" - "$tmp/rs.jsonl" <<'PY'
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
assert len(runs) == 2 and all(r["status"] in ("converged", "stalled") for r in runs), runs
PY
}
check "richeta sweep --arch resnet18 on the synthetic image task runs its grid" sweep_resnet

# --diag with batch normalization: the sharpness (an HVP) is refused with one
# warning naming the reason, its column stays and is null; the run goes on
# (exit 0) and every other diagnostic is a finite number at every logged step
diag_resnet() {
  # shellcheck disable=SC2086
  "$R" train $IMG --N 1 --T 3 --B 4 --eval_n 8 --diag all --diag-probe 4 --json \
    >"$tmp/rd.jsonl" 2>"$tmp/rd.err" || { cat "$tmp/rd.err"; return 1; }
  [ "$(grep -c 'warning: --diag' "$tmp/rd.err")" -eq 1 ] &&
    grep 'warning: --diag sharpness is not available' "$tmp/rd.err" | grep -q 'batch normalization' ||
    { cat "$tmp/rd.err"; return 1; }
  "$PY" - "$tmp/rd.jsonl" <<'PY'
import json, math, sys
*rows, final = [json.loads(l) for l in open(sys.argv[1])]
assert final["status"] == "converged", final
assert len(rows) >= 2 and rows[0]["step"] == 0, rows
for r in rows:
    assert r["sharpness"] is None, r
    keys = ["gn", "alignment"] + ["%s_%d" % (k, l) for k in ("movement", "preact") for l in range(41)]
    for k in keys:
        assert isinstance(r[k], (int, float)) and math.isfinite(r[k]), (r["step"], k, r.get(k))
assert rows[-1]["movement_0"] > 0 and rows[-1]["gn"] > 0
PY
}
check "richeta train --arch resnet18 --diag all: sharpness refused with one warning, the rest finite" \
  diag_resnet

echo "1..$n"
[ $fails -eq 0 ]
