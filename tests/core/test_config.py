"""Config (core.config): unknown sections and keys are named, types are checked, CLI flags win."""

from __future__ import annotations

import json
import re

import pytest
from pricesync.core.config import load_settings
from pricesync.core.errors import ConfigError
from pricesync.core.kinds import KINDS

from tests.conftest import closed_port

# the CLI tests' configs sync on-demand only: the default price_kinds' spot comes from AWS's own hosts
ON_DEMAND_ONLY = "[sync]\nprice_kinds = []\n"


def config(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_defaults_without_a_file(tmp_path, monkeypatch):
    monkeypatch.delenv("PRICESYNC_DATA_DIR", raising=False)
    monkeypatch.setenv("PRICESYNC_CONFIG", str(tmp_path / "absent.toml"))
    s = load_settings(None, tmp_path / "data")
    assert s.config_path is None
    assert s.data_dir == tmp_path / "data"
    assert s.sync.providers == ["aws"] and s.sync.write_back is False
    assert s.aws.mode == "public" and s.aws.endpoint == "https://pricing.us-east-1.amazonaws.com"


def test_full_file_is_read(tmp_path):
    path = config(
        tmp_path,
        """
[sync]
providers = ["aws"]
write_back = true
[aws]
mode = "public"
regions = ["us-east-1", "eu-west-1"]
endpoint = "http://mirror.example"
[http]
timeout_s = 3          # an int where a float is declared is fine
retries = 1
[schedule]
cron = "30 4 * * *"
[azure]
[gcp]
[notify]
""",
    )
    s = load_settings(path, tmp_path)
    assert s.config_path == path
    assert s.sync.write_back is True
    assert s.aws.regions == ["us-east-1", "eu-west-1"] and s.aws.endpoint == "http://mirror.example"
    assert s.http.timeout_s == 3.0 and isinstance(s.http.timeout_s, float)
    assert s.schedule.cron == "30 4 * * *"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[sink]\nproviders = []\n", r"unknown section\(s\): sink"),
        ("[aws]\nregion = ['us-east-1']\n", r"unknown key\(s\) in \[aws\]: region"),
        ("[sync]\nwrite-back = true\nprovider = 'aws'\n", r"unknown key\(s\) in \[sync\]: provider, write-back"),
        ("[http]\nretries = '3'\n", r"http.retries must be int, not str$"),
        ("[http]\nretries = true\n", r"http.retries must be int, not bool$"),
        ("[sync]\nwrite_back = 'yes'\n", r"sync.write_back must be bool, not str"),
        ("[aws]\nregions = 'us-east-1'\n", r"aws.regions must be a list"),
        ("[aws]\nregions = ['us-east-1', 2]\n", r"aws.regions\[1\] must be str, not int"),
        ("aws = 1\n", r"\[aws\] must be a table"),
        ("[sync]\nproviders = ['aws', 'oracle']\n", r"unknown provider\(s\) oracle"),
        ("[aws]\nmode = 'cli'\n", r"aws.mode must be 'public' or 'boto3', not 'cli'"),
        ("[aws\nmode = 1\n", r"not valid TOML"),
        (
            "[sync]\nprice_kinds = ['reserved-1yr-no-upfront']\n",
            r"sync.price_kinds: 'reserved-1yr-no-upfront' is not a",
        ),
        ("[sync]\nprice_kinds = ['all', 'spot']\n", r"sync.price_kinds: 'all' stands alone"),
        ("[sync]\nprice_kinds = 'spot'\n", r"sync.price_kinds must be a list"),
        ("[sync]\nprice_kinds = ['on-demand']\n", r"'on-demand' is not a price kind"),
    ],
)
def test_bad_config_names_the_problem(tmp_path, text, message):
    path = config(tmp_path, text)
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(path))}: .*{message}") as err:
        load_settings(path, tmp_path)
    assert "\n" not in str(err.value)


def test_price_kinds(tmp_path):
    assert load_settings(None, tmp_path).sync.price_kinds == [
        "reserved-1yr-standard-no-upfront",
        "reserved-3yr-standard-all-upfront",
        "savings-plan-compute-1yr-no-upfront",
        "savings-plan-compute-3yr-no-upfront",
    ]  # spot is opted into: its feeds are not under [aws] endpoint
    every = load_settings(config(tmp_path, "[sync]\nprice_kinds = ['all']\n"), tmp_path).sync.price_kinds
    assert every == list(KINDS) and len(every) == 25
    assert load_settings(config(tmp_path, "[sync]\nprice_kinds = []\n"), tmp_path).sync.price_kinds == []
    some = "[sync]\nprice_kinds = ['spot', 'reserved-3yr-convertible-partial-upfront', 'spot']\n"
    assert load_settings(config(tmp_path, some), tmp_path).sync.price_kinds == [
        "reserved-3yr-convertible-partial-upfront",
        "spot",
    ]


def test_named_config_must_exist(tmp_path):
    with pytest.raises(ConfigError, match=r"config file .*nope.toml does not exist"):
        load_settings(tmp_path / "nope.toml", tmp_path)


def test_environment_names_config_and_data_dir(tmp_path, monkeypatch):
    path = config(tmp_path, "[aws]\nregions = ['eu-west-1']\n")
    monkeypatch.setenv("PRICESYNC_CONFIG", str(path))
    monkeypatch.setenv("PRICESYNC_DATA_DIR", str(tmp_path / "env-data"))
    s = load_settings()
    assert s.aws.regions == ["eu-west-1"] and s.data_dir == tmp_path / "env-data"
    assert load_settings(None, tmp_path / "flag-data").data_dir == tmp_path / "flag-data"


# -- CLI flags override the file (real subprocesses) ---------------------------------------------


def test_endpoint_flag_overrides_config(cli, settings, tmp_path):
    dead_url = f"http://127.0.0.1:{closed_port()}"
    dead = config(tmp_path, f'[aws]\nendpoint = "{dead_url}"\n[http]\nretries = 0\n{ON_DEMAND_ONLY}')
    p = cli("sync", "--config", str(dead), "--json")
    assert p.returncode == 1 and f"cannot connect to {dead_url}" in json.loads(p.stdout)["error"]
    p = cli("sync", "--config", str(dead), "--endpoint", settings.aws.endpoint, "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["status"] == "updated"


def test_region_flag_overrides_config_regions(cli, settings, tmp_path):
    cfg = config(tmp_path, f'[aws]\nendpoint = "{settings.aws.endpoint}"\nregions = ["eu-west-1"]\n{ON_DEMAND_ONLY}')
    p = cli("sync", "--config", str(cfg), "--json")
    assert json.loads(p.stdout)["regions"] == ["eu-west-1"]
    p = cli("sync", "--config", str(cfg), "--region", "us-east-1", "--json")
    assert json.loads(p.stdout)["regions"] == ["us-east-1"]


def test_data_dir_flag_overrides_environment(cli, settings, tmp_path):
    other = tmp_path / "other-data"
    p = cli("sync", "--data-dir", str(other), "--region", "us-east-1", "--json")
    assert p.returncode == 0, p.stderr
    assert (other / "aws_cache.json").is_file()
    assert not (settings.data_dir / "aws_cache.json").exists()


def test_config_write_back_applies_without_the_flag(cli, settings, tmp_path):
    cfg = config(tmp_path, f'[aws]\nendpoint = "{settings.aws.endpoint}"\n{ON_DEMAND_ONLY}write_back = true\n')
    p = cli("sync", "--config", str(cfg), "--json")
    assert json.loads(p.stdout)["wrote_back"] is True


def test_bad_config_is_usage_error_on_one_line(cli, tmp_path):
    cfg = config(tmp_path, "[aws]\nendpoitn = 'x'\n")
    p = cli("sync", "--config", str(cfg))
    assert p.returncode == 2
    assert p.stderr.count("\n") == 1 and "unknown key(s) in [aws]: endpoitn" in p.stderr
