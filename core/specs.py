"""An instance's richer specs (`Specs`: generation, processor, clock, network, instance
storage), the rules every loader checks them with, and the parsers that read a number out of
the sources' descriptions for the filter terms (`net>=25`, `clock>=3`, `disk>=1000`).

Each description is kept as the source wrote it (bounded, printable; neutralised where it is
shown, like every source string) beside the number read from it. A description that holds no
number (network "Moderate", clock "NA") gives none: unknown, never a guess.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields
from functools import cache
from typing import TypeGuard

SPEC_TEXT_MAX = 200  # characters of a spec description (AWS's longest, processorFeatures, is ~100)
STORAGE_TYPES = ("nvme", "ssd", "hdd", "ebs-only")
MAX_CLOCK_GHZ = 100.0
MAX_NETWORK_GBPS = 1_000_000.0
MAX_STORAGE_GB = 1_000_000_000.0
TEXT_SPECS = ("processor", "processor_features", "clock", "network", "storage")
NUMBER_SPECS = {"clock_ghz": MAX_CLOCK_GHZ, "network_gbps": MAX_NETWORK_GBPS, "storage_gb": MAX_STORAGE_GB}


@dataclass(frozen=True, slots=True)
class Specs:
    """What a source tells of an instance beyond vCPU, memory, GPU and arch; None: unknown.

    `clock_ghz`, `network_gbps` (the sum over network cards: "4x 100 Gigabit" is 400),
    `storage_gb` (instance storage in total; 0 for "EBS only") and `storage_type` are read
    from the descriptions `clock`, `network` and `storage`; Azure and GCP give a processor or
    storage description derived from their documented naming (core.providers.specs)."""

    current_generation: bool | None = None
    processor: str | None = None
    processor_features: str | None = None
    clock: str | None = None
    clock_ghz: float | None = None
    network: str | None = None
    network_gbps: float | None = None
    storage: str | None = None
    storage_gb: float | None = None
    storage_type: str | None = None

    def to_json(self) -> dict[str, object]:
        """The known specs only."""
        return {f.name: value for f in fields(self) if (value := getattr(self, f.name)) is not None}

    def over(self, old: Specs | None) -> Specs:
        """These specs, and `old`'s where these know nothing of a spec (a description and the
        numbers read from it go together)."""
        if old is None or old == self:
            return self
        known = {}
        for group in SPEC_GROUPS:
            source = self if any(getattr(self, name) is not None for name in group) else old
            known.update({name: getattr(source, name) for name in group})
        return Specs(**known)

    @property
    def generation(self) -> str | None:
        """ "current", "previous" or None: what `gen:` compares."""
        return None if self.current_generation is None else "current" if self.current_generation else "previous"

    @property
    def processor_words(self) -> tuple[str, ...] | None:
        """What `processor:` (`cpu:`) matches: the name from each word on ("AWS Graviton2
        Processor", "Graviton2 Processor", "Processor"), so `graviton*` finds it."""
        return None if self.processor is None else word_starts(self.processor)

    @property
    def storage_words(self) -> tuple[str, ...] | None:
        """What `storage:` matches: the description from each word on, and the type ("2 x 900
        NVMe SSD", ..., "NVMe SSD", "SSD", "nvme"), so `nvme*` finds it."""
        words = (*(word_starts(self.storage) if self.storage else ()), *filter(None, (self.storage_type,)))
        return words or None


SPEC_NAMES = tuple(f.name for f in fields(Specs))
SPEC_GROUPS = (
    ("current_generation",),
    ("processor",),
    ("processor_features",),
    ("clock", "clock_ghz"),
    ("network", "network_gbps"),
    ("storage", "storage_gb", "storage_type"),
)


# filter term or column -> the Specs attribute it compares or shows (core.query, the clients):
# `net` and `disk` are what terms compare and columns sort by; `network` the description shown
SPEC_FIELDS = {
    "gen": "generation",
    "processor": "processor_words",
    "clock": "clock_ghz",
    "net": "network_gbps",
    "network": "network",
    "disk": "storage_gb",
    "storage": "storage_words",
}


def spec_value(specs: Specs | None, name: str) -> object:
    """The value of the filter term or column `name` of SPEC_FIELDS (None: unknown). A tuple
    (processor, storage) is what a pattern may match; its first text is the one shown."""
    return None if specs is None else getattr(specs, SPEC_FIELDS[name])


_WORD_START_RE = re.compile(r"(?<![^\W_])\w")  # a letter or digit after a space, a sign or the start


def word_starts(text: str) -> tuple[str, ...]:
    """`text` from each of its words on, the whole first."""
    return tuple(text[m.start() :] for m in _WORD_START_RE.finditer(text)) or (text,)


def is_spec_text(value: object) -> TypeGuard[str]:
    """A description a catalog may hold: 1 to SPEC_TEXT_MAX printable characters."""
    return isinstance(value, str) and 0 < len(value) <= SPEC_TEXT_MAX and value.isprintable()


def _number_ok(value: object, top: float) -> bool:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        number = float(value)
    except OverflowError:  # an integer too large for a float
        return False
    return math.isfinite(number) and 0 <= number <= top


def specs_problem(value: object) -> str:
    """ "" if `value` is a catalog's or cache's `specs` object, else what is wrong with it (for an
    error line). Keys other than Specs' are ignored (a newer pricesync may add some); null is
    unknown."""
    if not isinstance(value, dict):
        return "'specs' is not an object"
    gen = value.get("current_generation")
    if gen is not None and not isinstance(gen, bool):
        return "specs.current_generation is not true or false"
    for name in TEXT_SPECS:
        text = value.get(name)
        if text is not None and not is_spec_text(text):
            return f"specs.{name} is not printable text of 1-{SPEC_TEXT_MAX} characters"
    for name, top in NUMBER_SPECS.items():
        number = value.get(name)
        if number is not None and not _number_ok(number, top):
            return f"specs.{name} is not a number from 0 to {top:g}"
    kind = value.get("storage_type")
    if kind is not None and kind not in STORAGE_TYPES:
        return f"specs.storage_type is not one of {', '.join(STORAGE_TYPES)}"
    return ""


def specs_from_json(value: dict[str, object]) -> Specs:
    """A `specs` object that passed `specs_problem` -> Specs (numbers as floats)."""
    known = {name: value.get(name) for name in SPEC_NAMES}
    for name in NUMBER_SPECS:
        if known[name] is not None:
            known[name] = float(known[name])  # type: ignore[arg-type]
    return Specs(**known)  # type: ignore[arg-type]


# -- reading numbers out of the sources' descriptions ------------------------------------------
_NETWORK_RE = re.compile(r"(?i)(?:up to\s+)?(?:([0-9]{1,3})\s*x\s*)?([0-9]{1,5}(?:\.[0-9]{1,3})?)\s*gigabit")
_CLOCK_RE = re.compile(r"(?i)(?:up to\s+)?([0-9]{1,2}(?:\.[0-9]{1,3})?)\s*ghz")
_STORAGE_RE = re.compile(r"(?i)([0-9]{1,3})\s*x\s*([0-9]{1,6}(?:\.[0-9]{1,3})?)(?:\s*gb)?(?:\s+(nvme\s+ssd|ssd|hdd))?")
_EBS_ONLY = "ebs only"


def network_gbps(text: str) -> float | None:
    """Gbit/s of an AWS `networkPerformance`: "25 Gigabit" 25, "Up to 10 Gigabit" 10 (the
    burst ceiling AWS names), "4x 100 Gigabit" 400; the levels "Very Low" ... "High" and
    anything else: None."""
    m = _NETWORK_RE.fullmatch(text.strip())
    if m is None:
        return None
    gbps = float(m[2]) * int(m[1] or 1)
    return gbps if gbps <= MAX_NETWORK_GBPS else None


def clock_ghz(text: str) -> float | None:
    """GHz of an AWS `clockSpeed`: "3.1 GHz" 3.1, "Up to 3.5 GHz" 3.5; "NA" and others: None."""
    m = _CLOCK_RE.fullmatch(text.strip())
    return None if m is None else float(m[1])


def storage_size(text: str) -> tuple[float | None, str | None]:
    """(GB in total, type) of an AWS `storage`: "2 x 900 NVMe SSD" (1800, "nvme"), "4 x 2000 HDD"
    (8000, "hdd"), "1 x 410" (410, None), "EBS only" (0, "ebs-only"); else (None, None)."""
    text = text.strip()
    if text.lower() == _EBS_ONLY:
        return 0.0, "ebs-only"
    m = _STORAGE_RE.fullmatch(text)
    if m is None:
        return None, None
    kind = m[3] and ("nvme" if m[3].lower().startswith("nvme") else m[3].lower())
    return int(m[1]) * float(m[2]), kind or None


@cache
def described_specs(
    generation: str, processor: str, features: str, clock: str, network: str, storage: str
) -> Specs | None:
    """Specs from a source's descriptions ("" where it has none; "Yes"/"No" for the
    generation), each kept only if it is spec text and not "NA"; None when nothing is known.
    Cached: the same descriptions recur in every region, and share one value."""

    def text(value: str) -> str | None:
        return value if is_spec_text(value) and value.strip().upper() != "NA" else None

    clock_text, network_text, storage_text = text(clock), text(network), text(storage)
    gb, kind = storage_size(storage_text) if storage_text else (None, None)
    specs = Specs(
        current_generation={"Yes": True, "No": False}.get(generation),
        processor=text(processor),
        processor_features=text(features),
        clock=clock_text,
        clock_ghz=clock_ghz(clock_text) if clock_text else None,
        network=network_text,
        network_gbps=network_gbps(network_text) if network_text else None,
        storage=storage_text,
        storage_gb=gb,
        storage_type=kind,
    )
    return None if specs == Specs() else specs
