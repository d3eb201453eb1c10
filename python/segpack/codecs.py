"""Compressor / Decompressor objects, with python-zstandard's batch methods.

``ZstdCompressor`` and ``ZstdDecompressor`` take the place of
``zstandard.ZstdCompressor`` / ``zstandard.ZstdDecompressor`` for code that uses
``multi_compress_to_buffer`` / ``multi_decompress_to_buffer``; ``Compressor`` and
``Decompressor`` do the same for every codec. All work happens in segpack's C++
core, on its persistent thread pool, without the GIL.
"""

from __future__ import annotations

from . import _core


class Compressor:
    """Compresses with one codec ("zstd", "gzip", "br", "lzma" or None) at one level
    (None: the codec's default)."""

    def __init__(self, codec="zstd", level=None):
        lo, hi = _core.codec_level_range(codec)
        if level is not None and not lo <= level <= hi:
            raise ValueError(f"level {level} is outside {lo}..{hi} for codec {codec!r}")
        self.codec = codec
        self.level = level

    def compress(self, data):
        """One item, as bytes."""
        return _core.compress(data, self.codec, self.level)

    def multi_compress_to_buffer(self, data, threads=0):
        """Every item of ``data`` (a list of bytes-like objects, a BufferWithSegments
        or a BufferWithSegmentsCollection), in order, as a BufferWithSegmentsCollection
        backed by one buffer. threads: < 0 every pool worker, 0 or 1 the calling
        thread, n at most n (python-zstandard's rule)."""
        return _core.multi_compress_to_buffer(data, codec=self.codec, level=self.level, threads=threads)


class Decompressor:
    """Decompresses one codec. ``max_output_size`` caps what one call may produce
    (one item for ``decompress``, the whole batch for ``multi_decompress_to_buffer``;
    None: 4 GiB per item, 1 GiB per batch)."""

    def __init__(self, codec="zstd", max_output_size=None):
        _core.codec_default_level(codec)  # validates the name
        self.codec = codec
        self.max_output_size = max_output_size

    def decompress(self, data, max_output_size=0):
        """One whole item, as bytes (python-zstandard's signature: 0 = no
        per-call cap beyond the object's)."""
        cap = max_output_size or self.max_output_size
        return _core.decompress(data, self.codec, cap)

    def multi_decompress_to_buffer(self, frames, decompressed_sizes=None, threads=0):
        """Every frame, in order, into ONE buffer, as a BufferWithSegmentsCollection.
        ``decompressed_sizes``: native u64 per frame (bytes-like as in
        python-zstandard, a numpy array or a list); 0 = read from the frame."""
        return _core.multi_decompress_to_buffer(
            frames,
            decompressed_sizes,
            codec=self.codec,
            threads=threads,
            max_output_size=self.max_output_size,
        )


class ZstdCompressor(Compressor):
    """zstd at ``level`` (default 3), frames with the content size in the header
    and no checksum, like ``zstandard.ZstdCompressor()``."""

    def __init__(self, level=3):
        super().__init__("zstd", level)


class ZstdDecompressor(Decompressor):
    """zstd decompression, like ``zstandard.ZstdDecompressor()``."""

    def __init__(self, max_output_size=None):
        super().__init__("zstd", max_output_size)


__all__ = ["Compressor", "Decompressor", "ZstdCompressor", "ZstdDecompressor"]
