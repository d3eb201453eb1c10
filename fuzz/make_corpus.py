"""Regenerates the seed corpus of fuzz/corpus/ from segpack itself.

Seeds are small valid files of every codec and version plus a few known-bad
ones; libFuzzer mutates from there. container/ seeds are written from the
format document (tests/data/make_golden.py). segments/ and batch_decompress/ hold the
inputs of fuzz_segments.cc and fuzz_batch_decompress.cc (layouts described
there). Run: .venv/bin/python fuzz/make_corpus.py
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


def segments_seed(records, data):
    """fuzz_segments input: u16le record-bytes length, the records, the data."""
    rec = b"".join(struct.pack("=QQ", off, length) for off, length in records)
    return struct.pack("<H", len(rec)) + rec + data


def segments_corpus():
    text = b"hello world, segment buffers!"
    write("segments", "valid.bin", segments_seed([(0, 5), (6, 5), (13, 7)], text))
    write(
        "segments",
        "overlap_unsorted_gaps.bin",
        segments_seed([(20, 9), (0, 11), (6, 5), (6, 5), (28, 1)], text),
    )
    write("segments", "empty_segments.bin", segments_seed([(0, 0), (len(text), 0), (3, 0)], text))
    write("segments", "no_records.bin", segments_seed([], text))
    write("segments", "empty_data.bin", segments_seed([(0, 0)], b""))
    write("segments", "whole.bin", segments_seed([(0, len(text))], text))
    many = [((i * 7) % len(text), (i * 3) % (len(text) - (i * 7) % len(text) + 1)) for i in range(64)]
    write("segments", "many.bin", segments_seed(many, text))
    # python-zstandard's defect: offset + length wraps around u64.
    write("segments", "overflow.bin", segments_seed([(2**64 - 16, 19)], b"abc"))
    write("segments", "offset_max.bin", segments_seed([(0, 1), (2**64 - 1, 0)], b"abc"))
    write("segments", "length_max.bin", segments_seed([(0, 2**64 - 1)], b"abc"))
    write("segments", "past_end.bin", segments_seed([(0, 3), (1, 3)], b"abc"))
    rec = struct.pack("=QQ", 0, 1)
    write("segments", "not_multiple_of_16.bin", struct.pack("<H", 12) + rec[:12] + b"abc")


CODECS = [None, "gzip", "br", "zstd", "lzma"]  # fuzz_batch_decompress: first byte % 5


def batch_seed(codec, frames, flags=0):
    """fuzz_batch_decompress input: codec byte, flags byte, u16le-prefixed frames."""
    out = bytes([CODECS.index(codec), flags])
    for f in frames:
        out += struct.pack("<H", len(f)) + f
    return out


def batch_corpus():
    import zstandard

    texts = [b"alpha " * 20, b"", b"beta", bytes(range(256)), b"gamma delta " * 50]
    for codec in CODECS:
        name = codec or "none"
        frames = [segpack.compress(t, codec) for t in texts]
        write("batch_decompress", f"{name}_items.bin", batch_seed(codec, frames))
        write("batch_decompress", f"{name}_sizes.bin", batch_seed(codec, frames, flags=1))
        write("batch_decompress", f"{name}_wrong_size.bin", batch_seed(codec, frames, flags=0x23))
        write(
            "batch_decompress",
            f"{name}_empty_items.bin",
            batch_seed(codec, [segpack.compress(b"", codec)] * 3),
        )
        if codec is not None:
            good = segpack.compress(texts[4], codec)
            write(
                "batch_decompress",
                f"{name}_truncated.bin",
                batch_seed(codec, [frames[0], good[: len(good) // 2]]),
            )
            write(
                "batch_decompress", f"{name}_trailing.bin", batch_seed(codec, [good + b"GARBAGE!", frames[2]])
            )
            write("batch_decompress", f"{name}_empty_frame.bin", batch_seed(codec, [frames[0], b""]))
            # 2 MiB of zeros: over the fuzzer's 1 MiB budget.
            write(
                "batch_decompress",
                f"{name}_bomb.bin",
                batch_seed(codec, [segpack.compress(bytes(2 << 20), codec)]),
            )
    # zstd specifics: concatenated frames, no content size, a lying size,
    # a skippable frame.
    z = [segpack.compress(t, "zstd") for t in texts]
    no_size = zstandard.ZstdCompressor(write_content_size=False)
    write("batch_decompress", "zstd_concatenated.bin", batch_seed("zstd", [z[0] + z[2], z[4]]))
    write(
        "batch_decompress",
        "zstd_no_content_size.bin",
        batch_seed("zstd", [no_size.compress(t) for t in texts]),
    )
    write(
        "batch_decompress",
        "zstd_mixed_sizes.bin",
        batch_seed("zstd", [z[0], no_size.compress(texts[4]), z[3]], 1),
    )
    claim_1gib = bytes([0x28, 0xB5, 0x2F, 0xFD, 0x80, 0x00, 0x00, 0x00, 0x00, 0x40])
    for last in (0, 0, 1):
        hdr = (1024 << 3) | (1 << 1) | last  # RLE block of 1024 bytes
        claim_1gib += struct.pack("<I", hdr)[:3] + b"x"
    write("batch_decompress", "zstd_claims_1gib.bin", batch_seed("zstd", [z[0], claim_1gib]))
    skippable = struct.pack("<II", 0x184D2A50, 4) + b"skip"
    write("batch_decompress", "zstd_skippable.bin", batch_seed("zstd", [skippable, skippable + z[2]]))
    # gzip specifics: two members in one item, an ISIZE that lies.
    g = [segpack.compress(t, "gzip") for t in texts]
    write("batch_decompress", "gzip_two_members.bin", batch_seed("gzip", [g[0] + g[4], g[2]]))
    lie = bytearray(g[4])
    lie[-4:] = b"\xff\xff\xff\xff"
    write("batch_decompress", "gzip_isize_lie.bin", batch_seed("gzip", [g[0], bytes(lie)]))


def container_corpus():
    """Containers written from docs/format/container.md by tests/data/make_golden.py."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_golden", os.path.join(HERE, "..", "tests", "data", "make_golden.py")
    )
    golden = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(golden)
    for rel, data in golden.container_files().items():
        write("container", os.path.basename(rel), data)

    def build(buffers, payload=b"payload", flags=0):
        return golden.container_bytes(buffers, payload, segpack.crc32c, flags)

    raw = [b"alpha " * 20, b"", bytes(range(256))]
    write("container", "empty.bin", build([], b""))
    write("container", "aligned_4096.bin", build([(r, r, 0, 4096, b"m") for r in raw]))
    for i, codec in enumerate(CODECS):
        if codec is None:
            continue
        bufs = [(r, bytes(segpack.compress(r, codec)), i, 8, codec.encode()) for r in raw]
        write("container", f"{codec}.bin", build(bufs))
        # 2 MiB of zeros: over the fuzzer's 1 MiB decode budget.
        z = bytes(2 << 20)
        write("container", f"{codec}_bomb.bin", build([(z, bytes(segpack.compress(z, codec)), i, 1, b"")]))
    good = build([(r, r, 0, 16, b"meta") for r in raw])
    write("container", "truncated.bin", good[: len(good) // 2])
    write("container", "header_only.bin", good[:64])
    bad = bytearray(good)
    bad[-10] ^= 1  # the table (crc not fixed)
    write("container", "bad_table_crc.bin", bad)
    bad = bytearray(good)
    bad[64] ^= 1  # the payload
    write("container", "bad_payload_crc.bin", bad)
    # Header fields rewritten with a valid header crc: a huge count, overflowing offsets.
    for name, at, fmt, value in [
        ("huge_count.bin", 12, "<I", 0xFFFFFFFF),
        ("table_offset_overflow.bin", 40, "<Q", 2**64 - 3),
        ("payload_length_overflow.bin", 32, "<Q", 2**64 - 1),
        ("required_flag.bin", 10, "<H", 1),
        ("version_2.bin", 8, "<H", 2),
    ]:
        bad = bytearray(good)
        struct.pack_into(fmt, bad, at, value)
        struct.pack_into("<I", bad, 60, segpack.crc32c(bytes(bad[:60])))
        write("container", name, bad)
    # Table entries rewritten with a valid table crc: overlap, overflow, wrong raw size.
    table_off, table_len = struct.unpack_from("<QQ", good, 40)

    def with_entry(name, i, at, fmt, value):
        bad = bytearray(good)
        struct.pack_into(fmt, bad, table_off + 40 * i + at, value)
        body = bytes(bad[table_off : table_off + table_len - 4])
        struct.pack_into("<I", bad, table_off + table_len - 4, segpack.crc32c(body))
        write("container", name, bad)

    first = struct.unpack_from("<Q", good, table_off)[0]
    with_entry("overlap.bin", 2, 0, "<Q", first)
    with_entry("length_overflow.bin", 0, 8, "<Q", 2**64 - 8)
    with_entry("raw_differs.bin", 0, 16, "<Q", 7)
    with_entry("unknown_codec.bin", 1, 32, "<B", 200)
    with_entry("metadata_past_end.bin", 0, 28, "<I", 2**32 - 1)


def dict_seed(dict_type, dict_bytes, frame):
    """fuzz_zstd_dict input: type byte, u16le dictionary length, the dictionary, the frame."""
    return bytes([dict_type]) + struct.pack("<H", len(dict_bytes)) + dict_bytes + frame


def zstd_dict_corpus():
    samples = [
        b'{"id": %d, "type": "%s", "tags": ["proofread", "soma"]}\n'
        % (i, b"mesh" if i % 3 else b"skeleton")
        * 4
        for i in range(400)
    ]
    d = segpack.train_dictionary(2048, samples)
    raw = segpack.ZstdCompressionDict(samples[0] * 4, dict_type=segpack.DICT_TYPE_RAWCONTENT)
    item = samples[7]
    with_d = segpack.ZstdCompressor(dict_data=d).compress(item)
    write("zstd_dict", "trained.bin", dict_seed(0, d.as_bytes(), with_d))
    write("zstd_dict", "trained_full.bin", dict_seed(2, d.as_bytes(), with_d))
    write(
        "zstd_dict",
        "trained_checksum.bin",
        dict_seed(0, d.as_bytes(), segpack.ZstdCompressor(dict_data=d, write_checksum=True).compress(item)),
    )
    write(
        "zstd_dict",
        "raw_content.bin",
        dict_seed(1, raw.as_bytes(), segpack.ZstdCompressor(dict_data=raw).compress(item)),
    )
    write("zstd_dict", "missing_dict.bin", dict_seed(0, b"", with_d))
    bad = d.as_bytes()[:8] + b"\xff" * 32 + d.as_bytes()[40:]
    write("zstd_dict", "corrupt_tables.bin", dict_seed(0, bad, with_d))
    write("zstd_dict", "truncated_dict.bin", dict_seed(2, d.as_bytes()[:12], segpack.compress(item)))
    write("zstd_dict", "no_dict_frame.bin", dict_seed(0, d.as_bytes(), segpack.compress(item)))


def multipart_corpus():
    """multipart/byteranges responses: a content type line, then the body."""
    ct = b"multipart/byteranges; boundary=00000000001"

    def part(a, data, total=100, sep=b"\r\n"):
        head = b"--00000000001" + sep + b"Content-Type: application/octet-stream" + sep
        rng = b"Content-Range: bytes %d-%d/%d" % (a, a + len(data) - 1, total)
        return head + rng + sep + sep + data + sep

    good = b"\r\n" + part(0, b"0123456789") + part(50, b"abc") + b"--00000000001--\r\n"
    write("multipart", "nginx_two_parts.bin", ct + b"\n" + good)
    lf = part(0, b"xy", sep=b"\n") + b"--00000000001--"
    write("multipart", "lf_only.bin", ct + b"\n" + lf)
    quoted = b'multipart/byteranges; boundary="a b;c"'
    body = b"preamble\r\n--a b;c\r\nContent-Range: bytes 5-6/*\r\n\r\nzz\r\n--a b;c--"
    write("multipart", "quoted_boundary.bin", quoted + b"\n" + body)
    inside = part(0, b"--00000000001\r\n") + b"--00000000001--"
    write("multipart", "boundary_in_data.bin", ct + b"\n" + inside)
    write("multipart", "truncated.bin", ct + b"\n" + good[: len(good) - 30])
    write("multipart", "no_closing.bin", ct + b"\n" + part(0, b"0123"))
    longer = good.replace(b"0-9/100", b"0-8/100")
    write("multipart", "data_longer.bin", ct + b"\n" + longer)
    shorter = good.replace(b"0-9/100", b"0-10/100")
    write("multipart", "data_shorter.bin", ct + b"\n" + shorter)
    huge = good.replace(b"0-9/100", b"0-18446744073709551614/18446744073709551615")
    write("multipart", "huge_length.bin", ct + b"\n" + huge)
    write("multipart", "no_content_range.bin", ct + b"\n" + good.replace(b"Content-Range", b"X-Range"))
    write("multipart", "unsatisfied.bin", ct + b"\n" + good.replace(b"0-9/100", b"*/100"))
    write("multipart", "not_multipart.bin", b"text/plain\n" + good)
    write("multipart", "empty.bin", ct + b"\n")


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
    segments_corpus()
    batch_corpus()
    container_corpus()
    zstd_dict_corpus()
    multipart_corpus()


if __name__ == "__main__":
    main()
