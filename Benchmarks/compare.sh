#!/usr/bin/env bash
# Side-by-side throughput: this project's `bench` and TF/Keras (../shared/peers) on the same workloads,
# alternating project and peer in each round, then medians and project/Keras ratios.
#
#   Benchmarks/compare.sh [--setup] [--rounds N] [--quick] [--isa avx512|avx2|portable]
#     --setup   create the peer venv first (../shared/peers/setup.sh; PEERS_VENV chooses where)
#     --quick   VGG6 workloads only
#     --isa     limit both sides to one instruction set: ASTRO_ISA for ours, ONEDNN_MAX_CPU_ISA for Keras
set -euo pipefail
cd "$(dirname "$0")/.."
peers="${PEERS_DIR:-../shared/peers}"
venv="${PEERS_VENV:-$peers/.venv}"
rounds=2 quick=0
while [ $# -gt 0 ]; do
  case "$1" in
    --setup) PEERS_VENV="$venv" bash "$peers/setup.sh" >/dev/null ;;
    --rounds) rounds="$2"; shift ;;
    --quick) quick=1 ;;
    --isa)
      case "$2" in
        avx512) export ASTRO_ISA=avx512 ONEDNN_MAX_CPU_ISA=AVX512_CORE ;;
        avx2) export ASTRO_ISA=avx2 ONEDNN_MAX_CPU_ISA=AVX2 ;;
        portable) export ASTRO_ISA=portable ONEDNN_MAX_CPU_ISA=SSE41 ;;
        *) echo "--isa: avx512, avx2 or portable" >&2; exit 2 ;;
      esac
      shift ;;
    *) echo "usage: $0 [--setup] [--rounds N] [--quick] [--isa avx512|avx2|portable]" >&2; exit 2 ;;
  esac
  shift
done
python="$venv/bin/python"
[ -x "$python" ] || { echo "no peer venv at $venv: run $0 --setup (or set PEERS_VENV)" >&2; exit 1; }

swift build -c release --product bench >&2
bench=.build/release/bench
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# The peers also print TensorFlow's own messages on stdout (the TFLite converter's, for litert-int8): only their
# JSON lines are kept.
for round in $(seq "$rounds"); do
  echo "round $round/$rounds" >&2
  $bench vgg6-train --samples 4096 | sed 's/^/ours /' >>"$log"
  "$python" "$peers/keras_vgg6.py" train --batch 64 --samples 4096 2>/dev/null | grep '^{' | sed 's/^/keras /' >>"$log"
  $bench vgg6-infer --samples 16384 | sed 's/^/ours /' >>"$log"
  "$python" "$peers/keras_vgg6.py" infer --batch 1024 --samples 16384 2>/dev/null | grep '^{' | sed 's/^/keras /' >>"$log"
  $bench vgg6-int8-infer --batch 256 --samples 4096 | sed 's/^/ours /' >>"$log"
  "$python" "$peers/keras_vgg6.py" litert-int8 --batch 256 --samples 4096 2>/dev/null | grep '^{' | sed 's/^/keras /' >>"$log"
  # 200,000 real-format alerts read, decoded, turned into triplets and scored by d6_m7 in int8 (no peer).
  $bench alerts-score --int8 1 --samples 200000 --repeats 1 | sed 's/^/ours /' >>"$log"
  if [ "$quick" = 0 ]; then
    for w in ds-vgg6-train ds-vgg6-infer resnet50-train resnet50-infer densenet121-train densenet121-infer; do
      $bench "$w" --repeats 1 | sed 's/^/ours /' >>"$log"
    done
    "$python" "$peers/keras_deepstreaks.py" 2>/dev/null | sed 's/^/kerasds /' >>"$log"
  fi
done

python3 - "$log" <<'PY'
import json, statistics, sys
ours, keras, rss = {}, {}, {}
for line in open(sys.argv[1]):
    tag, _, rest = line.strip().partition(" ")
    if tag == "ours":
        r = json.loads(rest); ours.setdefault(r["workload"], []).append(r["samples_per_s"])
        rss.setdefault(r["workload"], []).append(r["peak_rss_mb"])
    elif tag == "keras":
        r = json.loads(rest); keras.setdefault(r["workload"], []).append(r["samples_per_s"])
    elif tag == "kerasds":  # keras_ds_<model>_params P train_samples_per_s_b32 T infer_samples_per_s_b32 I
        f = rest.split()
        model = f[0].split("_")[2]
        prefix = "ds-vgg6" if model == "vgg6" else model
        keras.setdefault(prefix + "-train", []).append(float(f[3])); keras.setdefault(prefix + "-infer", []).append(float(f[5]))
# Ratios per round pair each of our runs with the peer's run of the same round (they ran minutes apart);
# their spread shows how much the shared machine moved during the run.
# vgg6-int8-infer's peer is LiteRT (XNNPACK, int8), alerts-score-int8 has none, the others' are TF/Keras.
print(f"| workload | ours samples/s | peer samples/s | ours/peer | per-round ratios | ours peak RSS MB |")
print(f"|---|---:|---:|---:|---|---:|")
for w in ours:
    o = statistics.median(ours[w]); k = statistics.median(keras[w]) if w in keras else None
    if not k:
        print(f"| {w} | {o:,.1f} | n/a | n/a | | {max(rss[w]):,.0f} |"); continue
    rounds = ", ".join(f"{a / b:.2f}" for a, b in zip(ours[w], keras[w]))
    print(f"| {w} | {o:,.1f} | {k:,.1f} | {o / k:.2f}x | {rounds} | {max(rss[w]):,.0f} |")
if "alerts-score-int8" in ours:
    seconds = sorted(200000 / r for r in ours["alerts-score-int8"])
    print(f"\nalerts-score-int8: 200,000 alerts in {statistics.median(seconds):.1f} s (median; rounds {', '.join(f'{t:.1f}' for t in seconds)})")
PY
