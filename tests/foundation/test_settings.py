"""Start-up validation: a bad value stops the process with a message naming the variable."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def _env(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The test process's environment on the embedded default in ``tmp_path``, plus ``env``."""
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DEBUG", "HTTPS")}
    base.update({"VAR_DIR": str(tmp_path), **env})
    return base


def _manage(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=_env(env, tmp_path),
        capture_output=True,
        text=True,
        timeout=180,
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


@pytest.mark.parametrize(
    ("variable", "value", "secret"),
    [
        ("REDIS_URL", "ftp://:s3cretpw@h/0", "s3cretpw"),
        ("REDIS_URL", "ftp://s3cretpw@h/0", "s3cretpw"),
        ("REDIS_URL", "redis://:s3cretpw@[::1/0", "s3cretpw"),
        ("REDIS_URL", "redis://:s3cretpw@[zz]:6379/0", "s3cretpw"),
        ("DATABASE_URL", "postgres://app:s3cretpw@[::1:5432/db", "s3cretpw"),
        ("DATABASE_URL", "postgres://app:s3cretpw@[db.internal]:5432/db", "s3cretpw"),
    ],
    ids=[
        "password_only",
        "token_only",
        "open_bracket",
        "bracket_not_an_address",
        "pg_open_bracket",
        "pg_junk",
    ],
)
def test_a_malformed_url_stops_with_one_line_and_never_its_password(tmp_path, variable, value, secret):
    result = _manage("check", env={variable: value}, tmp_path=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"Configuration error: {variable}: ")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert secret not in result.stderr + result.stdout


def test_redaction_hides_any_user_info_in_a_url():
    from sharespine.logredact import redact

    for url in ("ftp://:s3cretpw@h/0", "redis://s3cretpw@h:6379/0", "postgres://app:s3cretpw@db/x"):
        assert "s3cretpw" not in redact(f"cannot connect to {url}"), url


@pytest.mark.parametrize("kind", ["a_file", "under_a_file"])
def test_an_unusable_var_dir_stops_with_one_line(tmp_path, kind):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    var_dir = blocker if kind == "a_file" else blocker / "var"
    result = _manage("check", env={"VAR_DIR": str(var_dir)}, tmp_path=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("Configuration error: VAR_DIR: ")
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_keys_that_open_no_stored_secret_stop_start_up_naming_the_variable(tmp_path):
    """A valid but wrong ENCRYPTION_KEYS used to pass `check`, then every shop page answered 500."""
    old, new = (Fernet.generate_key().decode() for _ in range(2))
    migrate = _manage("migrate", "--no-input", "-v0", env={"ENCRYPTION_KEYS": old}, tmp_path=tmp_path)
    assert migrate.returncode == 0, migrate.stderr
    assert _manage("check", env={"ENCRYPTION_KEYS": new}, tmp_path=tmp_path).returncode == 0  # none stored
    store = (
        "from tests.factories import VismaAgentFactory, JetshopShopFactory;"
        "VismaAgentFactory(secret='agent-s3cret'); JetshopShopFactory(password='shop-s3cret')"
    )
    stored = _manage("shell", "-c", store, env={"ENCRYPTION_KEYS": old}, tmp_path=tmp_path)
    assert stored.returncode == 0, stored.stderr

    wrong = _manage("check", env={"ENCRYPTION_KEYS": new}, tmp_path=tmp_path)
    assert wrong.returncode == 2
    assert wrong.stderr.startswith("Configuration error: ENCRYPTION_KEYS: ")
    assert len(wrong.stderr.strip().splitlines()) == 1
    for secret in ("agent-s3cret", "shop-s3cret", old, new):
        assert secret not in wrong.stderr + wrong.stdout

    rotated = _manage("check", env={"ENCRYPTION_KEYS": f"{new},{old}"}, tmp_path=tmp_path)
    assert rotated.returncode == 0, rotated.stderr
    # The web process refuses to start too, not only `check`.
    wsgi = subprocess.run(
        [sys.executable, "-c", "import sharespine.wsgi"],
        cwd=ROOT,
        env={**_env({"ENCRYPTION_KEYS": new}, tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert wsgi.returncode == 2
    assert wsgi.stderr.strip().splitlines()[-1].startswith("Configuration error: ENCRYPTION_KEYS: ")
    assert "Traceback" not in wsgi.stderr
