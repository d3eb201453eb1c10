"""Imports the real peer package that a shim hides, under another module name.

The shims in tests/peers/shims/<suite>/ are named like the peer packages
(``mapbuffer``, ``zstandard``) and come first on sys.path during the peer
stage, so ``import mapbuffer`` in the peers' tests finds the shim. The shim
reaches the installed package through :func:`load_real`, which finds it on
sys.path past the shims' folders and executes it as a separate module
(``_segpack_peers_real_<name>``): the real package is imported unmodified, and
``sys.modules["mapbuffer"]`` stays the shim.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
import types

SHIMS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "shims")


def _outside_shims(entry: str) -> bool:
    path = os.path.abspath(entry or os.curdir)
    return os.path.commonpath([path, SHIMS_DIR]) != SHIMS_DIR


def load_real(name: str) -> types.ModuleType:
    """The installed package ``name``, imported as ``_segpack_peers_real_<name>``."""
    alias = f"_segpack_peers_real_{name}"
    if alias in sys.modules:
        return sys.modules[alias]
    found = importlib.machinery.PathFinder.find_spec(name, [p for p in sys.path if _outside_shims(p)])
    if found is None or found.origin is None:
        raise ImportError(
            f"the real {name!r} package is not installed (the peer stage needs it underneath the shim)"
        )
    spec = importlib.util.spec_from_file_location(
        alias, found.origin, submodule_search_locations=found.submodule_search_locations
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[alias] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[alias]
        raise
    return module


def reexport(namespace: dict, ours: types.ModuleType, names) -> list:
    """Binds each of ``names`` that ``ours`` has into ``namespace`` (a shim's
    globals); returns the names bound. Everything else is left to the shim's
    module ``__getattr__``, which hands out the real package's attribute."""
    taken = [n for n in names if hasattr(ours, n)]
    namespace.update({n: getattr(ours, n) for n in taken})
    return taken
