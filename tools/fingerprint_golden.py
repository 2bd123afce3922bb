#!/usr/bin/env python3
"""
mix(h, w) = rotl((h ^ w) * SEED, 29), one path step.
avalanche(z) = murmur3's fmix64.
A value's shape is a set of 64-bit entries, one per node:
  leaf/kind entry   word(path, kind, 0)          word(h, tag, n) = mix(h, tag | n << 8)
  struct field path named(path, 106, index, name)
  named(h, tag, n, name) = mix(h, tag | len << 8 | n << 32), then the name as
  zero-padded little-endian 8-byte words, each mixed in.
Fingerprint: the low 4 bytes (little-endian) of
  avalanche(sum(avalanche(e) for distinct e) ^ avalanche(count)), sums mod 2^64
(an entry of 0 counts as 1).
"""
M = (1 << 64) - 1
SEED = 0x9E3779B97F4A7C15
U64, STR, STRUCT = 10, 15, 23
FIELD = 106


def mix(h, w):
    z = ((h ^ w) * SEED) & M
    return ((z << 29) | (z >> 35)) & M


def avalanche(z):
    z = ((z ^ (z >> 33)) * 0xFF51AFD7ED558CCD) & M
    z = ((z ^ (z >> 33)) * 0xC4CEB9FE1A85EC53) & M
    return z ^ (z >> 33)


def word(h, tag, n):
    return mix(h, tag | (n << 8))


def named(h, tag, n, name):
    h = mix(h, tag | (len(name) << 8) | (n << 32))
    for i in range(0, len(name), 8):
        h = mix(h, int.from_bytes(name[i:i + 8].ljust(8, b"\0"), "little"))
    return h


def finish(entries):
    distinct = {max(e, 1) for e in entries}
    total = sum(avalanche(e) for e in distinct) & M
    return list(avalanche(total ^ avalanche(len(distinct))).to_bytes(8, "little")[:4])


root = SEED
print("u64", finish([word(root, U64, 0)]))
print("str", finish([word(root, STR, 0)]))
print("User { id: u64, name: String }", finish([
    word(root, STRUCT, 0),
    word(named(root, FIELD, 0, b"id"), U64, 0),
    word(named(root, FIELD, 1, b"name"), STR, 0),
]))
# A name longer than one word: `struct Stamp { created_at_unix_seconds: i64 }` (23 bytes).
print("Stamp { created_at_unix_seconds: i64 }", finish([
    word(root, STRUCT, 0),
    word(named(root, FIELD, 0, b"created_at_unix_seconds"), 5, 0),
]))
