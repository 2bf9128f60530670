"""The bytes of one file known so far: a sparse view that container walkers read through.

A walker asks for ``view.read(start, end)``; when those bytes are not there yet it raises
:class:`NeedBytes` naming the range, which the planner turns into a request for more bytes
(an HTTP range request, or a local read). Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class ByteRange:
    """A half-open byte range ``[start, end)`` of a file, and why it is needed."""

    start: int
    end: int
    """Exclusive; ``-1`` means "to the end of the file" (size not known yet)."""
    reason: str = ""

    @property
    def length(self) -> int | None:
        """Return the number of bytes, or None for an open-ended range."""
        return None if self.end < 0 else self.end - self.start


class NeedBytes(Exception):
    """Raised by a walker when the bytes it must read are not in the view yet."""

    def __init__(self, wanted: ByteRange) -> None:
        super().__init__(f"need bytes {wanted.start}-{wanted.end}: {wanted.reason}")
        self.wanted = wanted


class Truncated(Exception):
    """Raised by a walker when the file ends before a structure it declares."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class ByteView:
    """Some spans of a file, non-overlapping and sorted, and its total size when known."""

    spans: tuple[tuple[int, bytes], ...] = ()
    size: int | None = None
    """Total size of the file; None when unknown (e.g. a stream without Content-Length)."""

    @classmethod
    def of(cls, data: bytes, *, size: int | None = None, offset: int = 0) -> ByteView:
        """Return a view holding *data* at *offset*, of a file of *size* bytes (None: unknown)."""
        return cls(spans=((offset, bytes(data)),) if data else (), size=size)

    @classmethod
    def whole(cls, data: bytes) -> ByteView:
        """Return a view of a complete file."""
        return cls(spans=((0, bytes(data)),) if data else (), size=len(data))

    def with_bytes(self, offset: int, data: bytes) -> ByteView:
        """Return a view that also holds *data* at *offset* (overlaps are merged)."""
        if not data:
            return self
        pieces = sorted((*self.spans, (offset, bytes(data))), key=lambda span: span[0])
        merged: list[tuple[int, bytes]] = []
        for start, chunk in pieces:
            if merged and start <= merged[-1][0] + len(merged[-1][1]):
                prev_start, prev = merged[-1]
                overlap = prev_start + len(prev) - start
                if overlap < len(chunk):
                    merged[-1] = (prev_start, prev + chunk[overlap:])
            else:
                merged.append((start, chunk))
        return ByteView(spans=tuple(merged), size=self.size)

    def with_size(self, size: int | None) -> ByteView:
        """Return the view with the total size set."""
        return ByteView(spans=self.spans, size=size)

    @property
    def held(self) -> int:
        """Return how many bytes the view holds."""
        return sum(len(chunk) for _, chunk in self.spans)

    @property
    def complete(self) -> bool:
        """Return True when the view holds the whole file."""
        return (
            self.size is not None
            and len(self.spans) == 1
            and self.spans[0][0] == 0
            and len(self.spans[0][1]) == self.size
        ) or (self.size == 0)

    def prefix(self) -> bytes:
        """Return the contiguous bytes from offset 0 (possibly empty)."""
        if self.spans and self.spans[0][0] == 0:
            return self.spans[0][1]
        return b""

    def has(self, start: int, end: int) -> bool:
        """Return True when ``[start, end)`` is held."""
        return self.get(start, end) is not None

    def get(self, start: int, end: int) -> bytes | None:
        """Return bytes ``[start, end)`` when held (clipped at the known size), else None."""
        if self.size is not None:
            end = min(end, self.size)
        if end <= start:
            return b""
        for span_start, chunk in self.spans:
            if span_start <= start and end <= span_start + len(chunk):
                return chunk[start - span_start : end - span_start]
        return None

    def read(self, start: int, end: int, reason: str) -> bytes:
        """Return bytes ``[start, end)``; raise NeedBytes or Truncated when they are not held.

        A range reaching past the known end of the file raises Truncated: the file declares
        a structure it does not contain.
        """
        if start < 0 or end < start:
            raise Truncated(f"{reason}: impossible range {start}-{end}")
        if self.size is not None and end > self.size:
            raise Truncated(
                f"{reason}: needs bytes up to {end:,} but the file has {self.size:,} bytes"
            )
        found = self.get(start, end)
        if found is None:
            raise NeedBytes(ByteRange(start=start, end=end, reason=reason))
        return found

    def read_upto(self, start: int, end: int, reason: str) -> bytes:
        """Return bytes ``[start, min(end, size))``: like :meth:`read`, clipped at the end."""
        if self.size is not None:
            end = min(end, self.size)
        return self.read(start, max(start, end), reason)

    def held_from(self, start: int) -> bytes:
        """Return the held bytes contiguous from *start* (possibly empty)."""
        for span_start, chunk in self.spans:
            if span_start <= start < span_start + len(chunk):
                return chunk[start - span_start :]
        return b""
