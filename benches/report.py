#!/usr/bin/env python3
"""Turns criterion's estimates into the markdown tables of BENCHMARKS.md.

    CRITERION_HOME=/tmp/crit cargo bench --bench serialization --bench sessions
    python3 benches/report.py [/tmp/crit]

Reads the median of every benchmark (`<group>/<bench>/new/estimates.json`,
so every figure comes from the last run of each benchmark: run the groups
together) and prints medians, ratios to the floors and of the baselines to
ours, and issue 14's targets. Without an argument it reads
`$CRITERION_HOME`, else `$CARGO_TARGET_DIR/criterion`, else
`target/criterion`. Standard library only.
"""

import json
import os
import sys

ROOT = (
    sys.argv[1]
    if len(sys.argv) > 1
    else os.environ.get("CRITERION_HOME")
    or os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "criterion")
)
FIXTURES = ["small", "medium", "large"]


def median(group, bench):
    path = os.path.join(ROOT, group, bench, "new", "estimates.json")
    try:
        with open(path) as f:
            return json.load(f)["median"]["point_estimate"]  # nanoseconds
    except FileNotFoundError:
        return None


def fmt(ns):
    if ns is None:
        return "–"
    if ns < 1000:
        return f"{ns:.0f} ns"
    return f"{ns / 1000:.2f} µs"


def ratio(a, b):
    if a is None or b is None:
        return "–"
    return f"{a / b:.2f}x"


def round_trips():
    """Issue 14's table: every contender's median and the ratios that the
    targets are stated in. `floor` opens with no nonce, so on load it is
    also `floor-os`."""
    print(
        "| op | size | ours | baseline (actix) | jar (axum-extra) | floor | floor-os | aead-only "
        "| ours ÷ floor | ours ÷ floor-os | baseline ÷ ours | jar ÷ ours |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for op in ["save", "load"]:
        for fx in FIXTURES:
            g = f"{op}-{fx}"
            ours, base, jar, floor, aead = (
                median(g, b) for b in ["ours", "baseline", "jar", "floor", "aead-only"]
            )
            floor_os = median(g, "floor-os") if op == "save" else floor
            label = "load + get all" if op == "load" else op
            print(
                f"| {label} | {fx} | {fmt(ours)} | {fmt(base)} | {fmt(jar)} | {fmt(floor)} "
                f"| {fmt(floor_os)} | {fmt(aead)} | {ratio(ours, floor)} | {ratio(ours, floor_os)} "
                f"| {ratio(base, ours)} | {ratio(jar, ours)} |"
            )


def rotation():
    print("| fixture | `load`, 1 key | `load`, 16 keys (oldest fallback) | 16 / 1 |")
    print("|---|---:|---:|---:|")
    for fx in FIXTURES:
        one, sixteen = median(f"rotation-{fx}", "1-keys"), median(f"rotation-{fx}", "16-keys")
        print(f"| {fx} | {fmt(one)} | {fmt(sixteen)} | {ratio(sixteen, one)} |")


def nonce():
    print("| 24-byte nonce | median | vs getrandom |")
    print("|---|---:|---:|")
    os_rng = median("nonce", "getrandom")
    for b, label in [
        ("getrandom", "`getrandom::fill` (OS, what `seal` does)"),
        ("thread_rng", "`rand::rng()` (ThreadRng, ChaCha12, thread-local)"),
        ("chacha20_owned", "`ChaCha20Rng` held by the caller"),
    ]:
        t = median("nonce", b)
        print(f"| {label} | {fmt(t)} | {ratio(t, os_rng)} |")


def serialization():
    print("| fixture | op | postcard | serde_json | serde_json / postcard |")
    print("|---|---|---:|---:|---:|")
    for fx in FIXTURES:
        for op in ["encode", "decode"]:
            pc, js = median(f"{op}-{fx}", "postcard"), median(f"{op}-{fx}", "serde_json")
            print(f"| {fx} | {op} | {fmt(pc)} | {fmt(js)} | {ratio(js, pc)} |")


def targets():
    """Issue 14's targets, per size: faster than both baselines; save
    ≤ 1.25x floor-os; load ≤ 1.2x floor."""

    def row(name, value, limit, better):
        if value is None:
            print(f"| {name} | – | – | – |")
            return
        ok = value <= limit if better == "le" else value >= limit
        sign = "≤" if better == "le" else "≥"
        verdict = "met" if ok else f"**missed** by {abs(value / limit - 1) * 100:.1f} %"
        print(f"| {name} | {value:.2f}x | {sign} {limit}x | {verdict} |")

    def quotient(a, b):
        return None if a is None or b is None else a / b

    print("| target | measured | target | |")
    print("|---|---:|---:|---|")
    for fx in FIXTURES:
        s = {b: median(f"save-{fx}", b) for b in ["ours", "baseline", "jar", "floor-os"]}
        l = {b: median(f"load-{fx}", b) for b in ["ours", "baseline", "jar", "floor"]}
        row(f"{fx} save: baseline ÷ ours", quotient(s["baseline"], s["ours"]), 1, "ge")
        row(f"{fx} save: jar ÷ ours", quotient(s["jar"], s["ours"]), 1, "ge")
        row(f"{fx} save: ours ÷ floor-os", quotient(s["ours"], s["floor-os"]), 1.25, "le")
        row(f"{fx} load: baseline ÷ ours", quotient(l["baseline"], l["ours"]), 1, "ge")
        row(f"{fx} load: jar ÷ ours", quotient(l["jar"], l["ours"]), 1, "ge")
        row(f"{fx} load: ours ÷ floor", quotient(l["ours"], l["floor"]), 1.2, "le")


def nonce_cost():
    """What the decision (a fresh OS nonce on every seal) costs here."""
    print("| size | floor-os − floor (save) | getrandom − chacha20 (24 B) |")
    print("|---|---:|---:|")
    g, c = median("nonce", "getrandom"), median("nonce", "chacha20_owned")
    direct = fmt(g - c) if g is not None and c is not None else "–"
    for fx in FIXTURES:
        a, b = median(f"save-{fx}", "floor-os"), median(f"save-{fx}", "floor")
        print(f"| {fx} | {fmt(a - b) if a is not None and b is not None else '–'} | {direct} |")


for title, table in [
    ("Save and load", round_trips),
    ("Rotation", rotation),
    ("Nonce generation", nonce),
    ("What the OS nonce costs", nonce_cost),
    ("Serialization", serialization),
    ("Targets", targets),
]:
    print(f"### {title}\n")
    table()
    print()
