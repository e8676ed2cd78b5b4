"""The one place that puts every handler together: each feature module's router,
composed into one registry in a fixed order, and installed into the Application.

Nothing is registered by importing a module; a command, button prefix, dialogue step or
deep link declared twice stops the bot here, at start-up.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import Application

from handlers import (
    account,
    admin,
    approvals,
    attendance,
    broadcasts,
    coordinating,
    credits,
    dbs_activities,
    hours,
    notifications,
    offers,
    registration,
    reminders,
    rota,
    settings,
    shift_authoring,
    shift_editing,
    shifts,
    spending,
    summaries,
)
from handlers.dispatcher import install
from handlers.routing import Registry, Router

__all__ = ["build_registry", "notifications", "register"]


def routers() -> list[Router]:
    return [
        registration.router, account.router, shifts.router, hours.router, approvals.router, credits.router,
        spending.router, shift_authoring.router, shift_editing.router, attendance.router, dbs_activities.router,
        coordinating.router, admin.router, offers.router, rota.router,
        settings.router, broadcasts.router, summaries.router, reminders.router,
    ]


def build_registry(extra: list[Router] | None = None) -> Registry:
    """Every declared handler; raises DuplicateRegistration if two declare the same thing."""
    return Registry([*routers(), *(extra or [])])


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    install(application, build_registry())
