"""Shifts behind one name: coordinators author them, members find and book them, and
the clock queues what is due.

Each part has its own module and reason to change: `shift_authoring` (create, edit,
cancel), `shift_queries` (read models), `shift_booking` (the sign-up and waitlist
concurrency core), `shift_notices` (reminders and attendance prompts), with the rules
that need no database in `shift_rules`. Result and refusal types are imported from
those modules. This facade exists because callers (handlers, privacy, the demo, the
clock job) speak of "shifts" as one thing and use several parts each; it holds no
logic, only the parts and their public calls.
"""

from __future__ import annotations

from bot.clock import Clock
from bot.config import Config
from bot.db.session import Database
from bot.services.shift_authoring import ShiftAuthoring
from bot.services.shift_booking import ShiftBooking
from bot.services.shift_notices import ShiftNotices
from bot.services.shift_queries import ShiftQueries


class ShiftService:
    def __init__(self, db: Database, config: Config, clock: Clock) -> None:
        self.booking = ShiftBooking(db, config, clock)
        self.authoring = ShiftAuthoring(db, config, clock, self.booking)
        self.queries = ShiftQueries(db, config, clock)
        self.notices = ShiftNotices(db, config, clock)

        self.create_shifts = self.authoring.create_shifts
        self.edit_shift = self.authoring.edit_shift
        self.cancel_shift = self.authoring.cancel_shift

        self.list_upcoming = self.queries.list_upcoming
        self.shift_card = self.queries.shift_card
        self.my_shifts = self.queries.my_shifts

        self.sign_up = self.booking.sign_up
        self.join_waitlist = self.booking.join_waitlist
        self.leave = self.booking.leave
        self.decline_promotion = self.booking.decline_promotion
        self.withdraw_member = self.booking.withdraw_member

        self.queue_due = self.notices.queue_due
        self.queue_due_reminders = self.notices.queue_due_reminders
        self.queue_attendance_prompts = self.notices.queue_attendance_prompts
        self.queue_below_minimum = self.notices.reminders.queue_below_minimum
