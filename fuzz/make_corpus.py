"""Regenerates the seed corpus of fuzz/corpus/ from segpack itself.

Seeds are small valid files of every codec and version plus a few known-bad
ones; libFuzzer mutates from there. Run: .venv/bin/python fuzz/make_corpus.py
"""
import os
import struct

import segpack

HERE = os.path.dirname(os.path.abspath(__file__))


def write(kind, name, data):
    d = os.path.join(HERE, "corpus", kind)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(bytes(data))


def main():
    sample = {3: b"", 1: b"hello", 2: b"world!", 2**64 - 1: b"max" * 10, 0: bytes(range(40))}
    for codec in (None, "gzip", "br", "zstd", "lzma"):
        for crc in (True, False):
            b = segpack.MapBuffer(sample, compress=codec, compute_crc=crc).tobytes()
            write("mapbuffer", f"{codec or 'none'}_v{int(crc)}.bin", b)
    write("mapbuffer", "empty.bin", segpack.MapBuffer({}).tobytes())
    good = bytearray(segpack.MapBuffer(sample).tobytes())
    bad = bytearray(good)
    bad[12:16] = struct.pack("<I", 0xFFFFFFFF)
    write("mapbuffer", "huge_count.bin", bad)
    bad = bytearray(good)
    bad[16 + 8 : 16 + 16] = struct.pack("<Q", 2**64 - 1)
    write("mapbuffer", "offset_overflow.bin", bad)
    write("mapbuffer", "truncated.bin", good[: len(good) // 2])
    im = segpack.IntMap({1: 2, 3: 4, 2**64 - 1: 5, 0: 0}).tobytes()
    write("intmap", "small.bin", im)
    write("intmap", "empty.bin", segpack.IntMap({}).tobytes())
    write("intmap", "truncated.bin", bytes(im)[:-3])
    write("intmap", "trailing.bin", bytes(im) + b"\0")


if __name__ == "__main__":
    main()
