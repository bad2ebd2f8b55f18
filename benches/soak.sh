#!/usr/bin/env bash
# Soaks (benches/soak/main.rs says what each does); resident memory and
# open file descriptors are sampled every 10 s. Linux only (/proc).
#
#   bash benches/soak.sh                     # the demo: 600 s at 200 requests/s
#   bash benches/soak.sh demo 120 400        # SECONDS REQUESTS_PER_SECOND
#   bash benches/soak.sh balanced            # hyper_proxy over three upstreams,
#                                            # one down 10 s in every 30: 600 s at 2000/s
#   EXAMPLE=reverse_proxy bash benches/soak.sh balanced 120 1000
set -euo pipefail
cd "$(dirname "$0")/.."
mode=demo
case ${1:-} in demo|balanced) mode=$1; shift ;; esac
case $mode in
    demo) example=demo ;;
    balanced) example=${EXAMPLE:-hyper_proxy} ;;
esac
cargo build --quiet --release --example "$example"
cargo bench --quiet --bench soak --no-run
target=${CARGO_TARGET_DIR:-target}
bin=$(ls -t "$target"/release/deps/soak-* | grep -v '\.d$' | head -1)
"$bin" "$mode" "$target/release/examples/$example" "$@"
