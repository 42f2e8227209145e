"""Start-up validation: a bad value stops the process with a message naming the variable."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DEBUG", "HTTPS")}
    base.update({"VAR_DIR": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=base, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "not a url"),
        ("DATABASE_URL", "mysql://root@localhost/db"),
        ("DATABASE_URL", "postgres://postgres@127.0.0.1:notaport/db"),
        ("DATABASE_URL", "postgres:///"),
        ("REDIS_URL", "http://127.0.0.1:6379"),
        ("DEBUG", "maybe"),
        ("ENCRYPTION_KEYS", "too-short"),
        ("CELERY_WORKER_CONCURRENCY", "two"),
    ],
    ids=[
        "garbage_case",
        "wrong_engine_case",
        "bad_port_case",
        "no_host_case",
        "redis_scheme_case",
        "bad_bool_case",
        "bad_key_case",
        "bad_int_case",
    ],
)
def test_malformed_value_stops_start_up_naming_the_variable(tmp_path, variable, value):
    result = _manage("check", env={variable: value}, tmp_path=tmp_path)
    assert result.returncode == 2
    first_line = result.stderr.strip().splitlines()[0]
    assert first_line.startswith(f"Configuration error: {variable}")
    assert "Traceback" not in result.stderr


def test_secret_from_a_file_variable(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("not-a-fernet-key\n")
    result = _manage("check", env={"ENCRYPTION_KEYS_FILE": str(key_file)}, tmp_path=tmp_path)
    assert result.returncode == 2 and "ENCRYPTION_KEYS" in result.stderr
    missing = _manage("check", env={"SECRET_KEY_FILE": str(tmp_path / "nope")}, tmp_path=tmp_path)
    assert missing.returncode == 2 and "SECRET_KEY_FILE: cannot read" in missing.stderr


def test_embedded_default_generates_keys_readable_only_by_the_owner(tmp_path):
    result = _manage("check", env={}, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    for name in ("secret_key", "encryption.key"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o600


def test_check_deploy_passes_with_production_like_settings(tmp_path):
    env = {
        "DATABASE_URL": "postgres://app:pw@db.internal:5432/sharespine",
        "REDIS_URL": "redis://redis.internal:6379/0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "integration.example.se",
        "HTTPS": "1",
        "DEBUG": "0",
    }
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env, tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_message_about_a_bad_url_does_not_repeat_its_password(tmp_path):
    result = _manage("check", env={"REDIS_URL": "http://default:Pw-789@redis:6379/0"}, tmp_path=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("Configuration error: REDIS_URL") and "Pw-789" not in result.stderr
