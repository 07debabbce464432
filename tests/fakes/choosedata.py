"""A small catalog with price kinds for the choosing tests (core.choose, `list --where/--price
/--pivot`, `show`, `equivalents`, the dashboard's kind, pivot, compare and equivalents views).

m5.large in us-east-1 (linux) is the base: 2 vCPU, 8 GiB, $0.096 on demand. Its kinds:
- reserved-1yr-standard-no-upfront 0.06/h: break-even in month 1;
- reserved-1yr-standard-all-upfront $500 upfront (0.0570776256/h): month 8 (7 x 70.08 = 490.56
  is not yet above 500, 8 x 70.08 = 560.64 is);
- reserved-3yr-standard-partial-upfront 0.03/h + $900: month 19 (900 // 48.18 = 18);
- savings-plan-compute-1yr-all-upfront $1000: never within its 12 months (1000 // 70.08 = 14).
Cheaper equivalents of it in us-east-1: t4g.large (arm64, 0.0672: 30.0%, $21.024/month) and
m6a.large (x86_64, 0.0864: 10.0%, $7.008/month); c6g.large has too little memory, c6g.xlarge
costs more, x9.large has no known vCPU count.

Specs (SPECS, by instance type, as the AWS offer's attributes give them): m5 Intel at 3.1 GHz
up to 10 Gigabit, EBS only; m6a AMD EPYC with an NVMe disk; t4g Graviton2, previous generation
(for the tests' sake); the others know none.
"""

from __future__ import annotations

import json
from pathlib import Path

from pricesync.core.models import Catalog, CatalogEntry, KindPrice, SourceInfo
from pricesync.core.specs import Specs, described_specs

# (type, region, os, vcpu, mem, gpu, arch, on-demand, {kind: (hourly, upfront)})
ROWS = [
    (
        "m5.large", "us-east-1", "linux", 2, 8.0, 0, "x86_64", "0.0960000000",
        {
            "reserved-1yr-standard-no-upfront": ("0.0600000000", "0"),
            "reserved-1yr-standard-all-upfront": ("0.0000000000", "500"),
            "reserved-3yr-standard-partial-upfront": ("0.0300000000", "900"),
            "savings-plan-compute-1yr-all-upfront": ("0.0000000000", "1000"),
        },
    ),
    ("m5.xlarge", "us-east-1", "linux", 4, 16.0, 0, "x86_64", "0.1920000000",
     {"reserved-1yr-standard-no-upfront": ("0.1200000000", "0")}),
    ("m6a.large", "us-east-1", "linux", 2, 8.0, 0, "x86_64", "0.0864000000",
     {"reserved-1yr-standard-no-upfront": ("0.0540000000", "0")}),
    ("t4g.large", "us-east-1", "linux", 2, 8.0, 0, "arm64", "0.0672000000", {}),
    ("c6g.large", "us-east-1", "linux", 2, 4.0, 0, "arm64", "0.0680000000", {}),
    ("c6g.xlarge", "us-east-1", "linux", 4, 8.0, 0, "arm64", "0.1360000000", {}),
    ("x9.large", "us-east-1", "linux", None, 8.0, 0, "x86_64", "0.0500000000", {}),
    ("p4d.24xlarge", "us-east-1", "linux", 96, 1152.0, 8, "x86_64", "32.7726000000", {}),
    ("m5.large", "us-east-1", "windows", 2, 8.0, 0, "x86_64", "0.1880000000", {}),
    ("m5.large", "eu-west-1", "linux", 2, 8.0, 0, "x86_64", "0.1070000000", {}),
    ("m6a.large", "eu-west-1", "linux", 2, 8.0, 0, "x86_64", "0.0960000000", {}),
]  # fmt: skip


SPECS: dict[str, Specs | None] = {
    "m5": described_specs("Yes", "Intel Xeon Platinum 8175", "Intel AVX; Intel AVX2; Intel AVX512; Intel Turbo",
                          "3.1 GHz", "Up to 10 Gigabit", "EBS only"),
    "m6a": described_specs("Yes", "AMD EPYC 7R13 Processor", "AMD Turbo; AVX; AVX2", "3.6 GHz", "Up to 12.5 Gigabit",
                           "1 x 118 NVMe SSD"),
    "t4g": described_specs("No", "AWS Graviton2 Processor", "", "2.5 GHz", "Up to 5 Gigabit", "EBS only"),
}  # fmt: skip


def entries() -> list[CatalogEntry]:
    out = []
    for itype, region, os_, vcpu, mem, gpu, arch, price, kinds in ROWS:
        prices = {kind: KindPrice.of(kind, hourly, upfront) for kind, (hourly, upfront) in kinds.items()}
        out.append(
            CatalogEntry(
                itype, itype.split(".")[0], region, os_, vcpu, mem, gpu, arch, price, "2026-11-01T00:00:00Z",
                prices=prices, specs=SPECS.get(itype.split(".")[0]),
            )
        )  # fmt: skip
    return out


def catalog(provider: str = "aws") -> Catalog:
    return Catalog(provider, "USD", "2026-11-01T00:00:00Z", SourceInfo("bundled"), tuple(entries()), 2)


def write_catalog(path: Path, provider: str = "aws") -> Path:
    path.write_text(json.dumps(catalog(provider).to_json(), indent=1))
    return path


def entry(itype: str, region: str = "us-east-1", os_: str = "linux") -> CatalogEntry:
    return next(e for e in entries() if e.key == (itype, region, os_))
