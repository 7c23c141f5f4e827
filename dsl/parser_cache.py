"""Where Lark caches the LALR tables of the grammar (building them takes 0.3-0.9 s; loading
the cache a few ms).

The file lives in the user's cache directory ($XDG_CACHE_HOME/saddle, else ~/.cache/saddle),
named by a hash of the grammar text, the start symbol, the Lark version and the Python
version, so a changed grammar or an upgraded Lark never loads stale tables (Lark also checks
its own hash inside the file, and rebuilds silently if the file is unreadable or half written
by a process running at the same time). If no such directory can be made or written, there is
no cache and the parser is built in memory, silently.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import lark


def cache_directory() -> Path:
    """$XDG_CACHE_HOME/saddle if XDG_CACHE_HOME is an absolute path, else ~/.cache/saddle."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "saddle"


def cache_file(grammar: str, start: str) -> str | None:
    """The cache file for this grammar and start symbol, or None when it cannot be written."""
    key = "|".join((grammar, start, lark.__version__, str(sys.version_info[:2])))
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]
    try:
        folder = cache_directory()
        folder.mkdir(parents=True, exist_ok=True)
    except (OSError, RuntimeError):  # RuntimeError: no home directory to expand
        return None
    path = folder / f"parser-{start}-lark{lark.__version__}-{digest}.lark"
    if path.exists():
        return str(path) if os.access(path, os.R_OK) else None
    return str(path) if os.access(folder, os.W_OK | os.X_OK) else None
