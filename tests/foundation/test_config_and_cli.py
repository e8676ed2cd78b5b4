"""Operators get one clear line and exit code 2 for every configuration mistake."""

from __future__ import annotations

import subprocess
import sys
from datetime import time
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]


def test_example_config_is_valid_and_complete() -> None:
    config = load_config(ROOT / "config.example.toml", environ={}, require_file=True)
    assert config.scheme.timezone == "Europe/London"
    assert len(config.neighbourhoods) == 4
    kinds = {organisation.kind.value for organisation in config.organisations}
    assert kinds == {"neighbourhood_tso", "specialist_tso", "community_group", "corporate_partner"}


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    file = tmp_path / "c.toml"
    file.write_text('[telegram]\ntoken = "from-file"\n[database]\nurl = "sqlite+aiosqlite:///a.db"\n')
    config = load_config(file, environ={"COPROD_TELEGRAM_TOKEN": "from-env",
                                        "COPROD_TELEGRAM_BASE_URL": "http://127.0.0.1:1/bot",
                                        "COPROD_DATABASE_URL": "postgresql+asyncpg://x@127.0.0.1/test"})
    assert config.telegram.token == "from-env"
    assert config.telegram.base_url == "http://127.0.0.1:1/bot"
    assert config.database.url.startswith("postgresql+asyncpg")


def test_any_key_can_be_set_from_the_environment_as_section_and_key(tmp_path: Path) -> None:
    file = tmp_path / "c.toml"
    file.write_text('[shifts]\npage_size = 3\nreminder_hours_before = 12\n')
    config = load_config(file, environ={"COPROD_SHIFTS__PAGE_SIZE": "8", "COPROD_ADMIN_IDS": "11, 12",
                                        "COPROD_HOURS__LOG_WINDOW_DAYS": "30", "COPROD_TEST_DATABASE_URL": "x"})
    assert (config.shifts.page_size, config.shifts.reminder_hours_before) == (8, 12)  # the rest of the table stays
    assert config.hours.log_window_days == 30 and config.admins.telegram_user_ids == [11, 12]
    # The README's own variable wins over the general form for the same key.
    config = load_config(None, environ={"COPROD_TELEGRAM__TOKEN": "general", "COPROD_TELEGRAM_TOKEN": "readme"})
    assert config.telegram.token == "readme"


def test_the_digest_time_is_a_local_wall_time(tmp_path: Path) -> None:
    file = tmp_path / "c.toml"
    file.write_text('[reminders]\ndigest_time = "17:30"\n')
    assert load_config(file, environ={}).reminders.digest_time == time(17, 30)
    assert load_config(file, environ={"COPROD_REMINDERS__DIGEST_TIME": "19:00"}).reminders.digest_time == time(19)
    assert load_config(None, environ={}).reminders.digest_time == time(18)


@pytest.mark.parametrize(("environ", "expected"), [
    ({"COPROD_SHIFTS__PAGE_SIZE": "eight"}, "shifts.page_size: Input should be a valid integer"),
    ({"COPROD_SHIFTS__PAGE_SIZ": "8"}, "shifts.page_siz: unknown key"),
    ({"COPROD_NEIGHBOURHOODS": "[splott"}, "COPROD_NEIGHBOURHOODS: a list or table in the environment must be"),
    ({"COPROD_ADMIN_IDS": "12,ceri"}, "COPROD_ADMIN_IDS: must be comma-separated"),
    ({"COPROD_DEFAULT_LANGUAGE": "fr"}, "scheme.default_language"),
])
def test_a_bad_environment_value_names_the_key(environ: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError, match=expected.replace(".", r"\.")):
        load_config(None, environ=environ)


def test_a_bad_environment_value_is_one_line_and_exit_2_from_the_real_command(tmp_path: Path) -> None:
    result = run_cli("db", "upgrade", cwd=tmp_path, env={"PYTHONPATH": str(ROOT), "COPROD_SHIFTS__PAGE_SIZE": "99"})
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "shifts.page_size" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(("content", "expected"), [
    ('[telegram]\ntokn = "x"\n', "telegram.tokn: unknown key"),
    ('[scheme]\ntimezone = "Europe/Cardiff"\n', "scheme.timezone"),
    ('[scheme]\ndefault_language = "fr"\n', "scheme.default_language"),
    ('[ledger]\nmember_floor_minutes = 60\n', "ledger.member_floor_minutes"),
    ('[[organisations]]\nslug = "x"\nkind = "bank"\nname_en = "X"\nname_cy = "X"\n', "organisations.0.kind"),
    ('[[organisations]]\nslug = "x"\nkind = "community_group"\nname_en = "X"\nname_cy = "X"\n'
     'neighbourhood = "nowhere"\n', "organisations[0].neighbourhood"),
    ('[telegram\n', "not valid TOML"),
])
def test_bad_config_names_the_key(tmp_path: Path, content: str, expected: str) -> None:
    file = tmp_path / "bad.toml"
    file.write_text(content)
    with pytest.raises(ConfigError, match=expected.replace("[", r"\[").replace(".", r"\.")):
        load_config(file, environ={})


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    environment = {key: value for key, value in os.environ.items() if not key.startswith("COPROD_")}
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=60)


def test_missing_token_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run_cli("run", cwd=tmp_path, env={"PYTHONPATH": str(ROOT)})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "telegram.token: missing" in result.stderr and "Traceback" not in result.stderr


def test_missing_config_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run_cli("run", "--config", "nope.toml", cwd=tmp_path, env={"PYTHONPATH": str(ROOT)})
    assert result.returncode == 2 and "nope.toml: no such configuration file" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_database_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run_cli("db", "upgrade", cwd=tmp_path, env={
        "PYTHONPATH": str(ROOT), "COPROD_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/none"})
    assert result.returncode == 2, result.stderr
    assert "database.url: cannot connect" in result.stderr and "Traceback" not in result.stderr


def test_unsupported_database_is_refused(tmp_path: Path) -> None:
    result = run_cli("db", "upgrade", cwd=tmp_path, env={
        "PYTHONPATH": str(ROOT), "COPROD_DATABASE_URL": "mysql://root@127.0.0.1/test"})
    assert result.returncode == 2 and "database.url" in result.stderr and "Traceback" not in result.stderr


def test_db_upgrade_and_grant_from_the_shell(tmp_path: Path) -> None:
    env = {"PYTHONPATH": str(ROOT), "COPROD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/c.db"}
    upgraded = run_cli("db", "upgrade", cwd=tmp_path, env=env)
    assert upgraded.returncode == 0 and "revision" in upgraded.stdout
    unknown = run_cli("grant", "admin", "123", cwd=tmp_path, env=env)
    assert unknown.returncode == 2 and "no registered member" in unknown.stderr


def test_main_without_a_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "coprod-bot" in capsys.readouterr().out


def test_a_wrong_token_or_an_unreachable_telegram_is_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {"PYTHONPATH": str(ROOT), "COPROD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/t.db",
           "COPROD_TELEGRAM_TOKEN": "123:abc", "COPROD_TELEGRAM_BASE_URL": f"http://127.0.0.1:{port}/bot"}
    result = run_cli("run", cwd=tmp_path, env=env)
    assert result.returncode == 2, result.stderr
    assert "telegram.base_url: cannot reach" in result.stderr and "Traceback" not in result.stderr


async def test_a_token_telegram_refuses_is_one_line(tmp_path: Path) -> None:
    import asyncio

    from bot.emulator import TelegramEmulator

    emulator = TelegramEmulator(token="123456:RIGHT", bot_username="coprod_test_bot")
    await emulator.start(host="127.0.0.1", port=0)
    try:
        env = {"PYTHONPATH": str(ROOT), "COPROD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/t.db",
               "COPROD_TELEGRAM_TOKEN": "123456:WRONG", "COPROD_TELEGRAM_BASE_URL": emulator.base_url}
        result = await asyncio.to_thread(run_cli, "run", cwd=tmp_path, env=env)
    finally:
        await emulator.stop()
    assert result.returncode == 2, result.stderr
    assert "telegram.token: Telegram does not accept this token" in result.stderr
    assert "Traceback" not in result.stderr


async def test_run_answers_members_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    import asyncio
    import os
    import signal
    import sys

    from bot.emulator import TelegramEmulator

    emulator = TelegramEmulator(token="123456:RIGHT", bot_username="coprod_test_bot")
    await emulator.start(host="127.0.0.1", port=0)
    environment = {key: value for key, value in os.environ.items() if not key.startswith("COPROD_")}
    environment.update({"PYTHONPATH": str(ROOT), "COPROD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/r.db",
                        "COPROD_TELEGRAM_TOKEN": "123456:RIGHT", "COPROD_TELEGRAM_BASE_URL": emulator.base_url})
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", "run", cwd=tmp_path,
                                                   env=environment, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.PIPE)
    try:
        assert b"is running" in await asyncio.wait_for(process.stdout.readline(), 30)
        member = emulator.user(user_id=42, first_name="Ceri", language_code="cy")
        await member.send_text("/start")
        welcome = await member.next_message(timeout=15)
        assert "Cymraeg" in welcome.button_labels()[0]
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    finally:
        if process.returncode is None:
            process.kill()
        await emulator.stop()


@pytest.mark.parametrize(("env", "expected"), [
    ({}, "webhook.secret: missing; set COPROD_WEBHOOK__SECRET"),
    ({"COPROD_WEBHOOK__SECRET": "a-long-enough-secret"}, "webhook.url: must be the public https:// address"),
    ({"COPROD_WEBHOOK__SECRET": "not allowed!"}, "webhook.secret: String should match pattern"),
], ids=["no secret", "no url", "bad secret"])
def test_serve_without_a_usable_webhook_is_one_line_and_exit_2(tmp_path: Path, env: dict[str, str],
                                                               expected: str) -> None:
    result = run_cli("serve", cwd=tmp_path, env={"PYTHONPATH": str(ROOT), "COPROD_TELEGRAM_TOKEN": "1:abc", **env})
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
