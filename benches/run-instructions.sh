#!/usr/bin/env bash
# Instructions per request, from callgrind: stable on a noisy machine.
# Needs valgrind (Debian package `valgrind`).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}
cargo bench --quiet --bench instructions --no-run 2> /dev/null
bin=$(ls -t "${CARGO_TARGET_DIR:-target}"/release/deps/instructions-* | grep -v '\.d$' | head -1)

count() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" "$n" 2>&1 \
        | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

setup=$(count setup)
bare=$(count bare)
printf '%-15s %7s\n' mode 'instr/request'
printf '%-15s %7d   (the inner service alone)\n' bare $(( (bare - setup) / n ))
total=$(count identity)
printf '%-15s %7d   (%+d vs bare: a layer that does nothing)\n' identity $(( (total - setup) / n )) $(( (total - bare) / n ))
total=$(count layered)
printf '%-15s %7d   (%+d vs bare)\n' layered $(( (total - setup) / n )) $(( (total - bare) / n ))
floor=$(count floor)
printf '%-15s %7d   (a prebuilt 502, cloned: the failure floor)\n' floor $(( (floor - setup) / n ))
# Requests without an id are cheaper to build: those modes are measured
# against a setup that builds the same requests.
setup_no_id=$(count setup-no-id)
for mode in fail-json fail-html fail-text fail-html-no-id lean-html-no-id ejected ejected-no-id; do
    total=$(count "$mode")
    base=$setup
    case $mode in *no-id) base=$setup_no_id ;; esac
    printf '%-15s %7d   (%.2fx the floor)\n' "$mode" $(( (total - base) / n )) \
        "$(awk "BEGIN { print ($total - $base) / ($floor - $setup) }")"
done
