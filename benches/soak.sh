#!/usr/bin/env bash
# Soak: the demo gateway under a steady mix of faults (refused, reset,
# garbage, slow, valid, a 500, a body broken mid-way); its RSS and open
# file descriptors are sampled every 10 s. Linux only (/proc).
#
#   bash benches/soak.sh            # 600 s at 200 requests/s
#   bash benches/soak.sh 120 400    # SECONDS REQUESTS_PER_SECOND
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --release --example demo
cargo bench --quiet --bench soak --no-run
target=${CARGO_TARGET_DIR:-target}
bin=$(ls -t "$target"/release/deps/soak-* | grep -v '\.d$' | head -1)
"$bin" "$target/release/examples/demo" "${1:-600}" "${2:-200}"
