"""The C allocator's policy for a long-lived process: a large block goes back to the system when it is freed.

glibc serves a block larger than its mmap threshold (128 KiB at start) from a mapping of its own, unmapped when
freed; but each such free raises the threshold to that block's size (up to 32 MiB), so from the first Graph page
freed on, every page (1.7 MB for 1,000 alerts) and its parse buffers are carved out of the heap, among the records
that stay. The heap cannot give back what lies under a record that stays: with 50,000 alerts loaded the console
held 67 MB of freed heap (323 MiB RSS; 282 MiB with the threshold fixed). Fixing the threshold also switches the
adjustment off. What a large load freed below that threshold (parse buffers, encodings) is given back once the
load is done (`give_back_freed`, the console's watcher). Elsewhere (another C library, another system) nothing
changes.
"""

from __future__ import annotations

import sys
from typing import Any

M_MMAP_THRESHOLD = -3           # glibc's mallopt parameter
LARGE = 128 * 1024              # glibc's own starting threshold


def _libc(name: str) -> Any | None:
    """The C library's function `name` on Linux, None elsewhere or in a C library without it."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes  # here, not at import: the console asks once its first frame is drawn

    try:
        return getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):
        return None


def return_large_blocks() -> bool:
    """Blocks over 128 KiB in mappings of their own, from now on: True when the C library took the setting."""
    import ctypes

    mallopt = _libc("mallopt")
    if mallopt is None:
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return mallopt(M_MMAP_THRESHOLD, LARGE) == 1


def give_back_freed() -> bool:
    """What the heap holds freed, given back to the system (glibc's `malloc_trim`): after a large load, the parse
    buffers and encodings it freed among the records that stay (~10 MiB of the console's RSS with 50,000 alerts,
    in ~1.5 ms). True when the C library has it."""
    import ctypes

    trim = _libc("malloc_trim")
    if trim is None:
        return False
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    trim(0)
    return True
