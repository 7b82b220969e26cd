"""Giving memory that Python and the libraries it loads have freed back to the system."""

from __future__ import annotations

import ctypes


def give_back_freed_memory() -> None:
    """Return memory already freed to the system. Reading every chunk from an embedded Chroma leaves most
    of what its reader allocated free but kept in glibc's per-thread arenas: at 20,000 chunks a snapshot
    held 460 MB of resident memory before this call and 160 MB after it (30 ms). Linux with glibc only;
    elsewhere it does nothing."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    libc.malloc_trim(0)
