"""Configuration: a TOML file, built-in defaults, and COPROD_* environment overrides.

pydantic-settings reads the sources: the file (`TomlConfigSettingsSource`), then the
environment over it, in two forms: the variables the README names (COPROD_TELEGRAM_TOKEN,
COPROD_ADMIN_IDS...: one key each, in `README_VARIABLES`), and any key at all as
COPROD_SECTION__KEY (COPROD_SHIFTS__PAGE_SIZE=8; a list or table as JSON).

A wrong or missing key must produce one clear line naming the key, never a
traceback, because the people who start this bot are often volunteers
following a README, not Python developers.
"""

from __future__ import annotations

import enum
import os
import re
import tomllib
from collections.abc import Mapping
from datetime import time
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from bot.db.models import OrganisationKind, SpendKind

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,39}$"
Slug = Annotated[str, Field(pattern=SLUG_PATTERN)]


class LogFormat(enum.StrEnum):
    TEXT = "text"
    JSON = "json"


class ConfigError(Exception):
    """A configuration problem, worded for the operator: '<key>: <what is wrong>'."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TelegramConfig(_Strict):
    token: str = ""
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    bot_username: str = ""  # filled from getMe when empty; used for deep links


class DatabaseConfig(_Strict):
    url: str = "sqlite+aiosqlite:///coprod.db"
    echo: bool = False


class SchemeConfig(_Strict):
    name: str = "Cardiff Time Credits"
    timezone: str = "Europe/London"
    default_language: str = "cy"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("default_language")
    @classmethod
    def _supported_language(cls, value: str) -> str:
        if value not in ("cy", "en"):
            raise ValueError("must be 'cy' or 'en'")
        return value


class Neighbourhood(_Strict):
    slug: Slug
    name_en: str = Field(min_length=1)
    name_cy: str = Field(min_length=1)
    # The neighbourhood's Telegram group, where the bot is a member: broadcasts may be posted there too.
    telegram_group_chat_id: int | None = Field(default=None, lt=0)


class Organisation(_Strict):
    slug: Slug
    kind: OrganisationKind
    name_en: str = Field(min_length=1)
    name_cy: str = Field(min_length=1)
    neighbourhood: str | None = None


class ActivityType(_Strict):
    slug: Slug
    name_en: str = Field(min_length=1)
    name_cy: str = Field(min_length=1)
    requires_dbs: bool = False
    replaces_reduced_service: bool = False


class SpendOpportunity(_Strict):
    """Something members spend credits on: a council swim, a community cafe lunch."""

    slug: Slug
    organisation: Slug  # the partner organisation that accepts the vouchers
    kind: SpendKind
    name_en: str = Field(min_length=1, max_length=160)
    name_cy: str = Field(min_length=1, max_length=160)
    description_en: str = Field(default="", max_length=1000)
    description_cy: str = Field(default="", max_length=1000)
    venue: str = Field(min_length=1, max_length=160)
    neighbourhood: Slug | None = None
    # In time credits (hours), as members see it; stored as whole minutes.
    price_credits: Decimal = Field(gt=0, le=100)
    # Vouchers one member may take for this offer in a week (Monday to Sunday); none = no limit.
    weekly_limit: int | None = Field(default=None, ge=1, le=100)
    active: bool = True

    @field_validator("price_credits")
    @classmethod
    def _whole_minutes(cls, value: Decimal) -> Decimal:
        if (value * 60) % 1 != 0:
            raise ValueError("must be a whole number of minutes (e.g. 1, 1.5, 0.25)")
        return value

    @property
    def cost_minutes(self) -> int:
        return int(self.price_credits * 60)


class LedgerConfig(_Strict):
    # The lowest balance, in minutes, each kind of account may reach. 0 means no overdraft.
    member_floor_minutes: int = Field(default=0, le=0)
    group_floor_minutes: int = Field(default=0, le=0)
    organisation_floor_minutes: int = Field(default=0, le=0)


class HoursConfig(_Strict):
    # How far back a member may log hours, in days.
    log_window_days: int = Field(default=60, ge=1, le=366)


class SpendingConfig(_Strict):
    voucher_valid_days: int = Field(default=30, ge=1, le=366)


class ShiftsConfig(_Strict):
    dbs_valid_years: int = Field(default=3, ge=1, le=10)
    # Whether a DBS check recorded by one organisation counts for another's shifts.
    dbs_counts_across_organisations: bool = True
    late_cancellation_hours: int = Field(default=24, ge=0, le=168)
    # No longer read: reminders follow each member's /settings ([reminders]). Still
    # accepted, so a configuration written before that keeps loading.
    reminder_hours_before: int = Field(default=24, ge=1, le=168)
    page_size: int = Field(default=5, ge=1, le=10)


class RemindersConfig(_Strict):
    # When coordinators get their daily digest (pending approvals, tomorrow's rosters), local time.
    digest_time: time = time(18, 0)


class DeliveryConfig(_Strict):
    # Bulk sends a second (the outbox), counting the answers to members of the same second.
    messages_per_second: float = Field(default=30.0, gt=0, le=30)
    # Telegram's paid broadcasts (Stars per message): lifts the ceiling to this rate.
    allow_paid_broadcast: bool = False
    paid_messages_per_second: float = Field(default=1000.0, gt=0, le=1000)
    max_attempts: int = Field(default=5, ge=1, le=50)  # real failures before a row is given up
    concurrency: int = Field(default=16, ge=1, le=256)  # bulk sends in flight at once
    lease_seconds: float = Field(default=30.0, gt=0, le=600)  # a claimed row's lease, renewed while held
    leader_lease_seconds: float = Field(default=10.0, gt=0, le=60)  # a dead leader is replaced after this
    # A worker run apart from the ingress (--role worker) cannot count the answers the
    # ingress sends: it leaves them this many places a second instead.
    answers_headroom_per_second: float = Field(default=5.0, ge=0, le=25)

    @property
    def ceiling_per_second(self) -> float:
        return self.paid_messages_per_second if self.allow_paid_broadcast else self.messages_per_second

    def bulk_ceiling_per_second(self, *, counts_answers: bool) -> float:
        """The pacer's ceiling: all of it where this process sends the answers too (and so
        counts them), less the headroom where another process sends them."""
        if counts_answers:
            return self.ceiling_per_second
        return max(1.0, self.ceiling_per_second - self.answers_headroom_per_second)


class WebhookConfig(_Strict):
    """`coprod-bot serve`: Telegram posts updates to `url` (HTTPS, through a reverse
    proxy), which forwards to `listen_host:listen_port` of each replica."""

    url: str = ""  # the public HTTPS address Telegram posts to; empty = no webhook
    listen_host: str = "127.0.0.1"
    listen_port: int = Field(default=8080, ge=1, le=65535)
    path: str = Field(default="/telegram", pattern=r"^/[A-Za-z0-9/_-]*$")
    # Sent back by Telegram in X-Telegram-Bot-Api-Secret-Token; set it from the
    # environment (COPROD_WEBHOOK__SECRET), never in a file under version control.
    secret: str = Field(default="", pattern=r"^[A-Za-z0-9_-]{0,256}$")
    max_connections: int = Field(default=40, ge=1, le=100)
    # How many replicas serve the webhook together. Telegram's rate (about 30 messages a
    # second per bot, answers included) is the bot's, not a replica's: each replica's
    # pacer keeps to its share, since none can count what the others send.
    replicas: int = Field(default=1, ge=1, le=30)


class LoggingConfig(_Strict):
    # "text" (one readable line per record) or "json" (one JSON object per line).
    format: LogFormat = LogFormat.TEXT
    level: str = Field(default="WARNING", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$")


class SummariesConfig(_Strict):
    """When the weekly summary goes to TSO staff: a weekday and a time in the scheme's
    time zone (the week summarised is the one before the week that moment falls in)."""

    send_weekday: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] = "monday"
    send_at: str = Field(default="08:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    enabled: bool = True

    @property
    def weekday(self) -> int:
        """Monday 0 to Sunday 6, as date.weekday() counts."""
        return ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"].index(
            self.send_weekday)

    @property
    def local_time(self) -> time:
        hours, minutes = self.send_at.split(":")
        return time(int(hours), int(minutes))


class AdminsConfig(_Strict):
    telegram_user_ids: list[int] = Field(default_factory=list)


class Config(BaseSettings):
    model_config = SettingsConfigDict(extra="forbid", frozen=True, env_prefix="COPROD_", env_nested_delimiter="__")

    telegram: TelegramConfig = TelegramConfig()
    database: DatabaseConfig = DatabaseConfig()
    scheme: SchemeConfig = SchemeConfig()
    admins: AdminsConfig = AdminsConfig()
    ledger: LedgerConfig = LedgerConfig()
    hours: HoursConfig = HoursConfig()
    spending: SpendingConfig = SpendingConfig()
    shifts: ShiftsConfig = ShiftsConfig()
    reminders: RemindersConfig = RemindersConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    webhook: WebhookConfig = WebhookConfig()
    logging: LoggingConfig = LoggingConfig()
    summaries: SummariesConfig = SummariesConfig()
    neighbourhoods: list[Neighbourhood] = Field(default_factory=list)
    organisations: list[Organisation] = Field(default_factory=list)
    activity_types: list[ActivityType] = Field(default_factory=list)
    spend_opportunities: list[SpendOpportunity] = Field(default_factory=list)

    @field_validator("organisations", "neighbourhoods", "activity_types", "spend_opportunities")
    @classmethod
    def _unique_slugs(cls, value: list[Slugged]) -> list[Slugged]:
        _require_unique([item.slug for item in value])
        return value

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Built only through `load_config` (which names the file and the environment) or
        # `parse_config`: constructing a Config never reads the process environment by surprise.
        return (init_settings,)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.scheme.timezone)

    def check_references(self) -> None:
        """Organisations and spend opportunities may name a neighbourhood, and every
        opportunity names its organisation: each must be one of ours."""
        known = {n.slug for n in self.neighbourhoods}
        for index, organisation in enumerate(self.organisations):
            if organisation.neighbourhood is not None and organisation.neighbourhood not in known:
                raise ConfigError(
                    f"organisations[{index}].neighbourhood: {organisation.neighbourhood!r} "
                    "is not the slug of any [[neighbourhoods]] entry"
                )
        organisations = {o.slug for o in self.organisations}
        for index, offer in enumerate(self.spend_opportunities):
            if offer.organisation not in organisations:
                raise ConfigError(
                    f"spend_opportunities[{index}].organisation: {offer.organisation!r} "
                    "is not the slug of any [[organisations]] entry"
                )
            if offer.neighbourhood is not None and offer.neighbourhood not in known:
                raise ConfigError(
                    f"spend_opportunities[{index}].neighbourhood: {offer.neighbourhood!r} "
                    "is not the slug of any [[neighbourhoods]] entry"
                )


class _HasSlug(Protocol):
    @property
    def slug(self) -> str: ...


Slugged = TypeVar("Slugged", bound=_HasSlug)  # an entry of a list whose slugs must be unique


def _require_unique(slugs: list[str]) -> None:
    seen: set[str] = set()
    for slug in slugs:
        if slug in seen:
            raise ValueError(f"slug {slug!r} appears twice")
        seen.add(slug)


# The environment variables the README names, each overriding one key: the ones an
# operator sets in a container or CI rather than in a file.
README_VARIABLES: dict[str, tuple[str, str]] = {
    "COPROD_TELEGRAM_TOKEN": ("telegram", "token"),
    "COPROD_TELEGRAM_BASE_URL": ("telegram", "base_url"),
    "COPROD_DATABASE_URL": ("database", "url"),
    "COPROD_TIMEZONE": ("scheme", "timezone"),
    "COPROD_DEFAULT_LANGUAGE": ("scheme", "default_language"),
}
ADMIN_IDS_VARIABLE = "COPROD_ADMIN_IDS"  # admins.telegram_user_ids, comma-separated


class _Environment(EnvSettingsSource):
    """COPROD_SECTION__KEY for any key, read from the mapping given (the process
    environment, or a test's) rather than always from os.environ."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(Config, env_ignore_empty=True)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {name.lower(): value for name, value in self._environ.items() if value != ""}


class _ReadmeVariables(PydanticBaseSettingsSource):
    """The README's variables (see README_VARIABLES), which do not follow the
    SECTION__KEY form; empty ones are ignored."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        super().__init__(Config)
        self._environ = environ

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # not used: __call__ builds the nested values at once

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for variable, (section, key) in README_VARIABLES.items():
            if self._environ.get(variable):
                values.setdefault(section, {})[key] = self._environ[variable]
        admin_ids = self._environ.get(ADMIN_IDS_VARIABLE, "")
        if admin_ids.strip():
            try:
                ids = [int(part) for part in admin_ids.split(",") if part.strip()]
            except ValueError:
                raise ConfigError(f"{ADMIN_IDS_VARIABLE}: must be comma-separated Telegram user ids") from None
            values.setdefault("admins", {})["telegram_user_ids"] = ids
        return values


def load_config(path: str | Path | None, *, environ: Mapping[str, str] | None = None,
                require_file: bool = False) -> Config:
    """Read the file (if any), apply the environment, validate. Raises ConfigError."""
    environ = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    if path is not None:
        file = Path(path)
        if file.exists():
            try:
                raw = TomlConfigSettingsSource(Config, toml_file=file)()
            except tomllib.TOMLDecodeError as error:
                raise ConfigError(f"{file}: not valid TOML ({error})") from None
            except OSError as error:
                raise ConfigError(f"{file}: cannot be read ({error.strerror})") from None
        elif require_file:
            raise ConfigError(f"{file}: no such configuration file")
    try:
        environment = _Environment(environ)()
    except SettingsError as error:  # a list or table given as something that is not JSON
        field = re.search(r'field "(\w+)"', str(error))
        variable = f"COPROD_{field.group(1).upper()}" if field else "environment"
        raise ConfigError(f"{variable}: a list or table in the environment must be written as JSON") from None
    for overrides in (environment, _ReadmeVariables(environ)()):  # the later wins
        raw = _merged(raw, overrides)
    return parse_config(raw)


def _merged(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """`overrides` over `base`, table by table; a key whose file value is not a table
    is replaced whole (validation then names it)."""
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        elif isinstance(value, dict) and key in merged:
            raise ConfigError(f"{key}: must be a table")
        else:
            merged[key] = value
    return merged


def parse_config(raw: dict[str, Any]) -> Config:
    try:
        config = Config.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "(top level)"
        message = first["msg"]
        if first["type"] == "extra_forbidden":
            message = "unknown key (check the spelling against config.example.toml)"
        elif first["type"] == "missing":
            message = "missing (see config.example.toml)"
        raise ConfigError(f"{key}: {message}") from None
    config.check_references()
    return config


def require_token(config: Config) -> None:
    if not config.telegram.token.strip():
        raise ConfigError(
            "telegram.token: missing; create a bot with @BotFather and set it in the config "
            "file or COPROD_TELEGRAM_TOKEN"
        )
