"""Giving freed memory back to the system between the steps of a large run (issue 15).

Two allocators keep memory that the program has already freed: Arrow's memory pool (mimalloc or
jemalloc) keeps freed buffers for reuse — the text of a CSV file as read, the text chunks of the
scores writer — and glibc's ``malloc`` keeps freed heap blocks (numpy arrays below its mmap
threshold, which grows up to 32 MiB after large arrays are freed) until ``malloc_trim`` is called.
On a run of a million respondents that is 50–70 MiB of resident memory held for nothing when the
estimation or the writing needs it, and the peak resident memory of the run is what decides whether
it fits on a machine.

:func:`release_unused_memory` asks both to return what they hold unused: Arrow's
``MemoryPool.release_unused()`` and glibc's ``malloc_trim(0)`` (as Dask's workers do; Linux with
glibc only — on other systems and C libraries only the Arrow part runs). It frees nothing that is
still referenced and changes no number; it costs a few milliseconds.

Reference: Apache Arrow, ``pyarrow.MemoryPool.release_unused``; glibc manual, ``malloc_trim(3)``;
Dask distributed, "Memory not released back to the OS".

Imports nothing from the package.
"""

from __future__ import annotations

import functools
import sys
from typing import Any

__all__ = ["release_unused_memory"]


def release_unused_memory() -> None:
    """Give the memory that Arrow's pool and glibc's heap hold unused back to the system."""
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        pass
    else:
        pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Any:
    """glibc's ``malloc_trim``, or None (other systems, musl and other C libraries have none)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim
