#!/usr/bin/env bash
# Renders the built-in error pages in a real browser, headless Chromium,
# and checks each through the DOM the browser built: the language asked
# for, the request id present and escaped (no element made of it), the
# time, and nothing that would load from anywhere.
#
#   bash tests/browser/check.sh                # the check (what CI runs)
#   bash tests/browser/check.sh --screenshots  # also PNGs under target/error-pages/:
#                                              # every kind in en, de and ja, light and dark
#
# Installs Debian's chromium when it is missing (as root, with apt-get).
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v chromium > /dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
        echo "installing Debian's chromium"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q chromium > /dev/null 2>&1 \
            || { apt-get update -q > /dev/null && apt-get install -y -q chromium > /dev/null; }
    else
        echo "chromium is missing: install Debian's chromium package (apt-get install chromium)"
        exit 1
    fi
fi

# Screenshots of the Japanese and Chinese pages need CJK fonts, which a
# visitor's device has and a bare machine does not.
if [ "${1:-}" = --screenshots ] && ! fc-list 2> /dev/null | grep -qi cjk; then
    if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
        echo "installing Debian's fonts-noto-cjk for the screenshots"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q fonts-noto-cjk > /dev/null
    else
        echo "no CJK fonts: Japanese and Chinese screenshots will show boxes"
    fi
fi

target_dir="${CARGO_TARGET_DIR:-target}"
cargo build --quiet --example error_pages
out="$target_dir/error_pages.out"
"$target_dir/debug/examples/error_pages" --listen 127.0.0.1:0 > "$out" 2>&1 &
gallery=$!
trap 'kill "$gallery" 2> /dev/null || true' EXIT
for _ in $(seq 1 50); do
    grep -q 'on http://' "$out" && break
    sleep 0.2
done
addr=$(sed -n 's|.* on http://\([0-9.:]*\)/.*|\1|p' "$out" | head -1)
test -n "$addr" || { cat "$out"; echo "the gallery did not start"; exit 1; }

python3 tests/browser/check.py "$addr" "$target_dir/error-pages" "$@"
