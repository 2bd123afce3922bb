#!/usr/bin/env bash
# The README's code, as a newcomer pastes it (issue 23): every ```rust block
# of README.md must compile as src/main.rs of a fresh crate whose
# [dependencies] are exactly the README's ```toml [dependencies] block(s),
# with `sealed-session` taken from this checkout (its features kept).
#
#   bash tools/readme-paste-check.sh [README.md]
#
# - One `cargo build` per block, in one fresh crate under a temporary
#   directory; CARGO_TARGET_DIR is respected (set it to reuse builds), else
#   the build goes to target/readme-paste-check/ of this checkout.
# - The dependencies are resolved afresh from crates.io, as a new user's
#   would be: the checkout's Cargo.lock is not used.
# - A block is Rust when rustdoc would test it: a bare ``` or an info string
#   that names `rust` or holds only rustdoc's attributes (`no_run`, ...).
#   ```rust,ignore opts a block out (it is listed); ```rust,compile_fail
#   must fail to build.
# - A doctest-hidden line in a Rust block (`# ` or a lone `#`, after leading
#   whitespace; `#[...]` and `#![...]` are attributes) fails the check:
#   GitHub and crates.io show those lines, so the block is not what compiles.
# Any failure fails the script, naming the block by its README line and its
# first line; every block is tried before the script exits.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
readme="$(realpath "${1:-$root/README.md}")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target/readme-paste-check}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Split the README: $work/crate/Cargo.toml, $work/blocks/NNN.rs and a
# tab-separated $work/blocks/index (file, mode, README line, first line).
python3 - "$readme" "$root" "$work" <<'PY'
import os
import re
import sys
import tomllib

readme, root, work = sys.argv[1:4]
readme_name = os.path.basename(readme)
text = open(readme, encoding="utf-8").read().split("\n")

# Rustdoc's code block attributes: a fence whose info string has only these
# (or nothing) is a Rust doctest.
ATTRIBUTES = {
    "rust", "ignore", "no_run", "should_panic", "compile_fail", "test_harness",
    "standalone_crate",
}

def is_rust(info):
    tokens = [t for t in re.split(r"[\s,]+", info) if t]
    return "rust" in tokens or all(
        t in ATTRIBUTES or re.fullmatch(r"edition\d{4}", t) or t.startswith("ignore-")
        for t in tokens
    )

blocks = []  # (first README line, info, lines)
fence = None
for number, line in enumerate(text, 1):
    stripped = line.lstrip()
    if fence is None:
        m = re.match(r"(`{3,}|~{3,})(.*)$", stripped)
        if m:
            fence = (m.group(1), m.group(2).strip(), number, [])
    else:
        marker = fence[0]
        if stripped.startswith(marker) and stripped.strip() == marker[0] * len(stripped.strip()) \
                and len(stripped.strip()) >= len(marker):
            blocks.append(fence[1:])
            fence = None
        else:
            fence[3].append(line)
if fence is not None:
    sys.exit(f"{readme}:{fence[2]}: a code block is never closed")

errors = []

# [dependencies] from every ```toml block, merged; a crate listed twice
# must agree on everything but its features, which are combined.
deps = {}
for info, number, lines in blocks:
    if info.split(",")[0].strip() != "toml":
        continue
    try:
        doc = tomllib.loads("\n".join(lines))
    except tomllib.TOMLDecodeError as e:
        errors.append(f"{readme_name}:{number}: the toml block does not parse: {e}")
        continue
    for name, spec in doc.get("dependencies", {}).items():
        spec = {"version": spec} if isinstance(spec, str) else dict(spec)
        if name in deps:
            old = deps[name]
            features = sorted(set(old.get("features", [])) | set(spec.get("features", [])))
            rest_old = {k: v for k, v in old.items() if k != "features"}
            rest_new = {k: v for k, v in spec.items() if k != "features"}
            if rest_old != rest_new:
                errors.append(
                    f"{readme_name}:{number}: {name} is listed twice, differently: "
                    f"{rest_old} and {rest_new}"
                )
            spec = dict(rest_old, features=features) if features else rest_old
        deps[name] = spec

if not deps:
    errors.append(f"{readme_name}: no ```toml block with a [dependencies] table")
elif "sealed-session" not in deps:
    errors.append(f"{readme_name}: the [dependencies] do not list sealed-session")
else:
    # This checkout instead of crates.io; features and default-features kept.
    spec = deps["sealed-session"]
    for key in ("version", "git", "branch", "tag", "rev", "registry"):
        spec.pop(key, None)
    spec["path"] = root

def value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f'"{k}" = {value(x)}' for k, x in v.items()) + " }"
    raise TypeError(v)

crate = os.path.join(work, "crate")
os.makedirs(os.path.join(crate, "src"))
with open(os.path.join(crate, "Cargo.toml"), "w") as f:
    f.write('[package]\nname = "readme-paste"\nversion = "0.0.0"\nedition = "2024"\n'
            "publish = false\n\n[workspace]\n\n[dependencies]\n")
    for name, spec in deps.items():
        f.write(f'"{name}" = {value(spec)}\n')

out = os.path.join(work, "blocks")
os.makedirs(out)
with open(os.path.join(out, "index"), "w") as index:
    count = 0
    for info, number, lines in blocks:
        if not is_rust(info):
            continue
        count += 1
        first = next((l.strip() for l in lines if l.strip()), "(empty block)")
        for offset, line in enumerate(lines, 1):
            t = line.strip()
            if t == "#" or t.startswith("# "):
                errors.append(
                    f"{readme_name}:{number + offset}: a doctest-hidden line in the block "
                    f"at line {number} ({first}): {line.strip()!r}; write the block "
                    "complete, as a reader would paste it"
                )
        tokens = set(t for t in re.split(r"[\s,]+", info) if t)
        mode = "ignore" if "ignore" in tokens else \
            "compile_fail" if "compile_fail" in tokens else "build"
        path = os.path.join(out, f"{count:03}.rs")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        index.write(f"{path}\t{mode}\t{number}\t{first}\n")
    if count == 0:
        errors.append(f"{readme_name}: no rust code block")

with open(os.path.join(work, "errors"), "w") as f:
    f.write("".join(e + "\n" for e in errors))
PY

failed=()
while IFS= read -r error; do
  failed+=("$error")
done <"$work/errors"

echo "readme-paste-check: $readme; dependencies:"
sed -n '/^\[dependencies\]/,$p' "$work/crate/Cargo.toml" | tail -n +2 | sed 's/^/  /'

while IFS=$'\t' read -r file mode line first; do
  label="$(basename "$readme"):$line ($first)"
  if [ "$mode" = ignore ]; then
    echo "-- $label: rust,ignore, not compiled"
    continue
  fi
  echo "-- $label"
  cp "$file" "$work/crate/src/main.rs"
  log="$work/build.log"
  if cargo build --quiet --manifest-path "$work/crate/Cargo.toml" >"$log" 2>&1; then
    built=yes
  else
    built=no
  fi
  if [ "$mode" = compile_fail ]; then
    if [ "$built" = yes ]; then
      failed+=("$label: a compile_fail block that compiles")
    fi
  elif [ "$built" = no ]; then
    sed 's/^/   | /' "$log" | tail -n 60
    failed+=("$label: does not compile as pasted")
  fi
done <"$work/blocks/index"

if ((${#failed[@]})); then
  echo "readme-paste-check: FAILED" >&2
  printf '  %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "readme-paste-check: every rust block compiles as pasted"
