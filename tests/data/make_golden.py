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

# container/*: the object container (docs/format/container.md). One payload; buffers as
# (raw bytes, metadata). v1_none.bin stores them uncompressed at the alignments below;
# v1_mixed.bin stores buffer i with CODECS[i] (none at 4096, compressed ones packed).
CONTAINER_PAYLOAD = b"\x80\x05an opaque in-band payload (a pickle stream, say)"
CONTAINER_BUFFERS = [
    (bytes(range(256)), b"|u1 (256,)"),
    (b"", b""),
    (b"segpack " * 40, b"text"),
    (struct.pack("<4d", 1.0, -2.5, 3.25, 1e300), b"<f8 (4,)"),
    (b"\x00" * 1000, b"zeros"),
]
CONTAINER_NONE_ALIGNMENTS = [4096, 64, 16, 1, 8]
CONTAINER_MAGIC = b"\x89SPKOBJ\n"

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

CONTAINER_FILES = ["container/v1_none.bin", "container/v1_mixed.bin"]

ALL_FILES = (
    [mapbuffer_file(v, c) for v in VERSIONS for c in CODECS]
    + [PEER_FILE, INTMAP_FILE]
    + SEGMENT_FILES
    + CONTAINER_FILES
)


def table_records(segments):
    """Segment records as documented: u64 offset, u64 length, native order (little-endian here)."""
    return b"".join(struct.pack("<QQ", off, length) for off, length in segments)


# ---- writers -------------------------------------------------------------------------------------


def container_bytes(buffers, payload, crc32c, flags=0):
    """A container written from docs/format/container.md, not by segpack's writer.

    buffers: (raw, stored, codec index, alignment, metadata) each; crc32c: a CRC-32C function.
    """
    pos = 64 + len(payload)
    body = b""
    entries = b""
    metas = b""
    for raw, stored, codec, align, meta in buffers:
        off = (pos + align - 1) // align * align
        body += b"\0" * (off - pos) + stored
        log2 = align.bit_length() - 1
        entries += struct.pack(
            "<QQQIIBBHI", off, len(stored), len(raw), crc32c(raw), len(meta), codec, log2, 0, 0
        )
        metas += meta
        pos = off + len(stored)
    table = entries + metas
    table += struct.pack("<I", crc32c(table))
    file_length = pos + len(table)
    header = CONTAINER_MAGIC + struct.pack(
        "<HHIQQQQQI", 1, flags, len(buffers), file_length, 64, len(payload), pos, len(table), crc32c(payload)
    )
    header += struct.pack("<I", crc32c(header))
    return header + payload + body + table


def container_files():
    """The container golden files, as {relative path: bytes}."""
    import segpack

    none = [
        (raw, raw, 0, align, meta) for (raw, meta), align in zip(CONTAINER_BUFFERS, CONTAINER_NONE_ALIGNMENTS)
    ]
    mixed = []
    for i, (raw, meta) in enumerate(CONTAINER_BUFFERS):
        codec = CODECS[i]
        stored = raw if codec == "none" else segpack.compress(raw, codec)
        mixed.append((raw, bytes(stored), i, 4096 if codec == "none" else 1, meta))
    return {
        "container/v1_none.bin": container_bytes(none, CONTAINER_PAYLOAD, segpack.crc32c),
        "container/v1_mixed.bin": container_bytes(mixed, CONTAINER_PAYLOAD, segpack.crc32c),
    }


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
    files.update(container_files())
    assert sorted(files) == sorted(ALL_FILES)
    for rel in ALL_FILES:
        path = HERE / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files[rel])
        print(f"{len(files[rel]):6d}  tests/data/{rel}")


if __name__ == "__main__":
    main()
