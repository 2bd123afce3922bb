#!/usr/bin/env python3
"""Independent re-implementation of the session value fingerprint
(src/fingerprint.rs) for the golden values its unit test freezes:
`python3 tools/fingerprint_golden.py` prints them.

A value's shape is a set of 64-bit entries, one per node: FNV-1a 64 over
(path hash, kind tag, u32 LE length, extra bytes). Struct fields hang at
FNV(path, u32 LE index) then (tag 106, len, name). The sorted, deduplicated
entries are FNV-1a hashed as u64 LE, passed through murmur3's fmix64, and the
low 4 bytes (LE) are the fingerprint.
"""
M=(1<<64)-1
OFF=0xcbf29ce484222325; P=0x100000001b3
def fnv(h,b):
    for x in b: h=((h^x)*P)&M
    return h
def seg(h,tag,b): return fnv(fnv(fnv(h,[tag]),len(b).to_bytes(4,'little')),b)
def field(h,i,name): return seg(fnv(h,i.to_bytes(4,'little')),106,name)
def finish(es):
    h=OFF
    for e in sorted(set(es)): h=fnv(h,e.to_bytes(8,'little'))
    z=h
    z=((z^(z>>33))*0xff51afd7ed558ccd)&M
    z=((z^(z>>33))*0xc4ceb9fe1a85ec53)&M
    z^=z>>33
    return list(z.to_bytes(8,'little')[:4])
print("u64", finish([seg(OFF,10,b'')]))
print("str", finish([seg(OFF,15,b'')]))
print("User { id: u64, name: String }", finish([seg(OFF,23,b''), seg(field(OFF,0,b'id'),10,b''), seg(field(OFF,1,b'name'),15,b'')]))
