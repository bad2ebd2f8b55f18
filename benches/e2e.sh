#!/usr/bin/env bash
# End-to-end benchmark: real servers under wrk, each figure printed as a
# ratio to its comparison (ratios hold on a noisy machine; absolute
# numbers do not). Installs wrk and nginx from Debian if they are missing.
#
#   bash benches/e2e.sh                  # 5 rounds of 5 s runs, 64 connections
#   ROUNDS=9 DURATION=10s CONNECTIONS=128 bash benches/e2e.sh
#   bash benches/e2e.sh examples         # only the proxy examples against e2e's server
#
# Servers run on CPU 0 with one worker thread; wrk runs on CPU 1. The two
# sides of each comparison alternate, round after round, and the medians
# are compared: on a shared machine a single run of either can be off by
# 10% or more.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${DURATION:-5s}
connections=${CONNECTIONS:-64}
rounds=${ROUNDS:-5}

if ! command -v wrk > /dev/null || ! command -v nginx > /dev/null; then
    apt-get update -qq
    apt-get install -y -qq wrk nginx-light > /dev/null
fi

only=${1:-all}
case $only in all|examples) ;; *) echo "usage: e2e.sh [examples]"; exit 2 ;; esac

cargo bench --quiet --bench e2e --no-run 2> /dev/null
cargo build --quiet --release --example hyper_proxy --example reverse_proxy
examples="${CARGO_TARGET_DIR:-target}/release/examples"
bin=$(ls -t "${CARGO_TARGET_DIR:-target}"/release/deps/e2e-* | grep -v '\.d$' | head -1)
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2> /dev/null || true; rm -rf "$work"' EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start NAME ARGS...: on CPU 0, waits until it accepts connections.
start() {
    local port=$1; shift
    taskset -c 0 "$@" > "$work/$port.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 100); do
        (: <> "/dev/tcp/127.0.0.1/$port") 2> /dev/null && return
        sleep 0.05
    done
    cat "$work/$port.log"; echo "nothing listens on $port"; exit 1
}

# load PORT: wrk on CPU 1; prints "requests_per_second p99_microseconds non_2xx".
load() {
    taskset -c 1 wrk -t1 -c"$connections" -d"$duration" --latency "http://127.0.0.1:$1/" > "$work/wrk.out"
    awk '
        /Requests\/sec:/ { rps = $2 }
        /^ +99%/ {
            v = $2; unit = v; gsub(/[0-9.]/, "", unit); sub(/[a-z]+$/, "", v)
            p99 = (unit == "us") ? v : (unit == "ms") ? v * 1000 : v * 1000000
        }
        /Non-2xx or 3xx responses:/ { non2xx = $5 }
        END { printf "%.0f %.0f %d\n", rps, p99, non2xx }
    ' "$work/wrk.out"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

median() { tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# compare PORT_A PORT_B: alternates wrk runs; sets a_rps a_p99 b_rps b_p99
# (medians) and a_non2xx b_non2xx (of the last run).
compare() {
    local ar=() ap=() br=() bp=() rps p99
    for _ in $(seq 1 "$rounds"); do
        read -r rps p99 a_non2xx < <(load "$1"); ar+=("$rps"); ap+=("$p99")
        read -r rps p99 b_non2xx < <(load "$2"); br+=("$rps"); bp+=("$p99")
    done
    a_rps=$(echo "${ar[*]}" | median); a_p99=$(echo "${ap[*]}" | median)
    b_rps=$(echo "${br[*]}" | median); b_p99=$(echo "${bp[*]}" | median)
}

echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
echo "wrk: 1 thread, $connections connections, $duration per run, $rounds alternating rounds, medians"
echo

# A loopback port nothing serves: the dead upstream of sections 2 and 3.
closed_port_out="$work/closed.port"
"$bin" closed-port > "$closed_port_out" &
pids+=($!)
for _ in $(seq 1 50); do test -s "$closed_port_out" && break; sleep 0.05; done
closed=$(cat "$closed_port_out")

if [ "$only" = all ]; then
# 1. The success path: hyper in front of an in-process upstream, with and
#    without the layer.
plain=$(free_port); start "$plain" "$bin" plain "127.0.0.1:$plain"
layered=$(free_port); start "$layered" "$bin" layered "127.0.0.1:$layered"
compare "$plain" "$layered"
plain_rps=$a_rps plain_p99=$a_p99 layered_rps=$b_rps layered_p99=$b_p99
echo "success path (200 from an in-process upstream)"
printf '  without the layer: %8d req/s, p99 %6d us\n' "$plain_rps" "$plain_p99"
printf '  with the layer:    %8d req/s, p99 %6d us\n' "$layered_rps" "$layered_p99"
echo "  throughput ratio (target >= 0.98): $(ratio "$layered_rps" "$plain_rps")"
echo "  p99 ratio        (target <= 1.05): $(ratio "$layered_p99" "$plain_p99")"
echo

# 2. 502s for a refused upstream: this crate against nginx.

gateway=$(free_port); start "$gateway" "$bin" refused "127.0.0.1:$gateway" "127.0.0.1:$closed"
lean=$(free_port); start "$lean" "$bin" refused-lean "127.0.0.1:$lean" "127.0.0.1:$closed"
ejected=$(free_port); start "$ejected" "$bin" refused-ejected "127.0.0.1:$ejected" "127.0.0.1:$closed"
ejected_lean=$(free_port)
start "$ejected_lean" "$bin" refused-ejected-lean "127.0.0.1:$ejected_lean" "127.0.0.1:$closed"

mkdir -p "$work/nginx"
ngx=$(free_port)
sed -e "s|PREFIX|$work/nginx|g" -e "s|LISTEN_PORT|$ngx|" -e "s|UPSTREAM_PORT|$closed|" \
    benches/nginx.conf > "$work/nginx/nginx.conf"
start "$ngx" nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e /dev/null
nginx_version=$(nginx -v 2>&1 | sed 's|.*/||')
echo "a refused upstream (one worker each): 502s, or 503s once ejected"
for side in gateway lean ejected ejected_lean; do
    compare "${!side}" "$ngx"
    case $side in
        gateway) label="layer + hyper-util Client" ;;
        lean) label="layer + lean client" ;;
        ejected) label="layer, fast path on" ;;
        ejected_lean) label="the same, no error extension" ;;
    esac
    printf '  %-27s %8d req/s, p99 %6d us, non-2xx %d\n' "$label:" "$a_rps" "$a_p99" "$a_non2xx"
    printf '  %-27s %8d req/s, p99 %6d us, non-2xx %d\n' "nginx $nginx_version:" "$b_rps" "$b_p99" "$b_non2xx"
    target=">= 1.0"; case $side in ejected*) target=">= 3.0" ;; esac
    echo "    throughput ratio to nginx (target $target): $(ratio "$a_rps" "$b_rps")"
    echo "    p99 ratio to nginx:                         $(ratio "$a_p99" "$b_p99")"
done
echo "  (non-2xx: wrk's count of error responses in the last run: 502s, and"
echo "  with the fast path 503s after the first five; nginx never ejects a"
echo "  lone upstream server, whatever its max_fails)"
echo
fi

# 3. The proxy examples as their users run them (a multi-threaded runtime,
#    here with one worker), fast path on, against e2e's server with the same
#    settings: what the examples trade for what they show.
ejected=$(free_port); start "$ejected" "$bin" refused-ejected "127.0.0.1:$ejected" "127.0.0.1:$closed"
flags=(--upstream "http://127.0.0.1:$closed" --eject-after 5 --eject-for 10)
hyper_proxy=$(free_port)
start "$hyper_proxy" env TOKIO_WORKER_THREADS=1 "$examples/hyper_proxy" --listen "127.0.0.1:$hyper_proxy" "${flags[@]}"
reverse_proxy=$(free_port)
start "$reverse_proxy" env TOKIO_WORKER_THREADS=1 "$examples/reverse_proxy" --listen "127.0.0.1:$reverse_proxy" "${flags[@]}"
echo "a dead upstream, fast path on (eject after 5, for 10 s): the examples / e2e's server"
for side in hyper_proxy reverse_proxy; do
    compare "${!side}" "$ejected"
    printf '  %-27s %8d req/s, p99 %6d us\n' "examples/$side:" "$a_rps" "$a_p99"
    printf '  %-27s %8d req/s, p99 %6d us\n' "e2e refused-ejected:" "$b_rps" "$b_p99"
    echo "    throughput ratio (target >= 0.9): $(ratio "$a_rps" "$b_rps")"
done
