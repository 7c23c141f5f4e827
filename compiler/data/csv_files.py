"""Opening a data file for `csv(...)` with its size bounded before it is read.

A plain file's size is known from the disk; a compressed one's is not, so it is decompressed
through a counting stream that stops at `MAX_CSV_BYTES` (a 600 KB .gz can hold 5 GB of
text). Only the stream formats of the standard library are taken (.gz, .bz2, .xz); archives
(.zip, .tar, ...) and formats that need another library are refused. pandas never
decompresses on its own: every read passes `compression=None`.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
from collections.abc import Callable
from pathlib import Path
from typing import IO, cast

from dsl.errors import error
from dsl.source import Span

# The most text one csv(...) file may hold, compressed or not: 512 MB of CSV is ~60 million
# numbers (~0.5 GB as float64), far beyond any model's data and well within a laptop.
MAX_CSV_BYTES = 512 * 2**20

# each opener's file object reads bytes; typeshed does not call them IO[bytes]
STREAMS: dict[str, Callable[[Path], IO[bytes]]] = {
    ".gz": lambda p: cast(IO[bytes], gzip.open(p, "rb")),
    ".bz2": lambda p: cast(IO[bytes], bz2.open(p, "rb")),
    ".xz": lambda p: cast(IO[bytes], lzma.open(p, "rb")),
}
ARCHIVES = {".zip", ".zst", ".tar", ".tgz", ".tbz2", ".txz", ".7z", ".rar", ".lz4", ".z"}
# what a broken compressed stream raises while it is read
STREAM_ERRORS = (OSError, EOFError, lzma.LZMAError)


class TooLarge(Exception):
    """Raised inside pandas' read when the decompressed text passes the limit."""


class _Capped(io.RawIOBase):
    """A byte stream that fails once more than `limit` bytes have been read from it."""

    def __init__(self, stream: IO[bytes], limit: int):
        self.stream, self.limit, self.count = stream, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        chunk = self.stream.read(min(len(buffer), self.limit + 1 - self.count))
        self.count += len(chunk)
        if self.count > self.limit:
            raise TooLarge
        buffer[:len(chunk)] = chunk
        return len(chunk)

    def close(self) -> None:
        self.stream.close()
        super().close()


def too_large(path: Path, span: Span) -> Exception:
    return error("E508", f"'{path.name}' holds more than {MAX_CSV_BYTES // 2**20} MB of text",
                 span, "csv(...) reads files up to that size (compressed files count "
                 "decompressed): keep only the rows and columns the model needs")


def source(path: Path, span: Span) -> Path | IO[bytes]:
    """What pandas reads: the path of a plain file, or a size-capped decompressing stream."""
    suffix = path.suffix.lower()
    if suffix in ARCHIVES:
        raise error("E508", f"'{path.name}' is an archive or a compression csv(...) does "
                    f"not read", span, "decompress it, or compress it with gzip "
                    "(file.csv.gz); .gz, .bz2 and .xz are read")
    if suffix in STREAMS:
        return io.BufferedReader(_Capped(STREAMS[suffix](path), MAX_CSV_BYTES))
    if path.stat().st_size > MAX_CSV_BYTES:
        raise too_large(path, span)
    return path
