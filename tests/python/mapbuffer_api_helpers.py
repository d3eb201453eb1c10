"""The sample map and helpers shared by the segpack.MapBuffer API tests (test_mapbuffer_*.py)."""

import segpack

D = {1: b"hello", 2: b"world!", 3: b"", 10: b"x" * 100, 2**40: b"big key", 0: b"zero", 77: b"seventy-seven"}


def build(d=D, codec=None, crc=True):
    return bytes(segpack.MapBuffer(d, compress=codec, compute_crc=crc).tobytes())


def check_contents(mb, d=D):
    assert len(mb) == len(d)
    for k, v in d.items():
        assert mb[k] == v
        assert k in mb
    assert {k: bytes(v) for k, v in mb.todict().items()} == d


class RangeReader:
    """An object with slice __getitem__ (e.g. an HTTP range reader); counts calls."""

    def __init__(self, data):
        self.data = bytes(data)
        self.calls = []

    def __getitem__(self, sl):
        assert isinstance(sl, slice), f"range readers are only sliced, got {sl!r}"
        assert sl.step is None
        self.calls.append((sl.start, sl.stop))
        return self.data[sl]


class SizedRangeReader(RangeReader):
    def __len__(self):
        return len(self.data)
