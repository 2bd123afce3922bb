#!/usr/bin/env python3
"""Turns criterion's estimates into the markdown tables of BENCHMARKS.md.

    cargo bench --bench serialization --bench sessions
    python3 benches/report.py [target/criterion]

Reads the median of every benchmark (`<group>/<bench>/new/estimates.json`)
and prints medians, ratios to the floor and to the baseline, and the medium
fixture's targets. Standard library only.
"""

import json
import os
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join("target", "criterion")
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
    print("| fixture | op | ours | baseline | floor | floor+typed | ours / floor | ours / baseline | baseline / ours |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for fx in FIXTURES:
        for op in ["save", "load"]:
            g = f"{op}-{fx}"
            ours, base, floor, typed = (median(g, b) for b in ["ours", "baseline", "floor", "floor-typed"])
            print(
                f"| {fx} | {op} | {fmt(ours)} | {fmt(base)} | {fmt(floor)} | {fmt(typed)} "
                f"| {ratio(ours, floor)} | {ratio(ours, base)} | {ratio(base, ours)} |"
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
    s = {b: median("save-medium", b) for b in ["ours", "baseline", "floor"]}
    l = {b: median("load-medium", b) for b in ["ours", "baseline", "floor"]}
    r1, r16 = median("rotation-medium", "1-keys"), median("rotation-medium", "16-keys")

    def row(name, value, limit, better):
        if value is None:
            print(f"| {name} | – | {limit} | – |")
            return
        ok = value <= limit if better == "le" else value >= limit
        sign = "≤" if better == "le" else "≥"
        print(f"| {name} | {value:.2f}x | {sign} {limit}x | {'met' if ok else '**missed**'} |")

    print("| target (medium) | measured | target | |")
    print("|---|---:|---:|---|")
    if None not in s.values() and None not in l.values():
        row("save / floor", s["ours"] / s["floor"], 1.3, "le")
        row("load / floor", l["ours"] / l["floor"], 1.3, "le")
        row("save speed-up over baseline", s["baseline"] / s["ours"], 3, "ge")
        row("load speed-up over baseline", l["baseline"] / l["ours"], 2, "ge")
    if r1 and r16:
        row("rotation: 16 keys / 1 key", r16 / r1, 1.1, "le")


for title, table in [
    ("Save and load", round_trips),
    ("Rotation", rotation),
    ("Nonce generation", nonce),
    ("Serialization", serialization),
    ("Targets", targets),
]:
    print(f"### {title}\n")
    table()
    print()
