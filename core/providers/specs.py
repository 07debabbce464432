"""Instance specs from a bundled catalog, for sources whose price lists carry none
(Azure Retail Prices, GCP Cloud Billing Catalog), and the richer specs their documented
naming tells (`named_specs`).

Specs do not vary by region, so the first entry of each instance type is its spec. Lookups
ignore case: the Azure API writes `Standard_A1_V2` where the size list says `Standard_A1_v2`.

What the names tell, and nothing more (README "Catalog format" says where each comes from):

* Azure, Microsoft's VM size naming convention (learn.microsoft.com, "Azure virtual machine
  sizes naming conventions"): the additive features after the vCPU count, `a` an AMD
  processor, `p` an Arm processor (the v5 sizes Ampere Altra, the v6 Azure Cobalt 100, as
  their series pages say), `d` a local temporary disk (its size and kind are not in the name).
* GCP, the machine families' documented CPU platforms (cloud.google.com, "CPU platforms"):
  the processor of each family that has one (E2 chooses its platform: unknown).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ..catalog import bundled_catalog_file, load_catalog
from ..specs import Specs

# Standard_D2as_v5, Standard_NC4as_T4_v3, Standard_E64-16ds_v4: family, vCPUs, [-constrained], features
_AZURE_SIZE_RE = re.compile(r"(?:Standard_|Basic_)?[A-Z]+[0-9]+(?:-[0-9]+)?(?P<features>[a-z]*)(?:_[A-Za-z0-9]+)*")
_AZURE_VERSION_RE = re.compile(r"_v([0-9]+)(?:_|$)")
_AZURE_ARM = {"5": "Ampere Altra (Arm)", "6": "Azure Cobalt 100 (Arm)"}  # version -> the series' documented CPU
GCP_PROCESSORS = {  # machine family -> its documented CPU platform(s)
    "a2": "Intel Xeon Cascade Lake",
    "a3": "Intel Xeon Sapphire Rapids",
    "c2": "Intel Xeon Cascade Lake",
    "c2d": "AMD EPYC Milan",
    "c3": "Intel Xeon Sapphire Rapids",
    "c3d": "AMD EPYC Genoa",
    "c4a": "Google Axion (Arm)",
    "c4d": "AMD EPYC Turin",
    "g2": "Intel Xeon Cascade Lake",
    "h3": "Intel Xeon Sapphire Rapids",
    "m3": "Intel Xeon Ice Lake",
    "n2": "Intel Xeon Cascade Lake or Ice Lake",
    "n2d": "AMD EPYC Rome or Milan",
    "n4": "Intel Xeon Emerald Rapids",
    "t2a": "Ampere Altra (Arm)",
    "t2d": "AMD EPYC Milan",
    "z3": "Intel Xeon Sapphire Rapids",
}


@dataclass(frozen=True, slots=True)
class Spec:
    instance_type: str  # the catalog's spelling
    family: str | None
    vcpu: int | None
    memory_gib: float | None
    gpu: int | None
    arch: str | None
    specs: Specs | None = None  # what the name tells: named_specs


@cache
def bundled_specs(provider: str) -> dict[str, Spec]:
    """Lower-cased instance type -> Spec, from `core/data/<provider>_catalog.json`."""
    with resources.as_file(bundled_catalog_file(provider)) as path:
        catalog = load_catalog(path, provider)
    specs: dict[str, Spec] = {}
    for e in catalog.entries:
        if e.instance_type.lower() not in specs:
            named = named_specs(provider, e.instance_type)
            specs[e.instance_type.lower()] = Spec(
                e.instance_type,
                e.family,
                e.vcpu,
                e.memory_gib,
                e.gpu,
                e.arch,
                named.over(e.specs) if named else e.specs,
            )
    return specs


def named_specs(provider: str, instance_type: str) -> Specs | None:
    """The specs an Azure size's or a GCP machine type's name tells (see above); None: none."""
    if provider == "gcp":
        processor = GCP_PROCESSORS.get(instance_type.split("-", 1)[0].lower())
        return Specs(processor=processor) if processor else None
    m = _AZURE_SIZE_RE.fullmatch(instance_type) if provider == "azure" else None
    if m is None:
        return None
    features = m["features"]
    version = _AZURE_VERSION_RE.search(instance_type)
    arm = _AZURE_ARM.get(version[1] if version else "", "Arm")
    processor = "AMD" if "a" in features else arm if "p" in features else None
    storage = "local temporary disk" if "d" in features else None
    return Specs(processor=processor, storage=storage) if processor or storage else None
