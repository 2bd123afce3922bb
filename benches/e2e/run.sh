#!/usr/bin/env bash
# End-to-end HTTP benchmark (issue 14): the same axum handler (read a typed
# user and a counter from the session, increment, write back) behind
#   ours            sealed-session's SessionLayer
#   jar             axum-extra's PrivateCookieJar + serde_json
#   tower-sessions  tower-sessions + MemoryStore
#   none            no session at all
# and the same handler under actix-web 4 (issue 15) behind
#   actix-ours      sealed-session's actix SessionMiddleware + Session extractor
#   actix-session   actix-session's SessionMiddleware + CookieSessionStore
#   actix-none      no session at all
# each a release binary on 127.0.0.1, loaded by wrk with a cookie taken from
# the server's own /login first. Every server runs ROUNDS times, the order
# reversed each round; prints one markdown table, then actix-ours against
# actix-session round by round. Not run by `cargo bench`.
#
#   bash benches/e2e/run.sh
#   DURATION=5s CONNECTIONS=64 THREADS=2 ROUNDS=2 PORT=38080 bash benches/e2e/run.sh
#   SERVERS="ours jar tower-sessions none" ROUNDS=4 bash benches/e2e/run.sh
#   INSTRUCTIONS=1 bash benches/e2e/run.sh   # also: each server under callgrind,
#                                            # user-space instructions per request
#
# Loopback only; every wrk run is bounded by DURATION (and `timeout`), and
# the script stops every server it started, also on error or Ctrl-C.
set -euo pipefail

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-2}
PORT=${PORT:-38080}
# A subset for a longer, focused run: SERVERS="ours jar tower-sessions none".
# `ours` and `none` must be in it (the ratios are taken against them).
read -r -a SERVERS <<<"${SERVERS:-ours jar tower-sessions none actix-ours actix-session actix-none}"
has_server() { [[ " ${SERVERS[*]} " == *" $1 "* ]]; }
has_server ours && has_server none || { echo "SERVERS must include ours and none" >&2; exit 2; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
url="http://127.0.0.1:${PORT}"

if ! command -v wrk >/dev/null; then
    echo "wrk not found: installing Debian's package" >&2
    if [ "$(id -u)" = 0 ]; then
        apt-get install -y wrk >&2 || { apt-get update >&2 && apt-get install -y wrk >&2; }
    else
        sudo apt-get install -y wrk >&2
    fi
fi
command -v curl >/dev/null || { echo "curl is needed" >&2; exit 1; }

echo "building the servers (release)..." >&2
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
target_dir=$(cargo metadata --format-version 1 --no-deps --manifest-path "$here/Cargo.toml" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
bin="$target_dir/release/sealed-session-e2e"

server_pid=""
stop_server() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}
trap stop_server EXIT INT TERM

start_server() {
    "$bin" "$1" "$PORT" >/dev/null &
    server_pid=$!
    for _ in $(seq 50); do
        curl -s -o /dev/null "$url/login" && return 0
        sleep 0.1
    done
    echo "server '$1' did not start on $url" >&2
    exit 1
}

# `name=value` of the session cookie /login sets (nothing for `none`).
# Read from the headers, not a cookie jar: the cookies are `Secure` and this
# is plain HTTP on loopback.
login_cookie() {
    curl -s -D - -o /dev/null "$url/login" | tr -d '\r' |
        sed -n 's/^[Ss]et-[Cc]ookie: *\([^;]*\).*/\1/p' | head -n 1
}

# wrk's latency ("850.00us", "3.21ms", "1.02s") in milliseconds.
to_ms() {
    awk -v t="$1" 'BEGIN {
        if (t ~ /us$/) { sub(/us$/, "", t); printf "%.2f", t / 1000 }
        else if (t ~ /ms$/) { sub(/ms$/, "", t); printf "%.2f", t }
        else if (t ~ /m$/) { sub(/m$/, "", t); printf "%.2f", t * 60000 }
        else { sub(/s$/, "", t); printf "%.2f", t * 1000 }
    }'
}

declare -A rps p99 cpu
clk_tck=$(getconf CLK_TCK)

# User + system CPU time the server has used so far, in clock ticks.
cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/$1/stat"
}
wrk_seconds=$(( ${DURATION%s} + ${WARMUP%s} + 20 ))

run_one() {
    local server=$1 round=$2 cookie header=() out
    start_server "$server"
    cookie=$(login_cookie)
    if [[ $server != none && $server != *-none ]] && [ -z "$cookie" ]; then
        echo "server '$server' set no cookie on /login" >&2
        exit 1
    fi
    [ -n "$cookie" ] && header=(-H "Cookie: $cookie")
    # The handler must see the session: 200 and the counter incremented.
    out=$(curl -s -w ' %{http_code}' "${header[@]}" "$url/")
    if [ "$out" != $'Ada Lovelace 1\n 200' ]; then
        echo "server '$server' answered '$out' with the login cookie" >&2
        exit 1
    fi
    timeout "$wrk_seconds" wrk -t "$THREADS" -c "$CONNECTIONS" -d "$WARMUP" "${header[@]}" "$url/" >/dev/null
    local ticks
    ticks=$(cpu_ticks "$server_pid")
    out=$(timeout "$wrk_seconds" wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --latency "${header[@]}" "$url/")
    ticks=$(( $(cpu_ticks "$server_pid") - ticks ))
    stop_server
    if grep -q -E 'Non-2xx|Socket errors' <<<"$out"; then
        echo "wrk against '$server' saw errors:" >&2
        echo "$out" >&2
        exit 1
    fi
    rps[$server,$round]=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")
    p99[$server,$round]=$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
    # The server's CPU time per request (user + system, µs): less sensitive
    # than req/s to whatever else runs on the machine.
    cpu[$server,$round]=$(awk -v t="$ticks" -v hz="$clk_tck" '/ requests in / { printf "%.1f", t / hz * 1e6 / $1 }' <<<"$out")
    echo "round $round  $(printf '%-15s' "$server") ${rps[$server,$round]} req/s  p99 ${p99[$server,$round]} ms  server CPU ${cpu[$server,$round]} µs/req" >&2
}

order=("${SERVERS[@]}")
for round in $(seq "$ROUNDS"); do
    for server in "${order[@]}"; do
        run_one "$server" "$round"
    done
    # Alternate the order so no server always runs first (or last).
    reversed=()
    for ((i = ${#order[@]} - 1; i >= 0; i--)); do reversed+=("${order[i]}"); done
    order=("${reversed[@]}")
done

commit=$(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown)
echo
echo "wrk -t $THREADS -c $CONNECTIONS -d $DURATION --latency (after a $WARMUP warm-up), $ROUNDS rounds in alternating order, commit $commit, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs"
echo
header="| server |"
rule="|---|"
for round in $(seq "$ROUNDS"); do
    header+=" req/s ($round) | p99 ms ($round) | CPU µs/req ($round) |"
    rule+="---:|---:|---:|"
done
echo "$header mean req/s | req/s ÷ none | req/s ÷ ours |"
echo "$rule---:|---:|---:|"
declare -A mean
for server in "${SERVERS[@]}"; do
    sum=0
    for round in $(seq "$ROUNDS"); do sum=$(( sum + ${rps[$server,$round]} )); done
    mean[$server]=$(( sum / ROUNDS ))
done
for server in "${SERVERS[@]}"; do
    line="| $server |"
    for round in $(seq "$ROUNDS"); do
        line+=" ${rps[$server,$round]} | ${p99[$server,$round]} | ${cpu[$server,$round]} |"
    done
    line+=" ${mean[$server]} | $(awk -v a="${mean[$server]}" -v b="${mean[none]}" 'BEGIN { printf "%.2f", a / b }') |"
    line+=" $(awk -v a="${mean[$server]}" -v b="${mean[ours]}" 'BEGIN { printf "%.2f", a / b }') |"
    echo "$line"
done

# actix-web: our middleware against the actix-session cookie store it
# replaces, round by round (each pair measured minutes apart at most).
if has_server actix-ours && has_server actix-session; then
echo
echo "| actix-web | actix-ours req/s | actix-session req/s | req/s ours ÷ actix-session | actix-ours p99 ms | actix-session p99 ms | actix-ours CPU µs/req | actix-session CPU µs/req | CPU ours ÷ actix-session |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for round in $(seq "$ROUNDS"); do
    a=actix-ours,$round
    b=actix-session,$round
    echo "| round $round | ${rps[$a]} | ${rps[$b]} | $(awk -v a="${rps[$a]}" -v b="${rps[$b]}" 'BEGIN { printf "%.2f", a / b }') | ${p99[$a]} | ${p99[$b]} | ${cpu[$a]} | ${cpu[$b]} | $(awk -v a="${cpu[$a]}" -v b="${cpu[$b]}" 'BEGIN { printf "%.2f", a / b }') |"
done
echo "| mean | ${mean[actix-ours]} | ${mean[actix-session]} | $(awk -v a="${mean[actix-ours]}" -v b="${mean[actix-session]}" 'BEGIN { printf "%.2f", a / b }') | | | | | |"
fi

# Optional: user-space instructions per request, each server under callgrind
# (deterministic, unlike req/s on a shared machine); wrk with 1 thread and 4
# connections for IR_DURATION. Start-up (about 0.5 M instructions) is in the
# total and left in: it is under 1 % of any row.
if [ "${INSTRUCTIONS:-0}" = 1 ]; then
    if ! command -v valgrind >/dev/null; then
        echo "INSTRUCTIONS=1: SKIPPED, valgrind not found (apt-get install -y valgrind)" >&2
        exit 0
    fi
    IR_DURATION=${IR_DURATION:-4s}
    ir_dir=$(mktemp -d)
    echo
    echo "| server | requests (callgrind, wrk -t 1 -c 4 -d $IR_DURATION) | instructions per request | ÷ none |"
    echo "|---|---:|---:|---:|"
    declare -A ir
    for server in none ours jar tower-sessions; do
        has_server "$server" || continue
        valgrind --tool=callgrind --callgrind-out-file="$ir_dir/$server.out" "$bin" "$server" "$PORT" >/dev/null 2>&1 &
        server_pid=$!
        for _ in $(seq 100); do curl -s -o /dev/null "$url/login" && break; sleep 0.2; done
        cookie=$(login_cookie)
        header=()
        [ -n "$cookie" ] && header=(-H "Cookie: $cookie")
        out=$(timeout "$wrk_seconds" wrk -t 1 -c 4 -d "$IR_DURATION" "${header[@]}" "$url/")
        stop_server
        requests=$(awk '/ requests in / { print $1 }' <<<"$out")
        total=$(awk '/^(summary|totals):/ { print $2; exit }' "$ir_dir/$server.out")
        ir[$server]=$(( total / requests ))
        echo "| $server | $requests | ${ir[$server]} | $(awk -v a="${ir[$server]}" -v b="${ir[none]}" 'BEGIN { printf "%.2f", a / b }') |"
    done
    rm -rf "$ir_dir"
fi
