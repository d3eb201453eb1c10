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
    Compresses bytes with one of: None, 'gzip', 'br', 'zstd', 'lzma' (mapbuffer's default levels).
    """

def decompress(data: object, codec: object | None = 'zstd', max_output: int | None = None) -> bytes:
    """
    Decompresses one whole stream; raises DecompressionError on corrupt, truncated or trailing data.
    """

def codec_level_range(arg: object, /) -> tuple[int, int]: ...

def codec_default_level(arg: object, /) -> int: ...
