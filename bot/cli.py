"""`coprod-bot`: run the bot, the demo, migrations, role grants and ledger checks.

Operator mistakes (a bad config key, a missing token, a database that does not answer)
end with one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from bot.config import Config, ConfigError, load_config, require_token
from bot.db.session import DatabaseUrlError
from bot.logs import configure as configure_logging

if TYPE_CHECKING:  # imported when a command runs: the CLI starts without the whole bot
    from bot.services.container import Services

T = TypeVar("T")
EXIT_USAGE = 2
EXIT_FAILED = 1


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "action"):
        parser.print_help()
        return EXIT_USAGE
    logging.basicConfig(level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # An explicitly named file must exist; the default config.toml is optional, so the
    # bot also runs from environment variables alone.
    config_given = getattr(args, "config", None) is not None
    config_path = Path(args.config) if config_given else Path("config.toml")
    try:
        config = load_config(config_path, require_file=config_given)
        configure_logging(config.logging, verbose=getattr(args, "verbose", False), secrets=secrets_of(config))
        code: int = _profiled(lambda: asyncio.run(args.action(config, args)))
        return code
    except (ConfigError, DatabaseUrlError) as error:
        print(f"coprod-bot: {error}", file=sys.stderr)
        return EXIT_USAGE
    except DatabaseUnavailable as error:
        print(f"coprod-bot: database.url: cannot connect ({error})", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 0


def _profiled(run: Callable[[], int]) -> int:
    """With COPROD_PROFILE=<file>, the whole command under cProfile, its statistics
    written to that file when it ends (`python -m pstats <file>`): how bench/ finds
    where an update's time goes in the real process."""
    target = os.environ.get("COPROD_PROFILE")
    if not target:
        return run()
    import cProfile

    profile = cProfile.Profile()
    try:
        return profile.runcall(run)
    finally:
        profile.dump_stats(target)


class DatabaseUnavailable(Exception):
    pass


def secrets_of(config: Config) -> list[str]:
    """What must never be logged: the bot token, a webhook secret (when one is
    configured), the database password."""
    from sqlalchemy.engine import make_url

    secrets = [config.telegram.token, config.webhook.secret]
    with contextlib.suppress(Exception):
        secrets.append(make_url(config.database.url).password or "")
    return secrets


async def _with_services(config: Config, work: Callable[..., Awaitable[int]], **kwargs: object) -> int:
    from bot.runtime import prepare

    try:
        services = await prepare(config)
    except (OSError, ConnectionError) as error:
        raise DatabaseUnavailable(error.strerror or str(error)) from None
    except Exception as error:
        if type(error).__module__.startswith(("sqlalchemy", "asyncpg", "sqlite3")):
            raise DatabaseUnavailable(str(error).splitlines()[0][:200]) from None
        raise
    try:
        return await work(services, **kwargs)
    finally:
        await services.db.dispose()


# --------------------------------------------------------------------------- actions


async def _run(config: Config, args: argparse.Namespace) -> int:
    require_token(config)

    async def serve(services: Services) -> int:
        from bot.delivery.roles import ProcessRole
        from bot.runtime import start_polling, stop

        role = ProcessRole(args.role)
        # A worker beside webhook replicas (serve --role ingress) registers the webhook
        # while it leads; a process that polls must not (polling and a webhook exclude
        # each other).
        registering = role is ProcessRole.WORKER and bool(config.webhook.url and config.webhook.secret)
        application = await _starting(config, start_polling(
            services, role=role, before_work=_webhook_registration() if registering else None))
        print(f"coprod-bot is running (database {services.db.dialect}, role {args.role}); press Ctrl+C to stop.",
              flush=True)
        await _until_stopped()
        await stop(application)
        return 0

    return await _with_services(config, serve)


async def _serve(config: Config, args: argparse.Namespace) -> int:
    """Webhook mode: one replica of several behind a load balancer (bot/webhook.py)."""
    from bot.webhook import require_webhook

    require_token(config)
    require_webhook(config.webhook)

    async def serve(services: Services) -> int:
        from bot.delivery.roles import ProcessRole
        from bot.runtime import stop
        from bot.webhook import start_webhook

        try:
            application, ingress = await _starting(config, start_webhook(services, role=ProcessRole(args.role)))
        except OSError as error:
            raise ConfigError(f"webhook.listen_port: cannot listen on {config.webhook.listen_host}:"
                              f"{config.webhook.listen_port} ({error.strerror})") from None
        print(f"coprod-bot is running (webhook on {config.webhook.listen_host}:{ingress.port}, database "
              f"{services.db.dialect}, role {args.role}); press Ctrl+C to stop.", flush=True)
        await _until_stopped()
        # New requests refused first, then what is in flight finishes, then the lease goes.
        await ingress.stop()
        await stop(application)
        return 0

    return await _with_services(config, serve)


def _webhook_registration() -> Callable[..., None]:
    from bot.webhook import register_when_leading

    return register_when_leading


async def _starting(config: Config, starting: Awaitable[T]) -> T:
    """Telegram's refusals at start-up, worded for the operator."""
    from telegram.error import InvalidToken, NetworkError

    try:
        return await starting
    except InvalidToken:
        raise ConfigError("telegram.token: Telegram does not accept this token; copy it again from "
                          "@BotFather") from None
    except NetworkError as error:
        raise ConfigError(f"telegram.base_url: cannot reach {config.telegram.base_url} ({error})") from None


async def _until_stopped() -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    await stopping.wait()


async def _demo(config: Config, args: argparse.Namespace) -> int:
    from bot.demo.terminal import run_demo

    return await run_demo(database_path=args.database, script=args.script)


async def _db_upgrade(config: Config, args: argparse.Namespace) -> int:
    async def report(services: Services) -> int:
        from bot.db.migrate import current_revision

        print(f"database is at revision {await current_revision(services.db)}")
        return 0

    return await _with_services(config, report)


async def _grant(config: Config, args: argparse.Namespace) -> int:
    from bot.db.models import Role
    from bot.services.members import GrantOutcome

    async def change(services: Services) -> int:
        method = services.members.grant if args.command == "grant" else services.members.revoke
        outcome = await method(actor_member_id=None, role=Role(args.role), telegram_user_id=args.telegram_user_id,
                               organisation_slug=args.organisation)
        messages = {
            GrantOutcome.GRANTED: "granted", GrantOutcome.REVOKED: "revoked",
            GrantOutcome.ALREADY_HELD: "already held; nothing changed",
            GrantOutcome.NOT_HELD: "not held; nothing changed",
            GrantOutcome.UNKNOWN_MEMBER: "no registered member has that Telegram user id (they must /start first)",
            GrantOutcome.UNKNOWN_ORGANISATION: f"no organisation with slug {args.organisation!r}",
            GrantOutcome.ORGANISATION_REQUIRED: f"--organisation SLUG is required for {args.role}",
            GrantOutcome.ORGANISATION_NOT_ALLOWED: "admin is not tied to an organisation; drop --organisation",
        }
        ok = outcome in (GrantOutcome.GRANTED, GrantOutcome.REVOKED, GrantOutcome.ALREADY_HELD, GrantOutcome.NOT_HELD)
        print(f"{args.command} {args.role} {args.telegram_user_id}: {messages.get(outcome, outcome.value)}",
              file=sys.stdout if ok else sys.stderr)
        return 0 if ok else EXIT_USAGE

    return await _with_services(config, change)


async def _ledger_check(config: Config, args: argparse.Namespace) -> int:
    async def check(services: Services) -> int:
        from bot.services.ledger_audit import audit_ledger

        async with services.db.read() as session:
            violations = await audit_ledger(session, config.ledger)
        for violation in violations:
            print(f"VIOLATION: {violation}")
        print("ledger check: " + ("ok" if not violations else f"{len(violations)} violation(s)"))
        return 0 if not violations else EXIT_FAILED

    return await _with_services(config, check)


async def _ledger_reverse(config: Config, args: argparse.Namespace) -> int:
    """A correction: a new transaction mirroring the wrong one, with the reason recorded."""
    async def reverse(services: Services) -> int:
        from bot.services.ledger import InsufficientCredit, Ledger, ReversalRefused

        if not args.reason.strip():
            print("coprod-bot: --reason must say why the transaction is reversed", file=sys.stderr)
            return EXIT_USAGE
        try:
            async with services.db.transaction() as session:
                posted = await Ledger(config.ledger).reverse(
                    session, transaction_id=args.transaction_id, reason=args.reason.strip(),
                    idempotency_key=f"cli-reverse:{args.transaction_id}", now=services.clock.now(),
                    actor_member_id=None)
        except ReversalRefused as refused:
            print(f"coprod-bot: {refused}", file=sys.stderr)
            return EXIT_USAGE
        except InsufficientCredit as refused:
            print(f"coprod-bot: reversing would take account {refused.account_id} below its floor "
                  f"(balance {refused.balance_minutes} minutes)", file=sys.stderr)
            return EXIT_USAGE
        done = "reversed" if posted.created else "was already reversed by"
        print(f"transaction {args.transaction_id} {done} transaction {posted.transaction_id}")
        return 0

    return await _with_services(config, reverse)


async def _summary(config: Config, args: argparse.Namespace) -> int:
    """One week's summary from the shell, in a language and a format, to a file or stdout."""
    from bot.i18n import translator
    from bot.reports.files import Format, file_name, render
    from bot.services.summary.model import ScopeKind
    from bot.services.summary.service import SummaryService
    from bot.services.summary.weeks import BadWeek, IsoWeek

    try:
        week = IsoWeek.parse(args.week)
    except BadWeek as error:
        print(f"coprod-bot: --week: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.organisation and args.neighbourhood:
        print("coprod-bot: give --organisation or --neighbourhood, not both", file=sys.stderr)
        return EXIT_USAGE

    async def write(services: Services) -> int:
        summaries = SummaryService(services.db, config, services.clock)
        kind = (ScopeKind.ORGANISATION if args.organisation else ScopeKind.NEIGHBOURHOOD if args.neighbourhood
                else ScopeKind.SCHEME)
        scope = await summaries.scope(kind, args.organisation or args.neighbourhood)
        if scope is None:
            option = "--organisation" if args.organisation else "--neighbourhood"
            print(f"coprod-bot: {option}: no {kind.value} with slug {args.organisation or args.neighbourhood!r}",
                  file=sys.stderr)
            return EXIT_USAGE
        t = translator(args.language or config.scheme.default_language, config.tz)
        summary = await summaries.build(scope, week)
        format_ = Format(args.format)
        content = render(t, summary, format_)
        if args.output == "-" or (args.output is None and format_ in (Format.TEXT, Format.CSV)):
            sys.stdout.buffer.write(content)
            sys.stdout.flush()
            return 0
        path = Path(args.output or file_name(t, summary, format_))
        path.write_bytes(content)
        print(f"wrote {path}")
        return 0

    return await _with_services(config, write)


async def _i18n(config: Config, args: argparse.Namespace) -> int:
    from bot.i18n_tools import update_catalogues

    return update_catalogues(check_only=args.check)


# --------------------------------------------------------------------------- parser


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coprod-bot", description="A bilingual timebank bot for Telegram.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=None, help="configuration file (default: config.toml if present)")
    common.add_argument("--verbose", "-v", action="store_true", help="log more")
    commands = parser.add_subparsers(title="commands")

    run = commands.add_parser("run", parents=[common], help="run the bot against Telegram (long polling)")
    run.add_argument("--role", choices=["all", "ingress", "worker"], default="all",
                     help="ingress: take members' updates in; worker: scheduled jobs and sending (one leader per "
                          "database); all: both (default)")
    run.set_defaults(action=_run)

    serve = commands.add_parser("serve", parents=[common],
                                help="run a webhook replica ([webhook] in the config; several may share a database)")
    serve.add_argument("--role", choices=["all", "ingress"], default="all",
                       help="all: also stand for the worker lease (default); ingress: take updates only")
    serve.set_defaults(action=_serve)

    demo = commands.add_parser("demo", parents=[common], help="a local demo: emulator, bot and a terminal chat")
    demo.add_argument("--database", default=None, help="SQLite file for the demo (default: a fresh temporary one)")
    demo.add_argument("--script", default=None, help="read the chat from this file instead of the keyboard")
    demo.set_defaults(action=_demo)

    db = commands.add_parser("db", help="database maintenance").add_subparsers(title="db commands")
    db_upgrade = db.add_parser("upgrade", parents=[common], help="apply migrations")
    db_upgrade.set_defaults(action=_db_upgrade)

    for name in ("grant", "revoke"):
        grant = commands.add_parser(name, parents=[common], help=f"{name} a role")
        grant.add_argument("role", choices=["coordinator", "staff", "partner", "admin"])
        grant.add_argument("telegram_user_id", type=int)
        grant.add_argument("--organisation", default=None, help="organisation slug (all roles but admin)")
        grant.set_defaults(action=_grant, command=name)

    ledger = commands.add_parser("ledger", help="ledger tools").add_subparsers(title="ledger commands")
    check = ledger.add_parser("check", parents=[common], help="verify every ledger invariant")
    check.set_defaults(action=_ledger_check)
    reverse = ledger.add_parser("reverse", parents=[common], help="correct a transaction by reversing it")
    reverse.add_argument("transaction_id", type=int)
    reverse.add_argument("--reason", required=True, help="why: kept with the reversal")
    reverse.set_defaults(action=_ledger_reverse)

    summary = commands.add_parser("summary", parents=[common], help="one week's summary (figures, files)")
    summary.add_argument("--week", required=True, help="an ISO week such as 2026-W48 (Monday to Sunday, scheme time)")
    summary.add_argument("--organisation", default=None, help="one organisation (slug)")
    summary.add_argument("--neighbourhood", default=None, help="one neighbourhood (slug)")
    summary.add_argument("--language", choices=["cy", "en"], default=None,
                         help="default: the scheme's default language")
    summary.add_argument("--format", choices=["text", "csv", "xlsx", "png"], default="text")
    summary.add_argument("--output", default=None,
                         help="file to write (- for stdout; default: stdout for text and csv, else a file named "
                              "for the week)")
    summary.set_defaults(action=_summary)

    i18n = commands.add_parser("i18n", parents=[common],
                               help="extract strings, update the en and cy catalogues, compile them")
    i18n.add_argument("--check", action="store_true", help="only report drift; change nothing")
    i18n.set_defaults(action=_i18n)
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
