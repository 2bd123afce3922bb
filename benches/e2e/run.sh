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
#   actix-ours-csrf actix-ours with the CsrfMiddleware (tokens required);
#                   not in the default list: SERVERS="actix-ours-csrf ..."
# each a release binary on 127.0.0.1, loaded by wrk with a cookie taken from
# the server's own /login first. Every server runs ROUNDS times, the order
# reversed each round; prints one markdown table, then ours against the
# best peer of its framework per path (issue 26's targets). Not run by
# `cargo bench`.
#
#   bash benches/e2e/run.sh
#   DURATION=5s CONNECTIONS=64 THREADS=2 ROUNDS=2 PORT=38080 bash benches/e2e/run.sh
#   SERVERS="ours jar tower-sessions none" ROUNDS=4 bash benches/e2e/run.sh
#   INSTRUCTIONS=1 bash benches/e2e/run.sh   # also: each server under callgrind,
#                                            # user-space instructions per request
#   PIN=1 THREADS=1 bash benches/e2e/run.sh  # the server on CPU 0, wrk on CPU 1
#
# PIN=1 keeps the load generator off the server's CPU (`taskset`): without
# it, on a small machine, wrk and the server share every CPU and each
# request's server work is diluted by wrk's own (a server twice as fast
# does not get twice the req/s). Pinned, the server is the bottleneck, as
# behind a real load balancer; its frameworks then run one worker each
# (tokio and actix-web size their pools by the CPUs they may use).
#
# Issue 25, revocation through Redis: PATHS picks the endpoints (`/` and
# `/bump` read, increment and write back; `/read` only reads; every
# server serves all three), and any server
# that needs Redis (ours-redis, ours-replica, tower-sessions-redis) makes the
# script start one local redis-server on REDIS_PORT, shared by all of them:
#
#   SERVERS="none ours ours-redis ours-replica tower-sessions-redis" \
#     PATHS="/read /bump" ROUNDS=4 bash benches/e2e/run.sh
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
PIN=${PIN:-0}
server_pin=()
wrk_pin=()
if [ "$PIN" = 1 ]; then
    [ "$(nproc)" -ge 2 ] || { echo "PIN=1 needs two CPUs" >&2; exit 2; }
    server_pin=(taskset -c 0)
    wrk_pin=(taskset -c 1)
fi
# A subset for a longer, focused run: SERVERS="ours jar tower-sessions none".
# `ours` and `none` must be in it (the ratios are taken against them).
read -r -a SERVERS <<<"${SERVERS:-ours jar tower-sessions none actix-ours actix-session actix-none}"
has_server() { [[ " ${SERVERS[*]} " == *" $1 "* ]]; }
has_server ours && has_server none || { echo "SERVERS must include ours and none" >&2; exit 2; }
read -r -a PATHS <<<"${PATHS:-/}"
REDIS_PORT=${REDIS_PORT:-38379}
needs_redis=0
for s in "${SERVERS[@]}"; do [[ $s == *redis* || $s == ours-replica ]] && needs_redis=1; done

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
redis_pid=""
stop_server() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}
stop_all() {
    stop_server
    if [ -n "$redis_pid" ]; then
        kill "$redis_pid" 2>/dev/null || true
        wait "$redis_pid" 2>/dev/null || true
        redis_pid=""
    fi
}
trap stop_all EXIT INT TERM

if [ "$needs_redis" = 1 ]; then
    command -v redis-server >/dev/null || { echo "redis-server is needed (apt-get install redis-server)" >&2; exit 1; }
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no >/dev/null &
    redis_pid=$!
    for _ in $(seq 50); do
        redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
        sleep 0.1
    done
    redis-cli -p "$REDIS_PORT" ping >/dev/null || { echo "redis-server did not start" >&2; exit 1; }
    export E2E_REDIS_URL="redis://127.0.0.1:${REDIS_PORT}/"
    echo "redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') on port $REDIS_PORT" >&2
fi

start_server() {
    "${server_pin[@]}" "$bin" "$1" "$PORT" >/dev/null &
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
    local server=$1 round=$2 path=$3 cookie header=() out want row="$1"
    if [ "${#PATHS[@]}" -gt 1 ] || [ "$3" != / ]; then row="$1 $3"; fi
    start_server "$server"
    cookie=$(login_cookie)
    if [[ $server != none && $server != *-none ]] && [ -z "$cookie" ]; then
        echo "server '$server' set no cookie on /login" >&2
        exit 1
    fi
    [ -n "$cookie" ] && header=(-H "Cookie: $cookie")
    # The handler must see the session: 200 and the counter incremented.
    want=$'Ada Lovelace 1\n 200'
    [ "$path" = /read ] && want=$'Ada Lovelace 0\n 200'
    out=$(curl -s -w ' %{http_code}' "${header[@]}" "$url$path")
    if [ "$out" != "$want" ]; then
        echo "server '$server' answered '$out' with the login cookie" >&2
        exit 1
    fi
    timeout "$wrk_seconds" "${wrk_pin[@]}" wrk -t "$THREADS" -c "$CONNECTIONS" -d "$WARMUP" "${header[@]}" "$url$path" >/dev/null
    local ticks
    ticks=$(cpu_ticks "$server_pid")
    out=$(timeout "$wrk_seconds" "${wrk_pin[@]}" wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --latency "${header[@]}" "$url$path")
    ticks=$(( $(cpu_ticks "$server_pid") - ticks ))
    stop_server
    if grep -q -E 'Non-2xx|Socket errors' <<<"$out"; then
        echo "wrk against '$server' saw errors:" >&2
        echo "$out" >&2
        exit 1
    fi
    rps[$row,$round]=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")
    p99[$row,$round]=$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
    # The server's CPU time per request (user + system, µs): less sensitive
    # than req/s to whatever else runs on the machine.
    cpu[$row,$round]=$(awk -v t="$ticks" -v hz="$clk_tck" '/ requests in / { printf "%.1f", t / hz * 1e6 / $1 }' <<<"$out")
    echo "round $round  $(printf '%-26s' "$row") ${rps[$row,$round]} req/s  p99 ${p99[$row,$round]} ms  server CPU ${cpu[$row,$round]} µs/req" >&2
}

order=("${SERVERS[@]}")
for round in $(seq "$ROUNDS"); do
    for server in "${order[@]}"; do
        for path in "${PATHS[@]}"; do
            run_one "$server" "$round" "$path"
        done
    done
    # Alternate the order so no server always runs first (or last).
    reversed=()
    for ((i = ${#order[@]} - 1; i >= 0; i--)); do reversed+=("${order[i]}"); done
    order=("${reversed[@]}")
done

commit=$(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown)
echo
pinned=""
[ "$PIN" = 1 ] && pinned=", the server pinned to CPU 0 and wrk to CPU 1"
echo "wrk -t $THREADS -c $CONNECTIONS -d $DURATION --latency (after a $WARMUP warm-up), paths ${PATHS[*]}, $ROUNDS rounds in alternating order$pinned, commit $commit, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs"
echo
header="| server |"
rule="|---|"
for round in $(seq "$ROUNDS"); do
    header+=" req/s ($round) | p99 ms ($round) | CPU µs/req ($round) |"
    rule+="---:|---:|---:|"
done
echo "$header mean req/s | req/s ÷ none | req/s ÷ ours |"
echo "$rule---:|---:|---:|"
# One row per server and path; the ratios against none and ours on the
# same path.
rows=()
for server in "${SERVERS[@]}"; do
    for path in "${PATHS[@]}"; do
        if [ "${#PATHS[@]}" -gt 1 ] || [ "$path" != / ]; then rows+=("$server $path"); else rows+=("$server"); fi
    done
done
suffix() { [[ $1 == *" "* ]] && echo " ${1#* }" || echo ""; }
declare -A mean
for row in "${rows[@]}"; do
    sum=0
    for round in $(seq "$ROUNDS"); do sum=$(( sum + ${rps[$row,$round]} )); done
    mean[$row]=$(( sum / ROUNDS ))
done
for row in "${rows[@]}"; do
    line="| $row |"
    for round in $(seq "$ROUNDS"); do
        line+=" ${rps[$row,$round]} | ${p99[$row,$round]} | ${cpu[$row,$round]} |"
    done
    sfx=$(suffix "$row")
    line+=" ${mean[$row]} | $(awk -v a="${mean[$row]}" -v b="${mean[none$sfx]}" 'BEGIN { printf "%.2f", a / b }') |"
    line+=" $(awk -v a="${mean[$row]}" -v b="${mean[ours$sfx]}" 'BEGIN { printf "%.2f", a / b }') |"
    echo "$line"
done

# Issue 25: the revocation stores against our layer without revocation
# and against tower-sessions with its Redis store, per path.
if has_server ours-replica && has_server tower-sessions-redis; then
echo
echo "| path | ours-replica ÷ ours (≥ 0.9) | ours-replica ÷ tower-sessions-redis (≥ 1.3) | ours-redis ÷ ours | ours-redis ÷ tower-sessions-redis |"
echo "|---|---:|---:|---:|---:|"
for path in "${PATHS[@]}"; do
    sfx=""
    if [ "${#PATHS[@]}" -gt 1 ] || [ "$path" != / ]; then sfx=" $path"; fi
    ratio() { awk -v a="${mean[$1$sfx]:-0}" -v b="${mean[$2$sfx]}" 'BEGIN { printf "%.2f", a / b }'; }
    echo "| $path | $(ratio ours-replica ours) | $(ratio ours-replica tower-sessions-redis) | $(ratio ours-redis ours) | $(ratio ours-redis tower-sessions-redis) |"
done
fi

# Issue 26: ours against the best peer of its framework, per path: mean
# req/s (target: at least 1.15x), mean server CPU per request (target: the
# least), and the p99 range over the rounds beside them.
mean_cpu() {
    local row=$1 round sum=0
    for round in $(seq "$ROUNDS"); do sum=$(awk -v a="$sum" -v b="${cpu[$row,$round]}" 'BEGIN { print a + b }'); done
    awk -v a="$sum" -v n="$ROUNDS" 'BEGIN { printf "%.1f", a / n }'
}
p99_range() {
    local row=$1 round lo="" hi=""
    for round in $(seq "$ROUNDS"); do
        v=${p99[$row,$round]}
        if [ -z "$lo" ] || awk -v a="$v" -v b="$lo" 'BEGIN { exit !(a < b) }'; then lo=$v; fi
        if [ -z "$hi" ] || awk -v a="$v" -v b="$hi" 'BEGIN { exit !(a > b) }'; then hi=$v; fi
    done
    echo "$lo–$hi"
}
printed_header=0
for framework in axum actix-web; do
    if [ "$framework" = axum ]; then ours=ours; peers=(jar tower-sessions); else ours=actix-ours; peers=(actix-session); fi
    has_server "$ours" || continue
    for path in "${PATHS[@]}"; do
        sfx=""
        if [ "${#PATHS[@]}" -gt 1 ] || [ "$path" != / ]; then sfx=" $path"; fi
        best="" least_cpu=""
        for peer in "${peers[@]}"; do
            has_server "$peer" || continue
            if [ -z "$best" ] || [ "${mean[$peer$sfx]}" -gt "${mean[$best$sfx]}" ]; then best=$peer; fi
            c=$(mean_cpu "$peer$sfx")
            if [ -z "$least_cpu" ] || awk -v a="$c" -v b="$least_cpu" 'BEGIN { exit !(a < b) }'; then least_cpu=$c; fi
        done
        [ -n "$best" ] || continue
        if [ "$printed_header" = 0 ]; then
            echo
            echo "| framework | path | ours req/s | best peer | its req/s | ours ÷ best peer (≥ 1.15) | ours CPU µs/req | least peer CPU µs/req | ours p99 ms | best peer p99 ms |"
            echo "|---|---|---:|---|---:|---:|---:|---:|---|---|"
            printed_header=1
        fi
        echo "| $framework | $path | ${mean[$ours$sfx]} | $best | ${mean[$best$sfx]} | $(awk -v a="${mean[$ours$sfx]}" -v b="${mean[$best$sfx]}" 'BEGIN { printf "%.2f", a / b }') | $(mean_cpu "$ours$sfx") | $least_cpu | $(p99_range "$ours$sfx") | $(p99_range "$best$sfx") |"
    done
done

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
