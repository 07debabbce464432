"""Nesting depth and token length of a streamed JSON document, bounded before a parser sees it.

ijson's C backend (yajl) bounds neither. 80 KB of `[` make it build a prefix string per level
for every event (gigabytes); a string or number that spans chunks is re-scanned from its start
with each new chunk (quadratic in its length); and an integer of more than 4,300 digits
crashes the process (Python's int digit limit meets an unchecked NULL in ijson's C code).

The scan runs at C speed per chunk, with a little state carried across chunks: one
`bytes.translate` projects a chunk onto its quotes and brackets, one `replace` drops the
strings (each is a `""` pair once its content is gone), and the nesting follows from removing
matched bracket pairs, one level per round. Digit runs are found by probing aligned windows
half the limit wide, so any run over the limit contains a whole window.

A parser that builds each member of a map (ijson's `kvitems` on an offer's `products`) holds
one whole member in memory. With `members`, the scan also bounds the bytes of one member of
the maps under the named root members: it follows which root member the document is in (an
exact scan of the rare chunk that reaches the root's level) and how long ago the depth was
last at the maps' level, per chunk: a member up to `max_member` bytes always passes, one longer
by more than two chunks never does.
"""

from __future__ import annotations

import re

from .errors import SourceError

MAX_DEPTH = 64  # real AWS offer files nest 8 levels deep
MAX_STRING = 1 << 20  # bytes of one string (the longest in a real offer file: a few hundred)
MAX_DIGITS = 2048  # one run of digits, i.e. one number

_BRACKETS = bytes.maketrans(b"{[}]", b"(())")
_NOT_STRUCTURE = bytes(c for c in range(256) if c not in b'"{}[]')
_ESCAPED = re.compile(rb"\\.", re.DOTALL)
_DIGITS = b"0123456789"
_IS_DIGIT = bytes(0x31 if c in _DIGITS else 0x30 for c in range(256))
_WINDOW = MAX_DIGITS // 2
_TOKENS = re.compile(rb'"[^"]*"?|[{}\[\]]')  # on a chunk whose escapes are gone: strings and brackets
_KEY_BYTES = 64  # of a root key cut between two chunks (longer ones name nothing bounded)


class JsonBounds:
    """Feed every chunk of one document to `scan`, in order; it raises a SourceError naming
    the document at the first chunk that breaks a bound."""

    def __init__(self, name: str, members: dict[str, int] | None = None, max_member: int = 0) -> None:
        """`members`: root key -> the depth of the maps under it whose members are at most
        `max_member` bytes (`{"products": 2}`: each product; `{"terms": 3}`: each SKU's terms)."""
        self.name = name
        self.members = members or {}
        self.max_member = max_member
        self._root: bytes | None = None  # the root member open at the end of the last chunk
        self._key = b""  # the last string at the root's level (a root member's key), maybe cut short
        self._level_at: dict[int, int] = dict.fromkeys(self.members.values(), 0)  # depth -> offset last at it
        self.depth = 0
        self.offset = 0  # bytes scanned, the current chunk included
        self._start = 0  # where the current chunk starts
        self._in_string = False
        self._escape = False  # the last chunk ended in the middle of an escape
        self._string = 0  # length of the string still open at the end of the last chunk
        self._digits = 0  # digits at the end of the last chunk
        self.low = 0  # the lowest depth anywhere in the last chunk (a parser can tell a map has ended)

    def scan(self, chunk: bytes) -> None:
        if not chunk:
            return
        self._start, self.offset = self.offset, self.offset + len(chunk)
        self._digit_runs(chunk)
        depth, in_string = self.depth, self._in_string
        unescaped = self._unescaped(chunk)
        self._nest(self._outside_strings(unescaped))
        if self.members:
            self._follow_members(unescaped, depth, in_string)

    def _follow_members(self, chunk: bytes, depth: int, in_string: bool) -> None:
        """After `_nest`: refuse a member of a bounded map that has gone on for too long."""
        if self.low <= 1:
            self._find_root(chunk, depth, in_string)
        for level in self._level_at:
            if self.low <= level:
                self._level_at[level] = self.offset
        root = (self._root or b"").decode("ascii", "replace")
        at = self.members.get(root)  # a root key named in `members` (pricesync's own text)
        if at is not None and self.depth > at and self.offset - self._level_at[at] > self.max_member:
            self._refuse(f"has one member of '{root}' longer than {self.max_member >> 20} MiB")

    def _find_root(self, chunk: bytes, depth: int, in_string: bool) -> None:
        """Follow the root's level through `chunk` token by token: the root member open at its
        end is the one whose key is the last string at the root's level before an opener."""
        at = 0
        if in_string:
            at = chunk.find(b'"') + 1
            if depth == 1:
                self._key = (self._key + (chunk[: at - 1] if at else chunk))[:_KEY_BYTES]
            if not at:
                return
        for match in _TOKENS.finditer(chunk, at):
            token = match[0]
            if token[0] == 34:  # a string; unclosed, it goes on in the next chunk
                if depth == 1:
                    self._key = token[1:-1] if len(token) > 1 and token[-1] == 34 else token[1 : _KEY_BYTES + 1]
            elif token in b"{[":
                if depth == 1:
                    self._root = self._key
                depth += 1
            else:
                depth -= 1
                if depth <= 1:
                    self._root = None

    def _unescaped(self, chunk: bytes) -> bytes:
        """`chunk` with every escape pair replaced by `__`, so an escaped quote is no quote."""
        if self._escape:
            chunk, self._escape = b"_" + chunk[1:], False
        if b"\\" in chunk:
            chunk = _ESCAPED.sub(b"__", chunk)
            if chunk.endswith(b"\\"):  # the escape goes on in the next chunk
                chunk, self._escape = chunk[:-1] + b"_", True
        return chunk

    def _outside_strings(self, chunk: bytes) -> bytes:
        """The brackets of `chunk` outside strings, as `(` and `)`; follows the open string's length."""
        structure = chunk.translate(_BRACKETS, _NOT_STRUCTURE)
        if self._in_string:
            structure = b'"' + structure
        quotes = structure.count(b'"')
        ends_in_string = quotes % 2 == 1
        if self._in_string:  # the string open at the last chunk's end goes on to its quote, if any
            self._string += chunk.find(b'"') if quotes > 1 else len(chunk)
            self._check_string()
        if ends_in_string:
            if not (self._in_string and quotes == 1):
                self._string = len(chunk) - chunk.rfind(b'"') - 1
                self._check_string()
            structure = structure[: structure.rfind(b'"')]
            quotes -= 1
        else:
            self._string = 0
        self._in_string = ends_in_string
        if structure.count(b'""') * 2 == quotes:  # every string is a "" pair: no bracket in one
            return structure.translate(None, b'"')
        return b"".join(structure.split(b'"')[::2])  # some string holds a bracket: drop the strings exactly

    def _check_string(self) -> None:
        if self._string > MAX_STRING:
            self._refuse(f"has a string longer than {MAX_STRING >> 20} MiB")

    def _nest(self, brackets: bytes) -> None:
        """Follow the depth over this chunk's brackets (as `(` and `)`, outside strings)."""
        rest, rounds = brackets, 0
        while b"()" in rest and rounds <= MAX_DEPTH:
            rest, rounds = rest.replace(b"()", b""), rounds + 1
        closers = len(rest) - len(rest.lstrip(b")"))
        openers = len(rest) - closers
        self.low = max(0, self.depth - closers)
        if self.depth + openers + rounds > MAX_DEPTH and self._peak(brackets) > MAX_DEPTH:
            self._refuse(f"nests deeper than {MAX_DEPTH} levels")
        self.depth = max(0, self.depth - closers) + openers

    def _peak(self, brackets: bytes) -> int:
        """The exact deepest level in this chunk (the bound in `_nest` can overshoot)."""
        depth = peak = self.depth
        for b in brackets:
            depth += 1 if b == 40 else -1
            peak = max(peak, depth)
        return peak

    def _digit_runs(self, chunk: bytes) -> None:
        lead = len(chunk) - len(chunk.lstrip(_DIGITS))
        if self._digits + lead > MAX_DIGITS:
            self._refuse(f"has a number longer than {MAX_DIGITS} digits")
        if lead == len(chunk):
            self._digits += lead
            return
        # windows whose first, middle and last bytes are digits: the only ones worth a look
        probes = [chunk[at::_WINDOW].translate(_IS_DIGIT) for at in (0, _WINDOW // 2, _WINDOW - 1)]
        n = len(probes[-1])
        digits = probes[0][:n]
        for probe in probes[1:]:
            digits = (int.from_bytes(digits, "big") & int.from_bytes(probe[:n], "big")).to_bytes(n, "big")
        i = digits.find(b"1")
        while i >= 0:
            at = i * _WINDOW
            if chunk[at : at + _WINDOW].isdigit():
                run_start = len(chunk[:at].rstrip(_DIGITS))
                run_end = len(chunk) - len(chunk[at:].lstrip(_DIGITS))
                if run_end - run_start + (self._digits if run_start == 0 else 0) > MAX_DIGITS:
                    self._refuse(f"has a number longer than {MAX_DIGITS} digits")
            i = digits.find(b"1", i + 1)
        self._digits = len(chunk) - len(chunk.rstrip(_DIGITS))

    @property
    def span(self) -> str:
        """Where the current chunk lies in the document: a position for a message."""
        return f"{self._start}-{self.offset}"

    def _refuse(self, problem: str) -> None:
        raise SourceError(f"{self.name} {problem} (within bytes {self.span})")
