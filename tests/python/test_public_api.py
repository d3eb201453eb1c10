"""segpack's public API is documented: every class, function, method and
property that `segpack.__all__` reaches has a docstring of its own, and every
function and method says what it returns, so that `help(segpack.MapBuffer)`
reads as a reference.

The public API is `segpack.__all__`, and for each class there the members it
defines itself whose names do not start with "_", plus its `__init__`.
"""

import inspect

import pytest

import segpack
import segpack.errors

# Members still without a full docstring, each with the reason it may wait.
PENDING: dict[str, str] = {}


def own_docs(obj):
    """The docstrings `obj` itself carries (one per overload for nanobind
    functions), without a signature nanobind adds or a doc inherited from a base."""
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    if isinstance(obj, property):
        if hasattr(obj.fget, "__nb_signature__"):
            return [sig[1] for sig in obj.fget.__nb_signature__]
        return [obj.__doc__]
    if hasattr(obj, "__nb_signature__") and not isinstance(obj, type):
        return [sig[1] for sig in obj.__nb_signature__]
    if isinstance(obj, type):
        return [obj.__dict__.get("__doc__")]
    return [getattr(obj, "__doc__", None)]


def public_api():
    """[(qualified name, object, is a function or method other than __init__)]."""
    out = []
    for name in segpack.__all__:
        obj = getattr(segpack, name)
        if isinstance(obj, type):
            out.append((name, obj, False))
            for member, value in vars(obj).items():
                if member.startswith("_") and member != "__init__":
                    continue
                is_callable = (
                    member != "__init__"
                    and not isinstance(value, property)
                    and callable(getattr(value, "__func__", value))
                )
                out.append((f"{name}.{member}", value, is_callable))
        elif callable(obj):
            out.append((name, obj, True))
    return out


API = public_api()


def test_all_names_exist_and_errors_are_exported():
    missing = [name for name in segpack.__all__ if not hasattr(segpack, name)]
    assert not missing, f"segpack.__all__ names what segpack does not have: {missing}"
    assert set(segpack.errors.__all__) <= set(segpack.__all__), "segpack.__all__ lacks errors: " + ", ".join(
        sorted(set(segpack.errors.__all__) - set(segpack.__all__))
    )


def test_the_walk_sees_the_api():
    names = {name for name, _, _ in API}
    for expected in (
        "MapBuffer.get",
        "MapBuffer.__init__",
        "MapBuffer.header",
        "IntMap.get_many",
        "MapBufferWriter.add",
        "BufferWithSegments.offsets",
        "write_mapbuffer",
        "crc32c",
        "gather",
        "RemoteFile.read_ranges",
        "RemoteError",
    ):
        assert expected in names


@pytest.mark.parametrize("name,obj,is_callable", API, ids=[name for name, _, _ in API])
def test_documented(name, obj, is_callable):
    if name in PENDING:
        pytest.xfail(PENDING[name])
    docs = own_docs(obj)
    assert docs and all(doc and doc.strip() for doc in docs), f"{name} has no docstring of its own"
    if is_callable:
        assert all("return" in doc.lower() for doc in docs), (
            f"{name}'s docstring does not say what it returns"
        )


def test_pending_entries_are_still_needed():
    """An entry of PENDING whose member is now documented must go."""
    by_name = {name: (obj, is_callable) for name, obj, is_callable in API}
    for name in PENDING:
        assert name in by_name, f"PENDING names {name}, which is not public API"
        obj, is_callable = by_name[name]
        docs = own_docs(obj)
        complete = docs and all(d and d.strip() and (not is_callable or "return" in d.lower()) for d in docs)
        assert not complete, f"{name} is documented now: remove it from PENDING"


def test_help_renders_every_class():
    for name in segpack.__all__:
        obj = getattr(segpack, name)
        if isinstance(obj, type):
            text = inspect.getdoc(obj) or ""
            assert text, f"help(segpack.{name}) has no description"
