"""The filter language of the dashboard's filter bar and of `pricesync list --where`: one
parser, so what an operator sees and what a script prints match.

    m5 large vcpu>=8 mem>=32 gpu>0 price<0.5 month<=100 per_vcpu<0.02 region:eu-*,us-* arch!=arm64
    gen:current net>=25 clock>=3 disk>=1000 storage:nvme* cpu:graviton*

Free words must each appear (case-insensitive) in the instance type or the family.
`field op value` terms combine with them (AND). Numeric fields take < <= > >= = != (and
`:` as =); text fields take `:`/`=` (glob patterns, comma = any of) and `!=`. `price`,
`month` and the unit prices (`per_vcpu`, `per_gib`, `per_gpu`: $ per hour per vCPU, GiB,
GPU) are of the price kind shown (core.choose.kind_price). The richer specs (core.specs):
`gen` current/previous, `net` Gbit/s, `clock` GHz, `disk` GB of instance storage, `storage`
its description or type, `processor` the processor's name; `cpu` is the vCPU count with a
number (`cpu>=8`) and the processor with a pattern (`cpu:graviton*`). A term that cannot be
understood becomes a `BadTerm` with a reason; it never raises and never filters. An unknown
value (a spec or a price the entry lacks) passes no term.

The dashboard evaluates a query over its columns (pricesync.tui.rowindex); `Query.matches`
evaluates it on one catalog entry, with the same meaning.
"""

from __future__ import annotations

import fnmatch
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from decimal import Decimal, InvalidOperation
from typing import Any

from .choose import UNIT_FIELDS, entry_unit_price, kind_price
from .kinds import ON_DEMAND
from .models import CatalogEntry, monthly_price
from .specs import SPEC_FIELDS, spec_value

NUMERIC_FIELDS = {
    "vcpu": "vcpu",
    "vcpus": "vcpu",
    "cpu": "vcpu",
    "mem": "mem",
    "memory": "mem",
    "ram": "mem",
    "gpu": "gpu",
    "gpus": "gpu",
    "price": "price",
    "hour": "price",
    "hourly": "price",
    "month": "month",
    "monthly": "month",
    "per_vcpu": "per_vcpu",
    "per_gib": "per_gib",
    "per_gpu": "per_gpu",
    "net": "net",
    "network": "net",
    "clock": "clock",
    "ghz": "clock",
    "disk": "disk",
}
TEXT_FIELDS = {
    "region": "region",
    "os": "os",
    "arch": "arch",
    "family": "family",
    "type": "type",
    "gen": "gen",
    "generation": "gen",
    "processor": "processor",
    "storage": "storage",
}
EITHER_FIELDS = {"cpu": "processor"}  # a number: NUMERIC_FIELDS' meaning; a pattern: this text field
FIELD_NAMES = (
    "vcpu, mem, gpu, price, month, per_vcpu, per_gib, per_gpu, region, os, arch, family, type, "
    "gen, net, clock, disk, storage, processor (cpu: a number is vcpu, a pattern the processor)"
)

OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "=": operator.eq,
    "!=": operator.ne,
}
_TOKEN = re.compile(r"(?P<field>[A-Za-z_]+)\s*(?P<op><=|>=|!=|==|=|:|<|>)(?:\s*(?P<value>\S+))?|(?P<word>\S+)")
_DOLLAR = re.compile(r"^\$")
_UNIT = {
    "mem": re.compile(r"(?i)\s*(gib|gb|g)$"),
    "net": re.compile(r"(?i)\s*(gbit/s|gbps|gbit|gb/s|g)$"),
    "clock": re.compile(r"(?i)\s*(ghz|g)$"),
    "disk": re.compile(r"(?i)\s*(gb|g)$"),
} | dict.fromkeys(("price", "month", *UNIT_FIELDS), _DOLLAR)

_ENTRY_FIELD = {"mem": "memory_gib", "type": "instance_type"}  # canonical field -> CatalogEntry attribute

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Word:
    text: str  # lower-case
    span: Span = dataclass_field(compare=False)


@dataclass(frozen=True, slots=True)
class Term:
    field: str  # canonical: a value of NUMERIC_FIELDS or TEXT_FIELDS
    op: str  # one of OPS
    value: Decimal | tuple[str, ...]  # a number, or lower-case glob patterns
    span: Span = dataclass_field(compare=False)

    @property
    def numeric(self) -> bool:
        return isinstance(self.value, Decimal)

    def matches(self, value: object) -> bool:
        """Does one column value pass? None (unknown) never passes; a text term passes a tuple
        of texts (storage: description and type) if any of them matches."""
        if value is None:
            return False
        if self.numeric:
            return OPS[self.op](value, self.value)
        texts = value if isinstance(value, tuple) else (value,)
        hit = any(fnmatch.fnmatchcase(str(t).lower(), p) for t in texts for p in self.value)  # type: ignore[union-attr]
        return hit if self.op == "=" else not hit


@dataclass(frozen=True, slots=True)
class BadTerm:
    text: str
    reason: str
    span: Span

    def __str__(self) -> str:
        return f"{self.text}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Query:
    words: tuple[Word, ...] = ()
    terms: tuple[Term, ...] = ()
    bad: tuple[BadTerm, ...] = dataclass_field(default=(), compare=False)  # they filter nothing

    @property
    def empty(self) -> bool:
        """True when nothing filters (bad terms do not filter)."""
        return not (self.words or self.terms)

    def matches(self, entry: CatalogEntry, kind: str = ON_DEMAND) -> bool:
        """Does `entry` pass every word and term, prices taken for `kind`?"""
        names = (entry.instance_type.lower(), (entry.family or "").lower())
        return all(any(w.text in name for name in names) for w in self.words) and all(
            t.matches(field_value(entry, t.field, kind)) for t in self.terms
        )


def field_value(entry: CatalogEntry, name: str, kind: str = ON_DEMAND) -> object:
    """The value a term on the canonical field `name` compares (None: unknown)."""
    if name == "price":
        return kind_price(entry, kind)
    if name == "month":
        price = kind_price(entry, kind)
        return None if price is None else monthly_price(price)
    if name in UNIT_FIELDS:
        return entry_unit_price(entry, name, kind)
    if name in SPEC_FIELDS:
        return spec_value(entry.specs, name)
    return getattr(entry, _ENTRY_FIELD.get(name, name))


def parse(text: str) -> Query:
    words: list[Word] = []
    terms: list[Term] = []
    bad: list[BadTerm] = []
    for m in _TOKEN.finditer(text):
        span = m.span()
        if m["word"] is not None:
            words.append(Word(m["word"].lower(), span))
            continue
        op = "=" if m["op"] in (":", "==") else m["op"]
        term = _term(m["field"].lower(), op, m["value"] or "", span)
        if isinstance(term, Term):
            terms.append(term)
        else:
            bad.append(BadTerm(m.group(0), term, span))
    return Query(tuple(words), tuple(terms), tuple(bad))


def _term(name: str, op: str, raw: str, span: Span) -> Term | str:
    """The term, or why it is bad."""
    if name not in NUMERIC_FIELDS and name not in TEXT_FIELDS:
        return f"unknown field {name!r} (? lists them)"
    if not raw:
        return "needs a value"
    if name in NUMERIC_FIELDS:
        field = NUMERIC_FIELDS[name]
        value = _number(field, raw)
        if value is not None:
            return Term(field, op, value, span)
        if name not in EITHER_FIELDS or op not in ("=", "!="):
            return f"{raw!r} is not a number"
    if op not in ("=", "!="):
        return f"{name} takes ':' or '!=', not {op!r}"
    patterns = tuple(p for p in raw.lower().split(",") if p)
    return Term(TEXT_FIELDS.get(name) or EITHER_FIELDS[name], op, patterns, span)


def _number(field: str, raw: str) -> Decimal | None:
    """`raw` as a number of `field` (its unit, such as GiB or $, may be written), else None."""
    unit = _UNIT.get(field)
    try:
        value = Decimal(unit.sub("", raw) if unit else raw)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None
