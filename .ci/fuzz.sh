#!/usr/bin/env bash
# Fuzz smoke run (issue #4: nothing a client sends can crash or fool it).
#
# Builds every cargo-fuzz target in fuzz/ and runs each for a bounded time
# on a scratch copy of its committed seed corpus (fuzz/corpus/<target>/seed-*),
# with libFuzzer's memory limits on. Any crash, panic, leak, timeout or
# allocation over the limits fails the script; the crashing input is left in
# fuzz/artifacts/<target>/ (git-ignored) and printed as a reproduce command.
#
#   FUZZ_SECONDS=20   seconds per target (default 20)
#
# Reproduce a crash:  RUSTC_BOOTSTRAP=1 cargo fuzz run -O <target> fuzz/artifacts/<target>/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-20}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi
cargo fuzz --version

# cargo-fuzz passes nightly-only flags (-Zsanitizer=address, ...). The one
# stable toolchain on our machines accepts them with RUSTC_BOOTSTRAP=1.
export RUSTC_BOOTSTRAP=1

echo "== fuzz: build (release, debug assertions, AddressSanitizer)"
start=$SECONDS
cargo fuzz build -O
echo "built in $((SECONDS - start)) s"

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

targets="$(cargo fuzz list)"
if [[ -z "$targets" ]]; then
    echo "== fuzz: no targets found" >&2
    exit 1
fi

failed=()
for target in $targets; do
    echo "== fuzz: $target for ${seconds} s"
    corpus="$scratch/$target"
    mkdir -p "$corpus"
    cp fuzz/corpus/"$target"/seed-* "$corpus"/
    log="$scratch/$target.log"
    if cargo fuzz run -O "$target" "$corpus" -- \
        -max_total_time="$seconds" \
        -rss_limit_mb=512 \
        -malloc_limit_mb=64 \
        -timeout=10 \
        -max_len=8192 \
        -print_final_stats=1 >"$log" 2>&1; then
        grep -E '^Done [0-9]+ runs|^stat::number_of_executed_units' "$log" || true
    else
        failed+=("$target")
        # The panic message, the crashing input and the reproduce command.
        tail -n 60 "$log"
    fi
done

if ((${#failed[@]})); then
    echo "== fuzz: FAILED: ${failed[*]}"
    exit 1
fi
echo "== fuzz: all targets ran clean"
