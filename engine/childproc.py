"""What every child process of Hearth does first (the llama.cpp worker, the document parsers).

Standard library only: the children must stay light and import nothing heavy.
"""
from __future__ import annotations

import sys


def die_with_parent() -> None:
    """On Linux, have the kernel kill this process when its parent dies (even by SIGKILL)."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
