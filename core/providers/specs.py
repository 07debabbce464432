"""Instance specs from a bundled catalog, for sources whose price lists carry none
(Azure Retail Prices, GCP Cloud Billing Catalog).

Specs do not vary by region, so the first entry of each instance type is its spec. Lookups
ignore case: the Azure API writes `Standard_A1_V2` where the size list says `Standard_A1_v2`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from ..catalog import bundled_catalog_file, load_catalog


@dataclass(frozen=True, slots=True)
class Spec:
    instance_type: str  # the catalog's spelling
    family: str | None
    vcpu: int | None
    memory_gib: float | None
    gpu: int | None
    arch: str | None


@cache
def bundled_specs(provider: str) -> dict[str, Spec]:
    """Lower-cased instance type -> Spec, from `core/data/<provider>_catalog.json`."""
    with resources.as_file(bundled_catalog_file(provider)) as path:
        catalog = load_catalog(path, provider)
    specs: dict[str, Spec] = {}
    for e in catalog.entries:
        specs.setdefault(e.instance_type.lower(), Spec(e.instance_type, e.family, e.vcpu, e.memory_gib, e.gpu, e.arch))
    return specs
