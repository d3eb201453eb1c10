"""Writes the golden files under tests/data/ (see tests/data/README.md).

Run from the repository root after `make build-py`:

    .venv/bin/python tests/data/make_golden.py

Regenerate only when a format gains a version or a codec (add files, never rewrite the old ones
to make a failing test pass), or when the sample content below changes on purpose; then update
the GoogleTest copy of the content in tests/cpp/golden_test.cc and commit both.

tests/python/test_golden.py imports this module for the sample content and the file list.
"""

import pathlib
import struct
import sys

HERE = pathlib.Path(__file__).resolve().parent

# ---- the known content ---------------------------------------------------------------------------

# One map for every MapBuffer file: an empty value at key 0, short values, a compressible one,
# every byte value, and keys at 2^32, 2^63 and 2^64 - 1.
MAPBUFFER_CONTENT = {
    0: b"",
    1: b"hello",
    2: b"world!",
    3: b"segpack " * 40,
    2**32: bytes(range(256)),
    2**63: b"\x00" * 64,
    2**64 - 1: b"the largest key",
}

INTMAP_CONTENT = {
    0: 0,
    1: 2,
    3: 4,
    12345: 67890,
    2**32: 2**64 - 1,
    2**63: 1,
    2**64 - 1: 2**63,
}

CODECS = ["none", "gzip", "br", "zstd", "lzma"]
VERSIONS = [0, 1]

# segments/batch.*: the output of a batch decompression of the MapBuffer values in key order
# (one buffer, contiguous segments in item order).
BATCH_VALUES = [MAPBUFFER_CONTENT[k] for k in sorted(MAPBUFFER_CONTENT)]

# segments/table.*: a table that uses every freedom the records have: out of order, overlapping,
# a gap, a repeat, and zero-length segments inside the buffer and at its end.
TABLE_DATA = b"0123456789abcdefghij"
TABLE_SEGMENTS = [(10, 5), (0, 4), (2, 6), (0, 4), (7, 0), (19, 1), (20, 0)]

# The file written by the mapbuffer package itself (the compatibility reference).
PEER_CODEC = "br"
PEER_FILE = "mapbuffer/mapbuffer-1.2.0_v1_br.bin"


def mapbuffer_file(version, codec):
    return f"mapbuffer/v{version}_{codec}.bin"


INTMAP_FILE = "intmap/v0.bin"
SEGMENT_FILES = [
    "segments/batch.data",
    "segments/batch.records",
    "segments/table.data",
    "segments/table.records",
]

ALL_FILES = (
    [mapbuffer_file(v, c) for v in VERSIONS for c in CODECS] + [PEER_FILE, INTMAP_FILE] + SEGMENT_FILES
)


def table_records(segments):
    """Segment records as documented: u64 offset, u64 length, native order (little-endian here)."""
    return b"".join(struct.pack("<QQ", off, length) for off, length in segments)


# ---- writers -------------------------------------------------------------------------------------


def segpack_files():
    """Every file but the mapbuffer package's, as {relative path: bytes}."""
    import segpack

    out = {}
    for version in VERSIONS:
        for codec in CODECS:
            mb = segpack.MapBuffer(MAPBUFFER_CONTENT, compress=codec, compute_crc=version == 1)
            out[mapbuffer_file(version, codec)] = bytes(mb.tobytes())
    out[INTMAP_FILE] = bytes(segpack.IntMap(INTMAP_CONTENT).tobytes())
    frames = [segpack.compress(v, "zstd") for v in BATCH_VALUES]
    (batch,) = segpack.multi_decompress_to_buffer(frames, threads=1).buffers()
    out["segments/batch.data"] = batch.tobytes()
    out["segments/batch.records"] = bytes(memoryview(batch.segments()))
    # Written from the documented layout, not by segpack: the tests check that segpack agrees.
    out["segments/table.data"] = TABLE_DATA
    out["segments/table.records"] = table_records(TABLE_SEGMENTS)
    return out


def peer_file():
    import mapbuffer

    return bytes(mapbuffer.MapBuffer(MAPBUFFER_CONTENT, compress=PEER_CODEC).tobytes())


def main():
    if sys.byteorder != "little":
        sys.exit("the segment records are native-endian: generate the golden files on a little-endian host")
    files = segpack_files()
    files[PEER_FILE] = peer_file()
    assert sorted(files) == sorted(ALL_FILES)
    for rel in ALL_FILES:
        path = HERE / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files[rel])
        print(f"{len(files[rel]):6d}  tests/data/{rel}")


if __name__ == "__main__":
    main()
