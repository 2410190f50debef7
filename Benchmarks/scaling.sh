#!/usr/bin/env bash
# Data-parallel training over a network link of a chosen speed, on one machine: two "hosts" are two network
# namespaces joined by a veth pair (loopback traffic only), the link shaped by tc to each rate (a token bucket, tbf,
# with 1 ms of traffic as its burst: netem's rate needs the sch_netem module, which containers often lack). braai trains
# each model with one process (all cores), then with `mpirun -np 2 --distributed` across the link (one core per
# rank, Open MPI's TCP transport only), and the script prints the time per step of the global batch. A run of the
# same two ranks over shared memory separates their compute on these cores from the network's share.
#
#   sudo Benchmarks/scaling.sh [--models "vgg6 resnet50 densenet121"] [--gbits "1 10"] [--count N] [--batch B]
#
# Needs root (namespaces, tc) and iproute2; `make deps` installs Open MPI. The namespaces are removed at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
models="vgg6 resnet50" gbits="1 10" count=1200 batch=64 epochs=3
while [ $# -gt 0 ]; do
  case "$1" in
    --models) models="$2"; shift ;;
    --gbits) gbits="$2"; shift ;;
    --count) count="$2"; shift ;;
    --batch) batch="$2"; shift ;;
    *) echo "usage: $0 [--models \"vgg6 resnet50 densenet121\"] [--gbits \"1 10\"] [--count N] [--batch B]" >&2; exit 2 ;;
  esac
  shift
done
[ "$(id -u)" = 0 ] || { echo "$0: network namespaces and tc need root" >&2; exit 1; }
command -v tc >/dev/null || { echo "$0: tc not found (apt-get install iproute2)" >&2; exit 1; }
swift build -c release --product braai >/dev/null
swift build -c release --product make-datasets >/dev/null
braai="$PWD/.build/release/braai"

work="$(mktemp -d)"
cleanup() { ip netns del astro-a 2>/dev/null || true; ip netns del astro-b 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
.build/release/make-datasets triplets --count "$count" --seed 1 --stamp s --out "$work/data" >/dev/null

# Both "hosts" share this machine's cores, so MPI must yield while it waits (mpi_yield_when_idle): a rank spinning
# in a collective otherwise starves the kernel's TCP processing and a 1 KB allreduce takes 8 ms instead of 0.06.
# Host a (10.77.0.1) runs mpirun and rank 0; Open MPI starts its daemon for host b (10.77.0.2) through this agent
# instead of ssh, inside namespace b.
ip netns add astro-a
ip netns add astro-b
ip link add astro-va type veth peer name astro-vb
ip link set astro-va netns astro-a
ip link set astro-vb netns astro-b
ip -n astro-a addr add 10.77.0.1/24 dev astro-va
ip -n astro-b addr add 10.77.0.2/24 dev astro-vb
for ns in a b; do ip -n "astro-$ns" link set lo up; ip -n "astro-$ns" link set "astro-v$ns" up; done
cat > "$work/agent" <<'AGENT'
#!/bin/sh
shift
exec ip netns exec astro-b sh -c "$*"
AGENT
chmod +x "$work/agent"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# Samples per second of the last epoch, from the trainer's epoch line.
rate_of() { tr '\r' '\n' < "$1" | grep -o "Epoch $epochs/$epochs  loss.*samples/s" | tail -1 | grep -o '[0-9.]* samples/s$' | cut -d' ' -f1; }
step_ms() { awk -v s="$1" -v b="$batch" 'BEGIN { printf "%.0f", 1000 * b / s }'; }

printf '%-12s %-24s %12s %10s %10s\n' model run samples/s "step ms" "vs 1 proc"
for model in $models; do
  common=(train --npy "$work/data" --stamp s --epochs "$epochs" --batch "$batch" --model "$model" --patience 100)
  "$braai" "${common[@]}" --out "$work/single-$model" > "$work/single-$model.log" 2>&1
  single=$(rate_of "$work/single-$model.log")
  printf '%-12s %-24s %12s %10s %10s\n' "$model" "1 process, 2 threads" "$single" "$(step_ms "$single")" "1.00"
  # The same two ranks on one host (shared memory, no link): their compute on these cores, without the network.
  mpirun -np 2 -x ASTRO_THREADS=1 "$braai" "${common[@]}" --out "$work/local-$model" --distributed > "$work/local-$model.log" 2>&1 ||
    { cat "$work/local-$model.log" >&2; exit 1; }
  local=$(rate_of "$work/local-$model.log")
  printf '%-12s %-24s %12s %10s %10s\n' "$model" "2 ranks, shared memory" "$local" "$(step_ms "$local")" \
    "$(awk -v a="$local" -v b="$single" 'BEGIN { printf "%.2f", a / b }')"
  for gbit in $gbits; do
    rate="${gbit}gbit"
    for ns in a b; do
      ip netns exec "astro-$ns" tc qdisc replace dev "astro-v$ns" root tbf rate "$rate" burst "$((gbit * 125))kb" latency 20ms
    done
    ip netns exec astro-a mpirun -np 2 --host 10.77.0.1,10.77.0.2 --mca plm_rsh_agent "$work/agent" \
      --mca btl tcp,self --mca btl_tcp_if_include 10.77.0.0/24 --mca oob_tcp_if_include 10.77.0.0/24 --mca mpi_yield_when_idle 1 \
      -x ASTRO_THREADS=1 \
      "$braai" "${common[@]}" --out "$work/ranks-$model-$rate" --distributed > "$work/ranks-$model-$rate.log" 2>&1 ||
      { cat "$work/ranks-$model-$rate.log" >&2; exit 1; }
    two=$(rate_of "$work/ranks-$model-$rate.log")
    printf '%-12s %-24s %12s %10s %10s\n' "$model" "2 ranks over $rate" "$two" "$(step_ms "$two")" \
      "$(awk -v a="$two" -v b="$single" 'BEGIN { printf "%.2f", a / b }')"
  done
done
