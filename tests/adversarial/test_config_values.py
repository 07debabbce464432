"""Item 11: every config value is checked at load. Hostile config files against the real
`pricesync` and `pricesync-tui` commands: exit 2, one line naming the file and the key, no
traceback, no secret repeated."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pricesync.core.config import load_settings
from pricesync.core.errors import ConfigError

from tests.conftest import CLI

TUI = [sys.executable, "-m", "pricesync.tui.app"]

# (config text, the key the one line must name)
HOSTILE = {
    "nan disables the sanity guard": ("[sync]\nmax_missing_pct = nan\n", "sync.max_missing_pct"),
    "inf disables the sanity guard": ("[sync]\nmax_missing_pct = inf\n", "sync.max_missing_pct"),
    "a share above 100 %": ("[sync]\nmax_missing_pct = 150\n", "sync.max_missing_pct"),
    "a negative share": ("[sync]\nmax_missing_pct = -1\n", "sync.max_missing_pct"),
    "no timeout": ("[http]\ntimeout_s = 0\n", "http.timeout_s"),
    "a nan timeout": ("[http]\ntimeout_s = nan\n", "http.timeout_s"),
    "an infinite timeout": ("[http]\ntimeout_s = inf\n", "http.timeout_s"),
    "negative retries": ("[http]\nretries = -1\n", "http.retries"),
    "endless retries": ("[http]\nretries = 100000\n", "http.retries"),
    "a negative backoff": ("[http]\nbackoff_s = -0.5\n", "http.backoff_s"),
    "a nan backoff": ("[http]\nbackoff_s = nan\n", "http.backoff_s"),
    "no download allowed": ("[http]\nmax_download_mb = 0\n", "http.max_download_mb"),
    "no document deadline": ("[http]\ndocument_timeout_s = 0\n", "http.document_timeout_s"),
    "a nan document deadline": ("[http]\ndocument_timeout_s = nan\n", "http.document_timeout_s"),
    "no document allowed": ("[http]\nmax_document_mb = 0\n", "http.max_document_mb"),
    "no rate floor": ("[http]\nmin_rate_kb_s = 0\n", "http.min_rate_kb_s"),
    "an empty rate window": ("[http]\nrate_window_s = 0\n", "http.rate_window_s"),
    "a negative catch-up delay": ("[schedule]\ncatch_up_delay_s = -5\n", "schedule.catch_up_delay_s"),
    "a nan catch-up delay": ("[schedule]\ncatch_up_delay_s = nan\n", "schedule.catch_up_delay_s"),
    "no misfire grace": ("[schedule]\nmisfire_grace_s = 0\n", "schedule.misfire_grace_s"),
    "an unclosed IPv6 host": ('[aws]\nendpoint = "http://[::1"\n', "aws.endpoint"),
    "a port out of range": ('[aws]\nendpoint = "http://mirror.example:99999/"\n', "aws.endpoint"),
    "a port that is not a number": ('[azure]\nendpoint = "http://mirror.example:http/"\n', "azure.endpoint"),
    "port zero": ('[azure]\nendpoint = "https://mirror.example:0/"\n', "azure.endpoint"),
    "not http": ('[gcp]\nendpoint = "ftp://mirror.example/skus"\n', "gcp.endpoint"),
    "no host": ('[gcp]\nendpoint = "https:///skus"\n', "gcp.endpoint"),
    "a space in the URL": ('[aws]\nendpoint = "http://mirror.example/a b"\n', "aws.endpoint"),
    "a bad boto3 endpoint": ('[aws]\nendpoint_url = "http://[::1"\n', "aws.endpoint_url"),
    "a region with an escape sequence": ('[aws]\nregions = ["us-east-1\\u001b[2J"]\n', "aws.regions"),
    "a region name instead of a code": ('[azure]\nregions = ["East US"]\n', "azure.regions"),
    "a zone that does not exist": ('[schedule]\ntimezone = "Mars/Olympus_Mons"\n', "schedule.timezone"),
    "a directory of zones": ('[schedule]\ntimezone = "America"\n', "schedule.timezone"),
    "a path out of the zone database": ('[schedule]\ntimezone = "../../etc/passwd"\n', "schedule.timezone"),
    "30 February never comes": ('[schedule]\ncron = "0 0 30 2 *"\n', "schedule.cron"),
    "31 April and June never come": ('[schedule]\ncron = "0 0 31 4,6 *"\n', "schedule.cron"),
    "a zero day-of-week step": ('[schedule]\ncron = "0 0 * * */0"\n', "schedule.cron"),
    "an escape sequence in the cron": ('[schedule]\ncron = "\\u001b]0;pwned\\u0007 0 * * *"\n', "schedule.cron"),
    "a huge day-of-week step": ('[schedule]\ncron = "0 0 * * */' + "9" * 5000 + '"\n', "schedule.cron"),
    "a webhook URL that does not parse": ('[[notify.webhook]]\nurl = "http://[::1"\n', "url"),
    "a webhook port out of range": ('[[notify.webhook]]\nurl = "https://hooks.example:70000/x"\n', "url"),
    "a nan webhook timeout": ('[[notify.webhook]]\nurl = "https://hooks.example/x"\ntimeout_s = nan\n', "timeout_s"),
    "an infinite webhook threshold": (
        '[[notify.webhook]]\nurl = "https://hooks.example/x"\nmin_change_pct = inf\n',
        "min_change_pct",
    ),
}


def run(command: list[str], config) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRICESYNC_")} | {"PRICESYNC_CONFIG": str(config)}
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)


def assert_one_line(p: subprocess.CompletedProcess, config, key: str) -> None:
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    assert "Traceback" not in p.stderr and p.stdout == ""
    assert p.stderr.count("\n") == 1 and "\x1b" not in p.stderr, p.stderr
    assert str(config) in p.stderr and key in p.stderr, p.stderr


@pytest.mark.parametrize("case", list(HOSTILE))
def test_every_hostile_value_is_refused_at_load_naming_its_key(tmp_path, case):
    text, key = HOSTILE[case]
    config = tmp_path / "config.toml"
    config.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_settings(config, tmp_path / "data")
    message = str(err.value)
    assert message.startswith(f"{config}: ") and key in message and "\n" not in message


# one of each kind, as the operator meets them: a real `pricesync sync`
SAMPLES = [
    "nan disables the sanity guard",
    "an infinite timeout",
    "endless retries",
    "an unclosed IPv6 host",
    "a port out of range",
    "a region with an escape sequence",
    "a directory of zones",
    "30 February never comes",
    "a webhook URL that does not parse",
    "a nan webhook timeout",
]


@pytest.mark.parametrize("case", SAMPLES)
def test_sync_exits_2_with_one_line(tmp_path, case):
    text, key = HOSTILE[case]
    config = tmp_path / "config.toml"
    config.write_text(text)
    assert_one_line(run([*CLI, "sync", "--json", "--data-dir", str(tmp_path / "data")], config), config, key)


@pytest.mark.parametrize(
    "case",
    [
        "nan disables the sanity guard",
        "30 February never comes",
        "an unclosed IPv6 host",
        "an escape sequence in the cron",
    ],
)
def test_every_command_refuses_them_before_doing_anything(tmp_path, case):
    text, key = HOSTILE[case]
    config = tmp_path / "config.toml"
    config.write_text(text)
    for command in (["list"], ["schedule", "show"], ["changes"], ["daemon"]):
        assert_one_line(run([*CLI, *command, "--data-dir", str(tmp_path / "data")], config), config, key)
    units = tmp_path / "units"
    p = run([*CLI, "schedule", "install", "--systemd", "--write", "--unit-dir", str(units)], config)
    assert_one_line(p, config, key)
    assert not units.exists()  # no timer that never elapses
    p = run([*TUI, "--data-dir", str(tmp_path / "data")], config)
    assert p.returncode == 2 and "Traceback" not in p.stderr and p.stderr.count("\n") == 1 and key in p.stderr
    assert "\x1b" not in p.stderr


def test_a_file_that_is_not_utf8_is_one_line(tmp_path):
    config = tmp_path / "config.toml"
    config.write_bytes(b'[sync]\nproviders = ["aws"]\n# caf\xe9 in Latin-1\n')
    p = run([*CLI, "list", "--data-dir", str(tmp_path / "data")], config)
    assert p.returncode == 2 and "Traceback" not in p.stderr and p.stderr.count("\n") == 1
    assert str(config) in p.stderr and "UTF-8" in p.stderr


def test_a_deeply_nested_file_is_one_line(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("[sync]\nproviders = " + "[" * 20000 + "]" * 20000 + "\n")
    p = run([*CLI, "list", "--data-dir", str(tmp_path / "data")], config)
    assert p.returncode == 2 and "Traceback" not in p.stderr and p.stderr.count("\n") == 1
    assert str(config) in p.stderr


def test_a_url_password_is_never_repeated(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(
        '[aws]\nendpoint = "http://ops:s3cr3t-pass@[::1"\n'
        '[[notify.webhook]]\nurl = "https://hooks.example:99999/T0/B0/s3cr3t-hook"\n'
    )
    p = run([*CLI, "list", "--data-dir", str(tmp_path / "data")], config)
    assert_one_line(p, config, "aws.endpoint")
    assert "s3cr3t" not in p.stderr
    config.write_text('[[notify.webhook]]\nurl = "https://hooks.example:99999/T0/B0/s3cr3t-hook"\n')
    p = run([*CLI, "list", "--data-dir", str(tmp_path / "data")], config)
    assert_one_line(p, config, "url")
    assert "s3cr3t" not in p.stderr


@pytest.mark.parametrize(
    "text, key",
    [
        ("[gcp]\napi_key = 31415926535897932\n", "gcp.api_key"),
        ('[[notify.webhook]]\nurl = "https://hooks.example/x"\nsecret = 31415926535897932\n', "secret"),
        ("[aws]\nendpoint = 31415926535897932\n", "aws.endpoint"),
    ],
)
def test_a_value_of_the_wrong_type_is_not_repeated(tmp_path, text, key):
    """A key or a secret typed as a number is refused without echoing it."""
    config = tmp_path / "config.toml"
    config.write_text(text)
    p = run([*CLI, "list", "--data-dir", str(tmp_path / "data")], config)
    assert_one_line(p, config, key)
    assert "31415926535897932" not in p.stderr


def test_command_line_endpoint_and_region_are_checked_too(cli):
    for args, what in (
        (["--endpoint", "http://[::1"], "--endpoint"),
        (["--endpoint", "gopher://x"], "--endpoint"),
        (["--region", "us-east-1\x1b]0;pwned\x07"], "--region"),
    ):
        p = cli("sync", *args)
        assert p.returncode == 2 and p.stderr.count("\n") == 1 and what in p.stderr, p.stderr
        assert "Traceback" not in p.stderr and "\x1b" not in p.stderr


def test_sensible_edge_values_are_accepted(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(
        "[sync]\nmax_missing_pct = 0\n[http]\nretries = 0\nbackoff_s = 0\n"
        '[schedule]\ncron = "0 6 29 2 *"\ntimezone = "Europe/Paris"\ncatch_up_delay_s = 0\n'
        '[aws]\nendpoint = "http://[::1]:8080/mirror"\nendpoint_url = ""\nregions = ["us-gov-west-1"]\n'
        '[azure]\nregions = ["eastus2euap"]\n[gcp]\nregions = ["europe-west4"]\n'
    )
    s = load_settings(config, tmp_path / "data")
    assert s.sync.max_missing_pct == 0 and s.schedule.cron == "0 6 29 2 *"  # 29 February comes every 4 years
    config.write_text("[sync]\nmax_missing_pct = 100\n")
    assert load_settings(config, tmp_path / "data").sync.max_missing_pct == 100
