"""segpack's C++ core (private: import segpack instead)."""



class MapBuffer:
    """A serialized map of u64 keys to bytes, read without parsing."""

    def __init__(self, data: object | None = None, compress: object | None = None, tobytesfn: object | None = None, frombytesfn: object | None = None, check_crc: bool = True, compute_crc: bool = True, *, level: int | None = None, zero_copy: bool = False, max_output: int | None = None) -> None:
        """
        data: dict, bytes-like (bytes, bytearray, memoryview, numpy uint8, mmap), open binary file or path (memory-mapped), or an object with slice __getitem__ (range reader). compress/level/compute_crc/tobytesfn apply when data is a dict. zero_copy: mb[key] returns a memoryview over the mapping (uncompressed maps). max_output: cap on one item's decompressed size.
        """

    def __len__(self, /):
        """Return len(self)."""

    def __getitem__(self, key, /):
        """Return self[key]."""

    def __setitem__(self, key, value, /):
        """Set self[key] to value."""

    def __delitem__(self, key, /):
        """Delete self[key]."""

    def __contains__(self, key, /):
        """Return key in self."""

    def get(self, label: object, default: object | None = None) -> object: ...

    def view(self, label: object) -> object:
        """
        The value as a read-only memoryview: zero-copy over the buffer or mapping for uncompressed maps (it keeps the mapping alive, even after close()); a view of the decompressed bytes otherwise.
        """

    def getindex(self, arg: object, /) -> object: ...

    def setindex(self, arg0: object, arg1: object, /) -> None: ...

    def find_index_position(self, arg: object, /) -> object: ...

    def size(self, label: object) -> int:
        """
        Stored (possibly compressed) size of a value in bytes, without its crc.
        """

    def index(self) -> object:
        """The N x 2 uint64 index (key, offset) as a read-only numpy view."""

    def keys(self) -> _MapBufferIterator: ...

    def values(self) -> _MapBufferIterator: ...

    def items(self) -> _MapBufferIterator: ...

    def __iter__(self) -> _MapBufferIterator: ...

    def todict(self) -> dict: ...

    def datasize(self) -> object: ...

    @property
    def header(self) -> bytes: ...

    @property
    def compress(self) -> object: ...

    @property
    def format_version(self) -> int: ...

    @property
    def check_crc(self) -> bool: ...

    @check_crc.setter
    def check_crc(self, arg: bool, /) -> None: ...

    @property
    def zero_copy(self) -> bool: ...

    @zero_copy.setter
    def zero_copy(self, arg: bool, /) -> None: ...

    @property
    def compute_crc(self) -> bool: ...

    @property
    def tobytesfn(self) -> object: ...

    @tobytesfn.setter
    def tobytesfn(self, fn: object | None) -> None: ...

    @property
    def frombytesfn(self) -> object: ...

    @frombytesfn.setter
    def frombytesfn(self, fn: object | None) -> None: ...

    @property
    def closed(self) -> bool: ...

    def get_many(self, keys: object, default: object | None = None, threads: int = -1, zero_copy: bool = False, max_output_size: int | None = None) -> object:
        """
        Values of many keys (a numpy integer array or any iterable of ints) as ONE BufferWithSegments, in key order: lookups, crc checks and decompression run on the library's thread pool without the GIL. Missing keys raise KeyError, or take `default` (bytes) when given. zero_copy=True returns segments that point into the map's own memory (uncompressed in-memory maps). frombytesfn is not applied. threads: < 0 every pool worker, 0 or 1 the calling thread, n at most n.
        """

    def validate(self) -> bool:
        """
        Checks everything: header, offsets, Eytzinger order, every crc, that every item decodes. Returns True or raises a ValidationError subclass naming the item.
        """

    @staticmethod
    def validate_buffer(buf: object) -> object: ...

    def tobytes(self) -> object:
        """
        The serialized bytes: the object it was built on or read from, or a memoryview over the mapping.
        """

    @property
    def buffer(self) -> object: ...

    def dict2buf(self, data: object, compress: object | None = None, tobytesfn: object | None = None) -> bytes: ...

    def close(self) -> None:
        """
        Releases the buffer or mapping. Views handed out earlier keep what they need alive.
        """

    def __enter__(self) -> object: ...

    def __exit__(self, *args) -> bool: ...

    def __repr__(self) -> str: ...

class MapBufferWriter:
    """
    Writes a MapBuffer file item by item without holding the values in memory; the file appears atomically at commit().
    """

    def __init__(self, path: object, compress: object | None = None, *, level: int | None = None, compute_crc: bool = True, tobytesfn: object | None = None) -> None: ...

    def add(self, key: object, value: object) -> None: ...

    def __len__(self) -> int: ...

    def commit(self) -> None: ...

    def abort(self) -> None:
        """Discards everything written; the target path is left untouched."""

    def __enter__(self) -> object: ...

    def __exit__(self, *args) -> bool: ...

class IntMap:
    """A serialized map of u64 keys to u64 values."""

    def __init__(self, data: object | None = None) -> None: ...

    def __len__(self, /):
        """Return len(self)."""

    def __getitem__(self, key, /):
        """Return self[key]."""

    def __setitem__(self, key, value, /):
        """Set self[key] to value."""

    def __delitem__(self, key, /):
        """Delete self[key]."""

    def __contains__(self, key, /):
        """Return key in self."""

    @staticmethod
    def from_arrays(keys: object, values: object) -> object:
        """Builds an IntMap from two equal-length integer arrays."""

    def get(self, label: object, default: object | None = None) -> object: ...

    def getindex(self, arg: int, /) -> int: ...

    def setindex(self, arg0: int, arg1: int, /) -> None: ...

    def find_index_position(self, arg: object, /) -> object: ...

    def index(self) -> object: ...

    def keys(self) -> _IntMapIterator: ...

    def values(self) -> _IntMapIterator: ...

    def items(self) -> _IntMapIterator: ...

    def __iter__(self) -> _IntMapIterator: ...

    def todict(self) -> dict: ...

    @property
    def header(self) -> bytes: ...

    @property
    def format_version(self) -> int: ...

    @property
    def closed(self) -> bool: ...

    def get_many(self, keys: object, default: int | None = None, threads: int = -1) -> object:
        """
        Values of many keys as a numpy uint64 array, looked up on the library's thread pool without the GIL. Missing keys raise KeyError, or take `default` when given.
        """

    def validate(self) -> bool: ...

    @staticmethod
    def validate_buffer(buf: object) -> object: ...

    def tobytes(self) -> object: ...

    def close(self) -> None: ...

    def __enter__(self) -> object: ...

    def __exit__(self, *args) -> bool: ...

    def __repr__(self) -> str: ...

def write_intmap(path: object, data: object) -> None:
    """Writes a dict (or mapping) of ints to an IntMap file atomically."""

class BufferSegment:
    """
    A zero-copy view of one segment of a BufferWithSegments (read-only buffer protocol). Keeps the backing memory alive.
    """

    def __init__(self, data: object, offset: int = 0) -> None:
        """
        A segment over all of `data` (no copy), reporting `offset` (used by pickle; segments normally come from a BufferWithSegments).
        """

    @property
    def offset(self) -> int:
        """Byte offset of this segment within its parent buffer."""

    def __len__(self) -> int: ...

    def tobytes(self) -> bytes:
        """A bytes copy of the segment."""

    def __bytes__(self) -> bytes: ...

    def __eq__(self, other: object | None) -> object: ...

    def __hash__(self) -> int: ...

    def __repr__(self) -> str: ...

    def __reduce__(self) -> tuple: ...

class BufferSegments:
    """
    The (offset, length) records of a BufferWithSegments: 16 bytes each, two native u64s (buffer protocol).
    """

    def __init__(self, data: object) -> None:
        """
        Records from bytes (used by pickle; normally from BufferWithSegments.segments()).
        """

    def __len__(self) -> int:
        """Number of segments."""

    def __reduce__(self) -> tuple: ...

class BufferWithSegments:
    """
    A buffer holding many items: `data` (any bytes-like object, not copied; kept alive) cut by `segments` (16-byte native (offset, length) u64 records, copied and bounds-checked). Overlapping, unsorted and gapped segments are allowed.
    """

    def __init__(self, data: object, segments: object) -> None: ...

    @property
    def size(self) -> int:
        """Total size in bytes of the backing buffer."""

    def __len__(self) -> int: ...

    def __getitem__(self, arg: object, /) -> object: ...

    def __iter__(self) -> _SegmentIterator: ...

    def segments(self) -> BufferSegments:
        """The segment records as a BufferSegments object."""

    def tobytes(self) -> bytes:
        """A bytes copy of the whole backing buffer."""

    def offsets(self) -> object:
        """
        Every segment's offset as a read-only numpy uint64 array (a view: no copy).
        """

    def lengths(self) -> object:
        """
        Every segment's length as a read-only numpy uint64 array (a view: no copy).
        """

    def memoryviews(self) -> list:
        """Every segment as a read-only memoryview, in one call (no copies)."""

    def tolist(self) -> list:
        """Every segment as bytes."""

    def concat(self) -> bytes:
        """The segments joined in order, as bytes."""

    def __reduce_ex__(self, arg: int, /) -> object: ...

    def __repr__(self) -> str: ...

class BufferWithSegmentsCollection:
    """Several BufferWithSegments seen as one sequence of segments."""

    def __init__(self, *args) -> None: ...

    def __len__(self) -> int: ...

    def size(self) -> int:
        """Total bytes of all segments (a method, as in python-zstandard)."""

    def __getitem__(self, arg: object, /) -> object: ...

    def __iter__(self) -> _SegmentIterator: ...

    def buffers(self) -> list:
        """The member BufferWithSegments objects."""

    def memoryviews(self) -> list:
        """Every segment as a read-only memoryview, in one call (no copies)."""

    def tolist(self) -> list:
        """Every segment as bytes."""

    def __reduce__(self) -> tuple: ...

    def __repr__(self) -> str: ...

def multi_compress_to_buffer(data: object, codec: object | None = 'zstd', level: int | None = None, threads: int = -1) -> object:
    """
    Compresses every item of `data` (a list of bytes-like objects, a BufferWithSegments or a collection) on the library's thread pool, without the GIL. Returns a BufferWithSegmentsCollection holding one buffer (segment i = item i). threads: < 0 every pool worker, 0 or 1 the calling thread, n at most n.
    """

def multi_decompress_to_buffer(frames: object, decompressed_sizes: object | None = None, codec: object | None = 'zstd', threads: int = -1, max_output_size: int | None = None) -> object:
    """
    Decompresses every frame on the library's thread pool, without the GIL, into ONE buffer (segment i = item i), returned as a BufferWithSegmentsCollection. decompressed_sizes: native u64 per frame (bytes-like, numpy array or list of ints; 0 = read from the frame). max_output_size caps the whole output (default 1 GiB).
    """

def set_num_threads(n: int) -> None:
    """
    Sets the number of workers of the library's thread pool (0: automatic, the number of cores or SEGPACK_NUM_THREADS).
    """

def get_num_threads() -> int:
    """
    Number of workers of the library's thread pool, the calling thread included.
    """

class ZstdCompressionDict:
    """
    A zstd dictionary (python-zstandard's ZstdCompressionDict). `data` is copied; nothing is parsed until the dictionary is first used, which digests it once (per compression level, and once for decompression) for every compressor, decompressor and batch worker that uses it. dict_type: DICT_TYPE_AUTO (a full dictionary when `data` starts with the dictionary magic, raw content otherwise), DICT_TYPE_RAWCONTENT or DICT_TYPE_FULLDICT. k and d: the cover parameters train_dictionary chose (0 otherwise).
    """

    def __init__(self, data: object, dict_type: int = 0, k: int = 0, d: int = 0) -> None: ...

    def __len__(self) -> int:
        """Size of the dictionary in bytes."""

    def as_bytes(self) -> bytes:
        """
        The dictionary bytes (to store it, or to rebuild it with ZstdCompressionDict(data)).
        """

    def dict_id(self) -> int:
        """
        The dictionary id in its header (what frames compressed with it record); 0 for raw content.
        """

    @property
    def dict_type(self) -> int:
        """
        DICT_TYPE_AUTO (0), DICT_TYPE_RAWCONTENT (1) or DICT_TYPE_FULLDICT (2).
        """

    @property
    def k(self) -> int:
        """Cover segment size chosen by training (or 0)."""

    @property
    def d(self) -> int:
        """Cover dmer size chosen by training (or 0)."""

    def precompute_compress(self, level: int = 0, compression_params: object | None = None) -> None:
        """
        Digests the dictionary for compression at `level` now instead of on first use (or for compression_params.compression_level). Unlike python-zstandard's, this does not change the frames later compressors write: segpack always shares one digest per level. Raises ZstdCompressionError when the dictionary is corrupt.
        """

    def __reduce__(self) -> tuple: ...

    def __repr__(self) -> str: ...

def train_dictionary(dict_size: int, samples: object, k: int = 0, d: int = 0, f: int = 0, split_point: float = 0.0, accel: int = 0, notifications: int = 0, dict_id: int = 0, level: int = 0, steps: int = 0, threads: int = 0) -> ZstdCompressionDict:
    """
    Trains a zstd dictionary of at most `dict_size` bytes from `samples` (a list of bytes-like objects) with libzstd's fastCover trainer, as python-zstandard's train_dictionary (same arguments and defaults: with steps and threads 0 it tries 4 values of k with d = 8, as ZDICT_trainFromBuffer does). Returns a ZstdCompressionDict (DICT_TYPE_FULLDICT) with the chosen k and d. Raises ZstdParameterError (a ValueError) when libzstd cannot train one, e.g. from too few or too small samples.
    """

def zstd_check_params(params: object) -> None:
    """
    Raises ZstdParameterError naming the first zstd compression parameter out of bounds.
    """

def zstd_level_params(level: int, source_size: int = 0, dict_size: int = 0) -> dict:
    """
    The low-level parameters libzstd derives from a level for an input and dictionary size (ZSTD_getCParams).
    """

def zstd_version() -> tuple:
    """
    The version of the libzstd segpack runs with, as (major, minor, patch).
    """

def crc32c(data: object, value: int = 0) -> int:
    """CRC-32C of a bytes-like object; `value` continues an earlier checksum."""

def crc32c_backend() -> str:
    """
    Name of the crc32c implementation in use (e.g. 'isal', 'sse42', 'portable').
    """

def crc32c_backends() -> list[str]: ...

def crc32c_with(backend: str, data: object, value: int = 0) -> int: ...

def compress(data: object, codec: object | None = 'zstd', level: int | None = None) -> bytes:
    """
    Compresses bytes with one of: None, 'gzip', 'br', 'zstd', 'lzma' (mapbuffer's default levels). Reuses this thread's codec context: no context is made per call.
    """

def decompress(data: object, codec: object | None = 'zstd', max_output: int | None = None) -> bytes:
    """
    Decompresses one whole stream; raises DecompressionError on corrupt, truncated or trailing data. Reuses this thread's codec context: no context is made per call.
    """

def codec_level_range(codec: object | None) -> tuple[int, int]: ...

def codec_default_level(codec: object | None) -> int: ...
