"""Production settings: secure by default, refusing to start when misconfigured."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DJANGO_SECRET_KEY": "a-production-secret-key-that-is-long-and-random-enough-0123456789-abcdef",
    "DJANGO_ALLOWED_HOSTS": "rebound.example.com",
}


def manage(*args, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base | {"DJANGO_SETTINGS_MODULE": "config.settings"} | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_without_secret_key_refuses_to_start():
    result = manage("check", DJANGO_ALLOWED_HOSTS="rebound.example.com")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_production_without_allowed_hosts_refuses_to_start():
    result = manage("check", DJANGO_SECRET_KEY=PRODUCTION["DJANGO_SECRET_KEY"])
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS is not set" in result.stderr


def test_malformed_boolean_is_refused_with_its_name():
    result = manage("check", DJANGO_DEBUG="maybe")
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be true or false" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_development_mode_needs_no_secret_key():
    result = manage("check", DJANGO_DEBUG="true")
    assert result.returncode == 0, result.stderr


def test_an_anonymity_threshold_below_three_refuses_to_start():
    result = manage("check", DJANGO_DEBUG="true", REBOUND_MORALE_MIN_GROUP="2")
    assert result.returncode != 0
    assert "REBOUND_MORALE_MIN_GROUP can't be below 3" in result.stderr


def test_a_negative_trusted_proxy_count_refuses_to_start():
    result = manage("check", DJANGO_DEBUG="true", REBOUND_TRUSTED_PROXY_COUNT="-1")
    assert result.returncode != 0
    assert "REBOUND_TRUSTED_PROXY_COUNT must be 0 or more, not -1." in result.stderr


def test_a_trusted_proxy_count_that_is_not_a_number_refuses_to_start():
    result = manage("check", DJANGO_DEBUG="true", REBOUND_TRUSTED_PROXY_COUNT="one")
    assert result.returncode != 0
    assert "REBOUND_TRUSTED_PROXY_COUNT must be a whole number, not 'one'." in result.stderr


def test_the_trusted_proxy_count_reaches_allauth():
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        "from allauth import app_settings; print(app_settings.TRUSTED_PROXY_COUNT)",
        DJANGO_DEBUG="true",
        REBOUND_TRUSTED_PROXY_COUNT="2",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2"
