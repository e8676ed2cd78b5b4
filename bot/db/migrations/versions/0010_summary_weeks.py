"""weekly summaries: closed weeks' figures stored once, kept exactly right by triggers

`summary_week` holds a closed week's figures per scope; `summary_week_stamp` counts the
changes to each week's records. The triggers below bump the generation of the week a
changed row belongs to (by its UTC date: the local week is never earlier, and a stored
week is valid only while the generations of it and every week before it are unchanged,
so bumping the UTC date's week is enough). Rows that are stamped "now" by the services
(vouchers issued, ledger transactions, bookings of future shifts) bump only when they
land in the past: more than an hour before the database's clock, or in a stored week;
so the day-to-day writes do not all queue on one row; on PostgreSQL time entries too
(bumping only for days of weeks that may have closed), and the triggers run at commit.

Revision ID: 0010
Revises: 0009
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

EVERY_WEEK = "1970-01-05"  # a Monday before any record: bumping it changes every week's stamp

# (table, event, the moment or day whose week changes, when) for the triggers; OLD/NEW as each event has.
# A moment is a UTC timestamp column, a day a date column.
_IN_PAST = "({moment} < {hour_ago} OR EXISTS (SELECT 1 FROM summary_week WHERE ends_at > {moment}))"


def _sqlite_triggers() -> list[str]:
    def bump(day: str) -> str:
        return (f"INSERT INTO summary_week_stamp (monday, generation) VALUES (date({day}, 'weekday 0', '-6 days'), 1) "
                "ON CONFLICT (monday) DO UPDATE SET generation = generation + 1;")

    hour_ago = "strftime('%Y-%m-%d %H:%M:%f', 'now', '-1 hour')"

    def past(moment: str) -> str:
        return _IN_PAST.format(moment=moment, hour_ago=hour_ago)

    shift_start = "(SELECT starts_at FROM shift WHERE id = {row}.shift_id)"
    triggers: list[tuple[str, str, str, str]] = []  # name, event, when, body
    triggers += [("time_entry_ins", "INSERT ON time_entry", "", bump("NEW.worked_on")),
                 ("time_entry_upd", "UPDATE ON time_entry", "", bump("OLD.worked_on") + bump("NEW.worked_on")),
                 ("time_entry_del", "DELETE ON time_entry", "", bump("OLD.worked_on"))]
    for event, row in (("INSERT", "NEW"), ("DELETE", "OLD")):
        triggers.append((f"shift_{event[:3].lower()}", f"{event} ON shift", past(f"{row}.starts_at"),
                         bump(f"{row}.starts_at")))
        start = shift_start.format(row=row)
        triggers.append((f"shift_signup_{event[:3].lower()}", f"{event} ON shift_signup",
                         past(start), bump(start)))
        triggers.append((f"voucher_{event[:3].lower()}", f"{event} ON voucher", past(f"{row}.issued_at"),
                         bump(f"{row}.issued_at")))
    triggers += [
        ("shift_upd", "UPDATE ON shift", f"{past('OLD.starts_at')} OR {past('NEW.starts_at')}",
         bump("OLD.starts_at") + bump("NEW.starts_at")),
        ("shift_signup_upd", "UPDATE ON shift_signup", past(shift_start.format(row="NEW")),
         bump(shift_start.format(row="NEW"))),
        # Spent counts from the issue; expired from the expiry, once its status says so.
        ("voucher_upd", "UPDATE ON voucher",
         "(OLD.status = 'expired') <> (NEW.status = 'expired') OR OLD.issued_at <> NEW.issued_at "
         "OR OLD.expires_at <> NEW.expires_at OR OLD.cost_minutes <> NEW.cost_minutes "
         "OR OLD.spend_opportunity_id <> NEW.spend_opportunity_id",
         bump("OLD.issued_at") + bump("NEW.issued_at") + bump("OLD.expires_at") + bump("NEW.expires_at")),
        ("ledger_transaction_ins", "INSERT ON ledger_transaction", past("NEW.created_at"),
         bump("NEW.created_at")),
        ("member_upd", "UPDATE ON member", "OLD.neighbourhood_id IS NOT NEW.neighbourhood_id", bump(f"'{EVERY_WEEK}'")),
        ("member_del", "DELETE ON member", "", bump(f"'{EVERY_WEEK}'")),
        ("activity_type_upd", "UPDATE ON activity_type",
         "OLD.slug <> NEW.slug OR OLD.replaces_reduced_service IS NOT NEW.replaces_reduced_service",
         bump(f"'{EVERY_WEEK}'")),
        ("organisation_upd", "UPDATE ON organisation", "OLD.slug <> NEW.slug", bump(f"'{EVERY_WEEK}'")),
        ("neighbourhood_upd", "UPDATE ON neighbourhood", "OLD.slug <> NEW.slug", bump(f"'{EVERY_WEEK}'")),
        ("spend_opportunity_upd", "UPDATE ON spend_opportunity", "OLD.kind <> NEW.kind", bump(f"'{EVERY_WEEK}'")),
    ]
    return [f"CREATE TRIGGER summary_{name} AFTER {event} FOR EACH ROW {'WHEN ' + when if when else ''} "
            f"BEGIN {body} END" for name, event, when, body in triggers]


SQLITE_NAMES = ["time_entry_ins", "time_entry_upd", "time_entry_del", "shift_ins", "shift_signup_ins", "voucher_ins",
                "shift_del", "shift_signup_del", "voucher_del", "shift_upd", "shift_signup_upd", "voucher_upd",
                "ledger_transaction_ins", "member_upd", "member_del", "activity_type_upd", "organisation_upd",
                "neighbourhood_upd", "spend_opportunity_upd"]

_PG_FUNCTIONS = {
    # table: (events, body)
    "time_entry": ("INSERT OR UPDATE OR DELETE", """
        IF TG_OP <> 'INSERT' AND summary_day_in_past(OLD.worked_on) THEN PERFORM summary_week_bump(OLD.worked_on); END IF;
        IF TG_OP <> 'DELETE' AND summary_day_in_past(NEW.worked_on) THEN PERFORM summary_week_bump(NEW.worked_on); END IF;"""),
    "shift": ("INSERT OR UPDATE OR DELETE", """
        IF TG_OP <> 'INSERT' AND summary_in_past(OLD.starts_at) THEN PERFORM summary_week_bump(OLD.starts_at); END IF;
        IF TG_OP <> 'DELETE' AND summary_in_past(NEW.starts_at) THEN PERFORM summary_week_bump(NEW.starts_at); END IF;"""),
    "shift_signup": ("INSERT OR UPDATE OR DELETE", """
        SELECT starts_at INTO starts FROM shift
         WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.shift_id ELSE NEW.shift_id END;
        IF starts IS NOT NULL AND summary_in_past(starts) THEN PERFORM summary_week_bump(starts); END IF;"""),
    "voucher": ("INSERT OR UPDATE OR DELETE", """
        IF TG_OP = 'UPDATE' THEN
            IF (OLD.status = 'expired') <> (NEW.status = 'expired') OR OLD.issued_at <> NEW.issued_at
               OR OLD.expires_at <> NEW.expires_at OR OLD.cost_minutes <> NEW.cost_minutes
               OR OLD.spend_opportunity_id <> NEW.spend_opportunity_id THEN
                PERFORM summary_week_bump(OLD.issued_at); PERFORM summary_week_bump(NEW.issued_at);
                PERFORM summary_week_bump(OLD.expires_at); PERFORM summary_week_bump(NEW.expires_at);
            END IF;
        ELSIF TG_OP = 'INSERT' THEN
            IF summary_in_past(NEW.issued_at) THEN PERFORM summary_week_bump(NEW.issued_at); END IF;
        ELSIF summary_in_past(OLD.issued_at) THEN PERFORM summary_week_bump(OLD.issued_at);
        END IF;"""),
    "ledger_transaction": ("INSERT", """
        IF summary_in_past(NEW.created_at) THEN PERFORM summary_week_bump(NEW.created_at); END IF;"""),
    "member": ("UPDATE OR DELETE", f"""
        IF TG_OP = 'DELETE' OR OLD.neighbourhood_id IS DISTINCT FROM NEW.neighbourhood_id THEN
            PERFORM summary_week_bump(DATE '{EVERY_WEEK}');
        END IF;"""),
    "activity_type": ("UPDATE", f"""
        IF OLD.slug <> NEW.slug OR OLD.replaces_reduced_service IS DISTINCT FROM NEW.replaces_reduced_service THEN
            PERFORM summary_week_bump(DATE '{EVERY_WEEK}');
        END IF;"""),
    "organisation": ("UPDATE", f"""
        IF OLD.slug <> NEW.slug THEN PERFORM summary_week_bump(DATE '{EVERY_WEEK}'); END IF;"""),
    "neighbourhood": ("UPDATE", f"""
        IF OLD.slug <> NEW.slug THEN PERFORM summary_week_bump(DATE '{EVERY_WEEK}'); END IF;"""),
    "spend_opportunity": ("UPDATE", f"""
        IF OLD.kind <> NEW.kind THEN PERFORM summary_week_bump(DATE '{EVERY_WEEK}'); END IF;"""),
}


def _postgres_triggers() -> list[str]:
    statements = [
        """CREATE FUNCTION summary_week_bump(day date) RETURNS void AS $$
            INSERT INTO summary_week_stamp (monday, generation) VALUES (date_trunc('week', day)::date, 1)
            ON CONFLICT (monday) DO UPDATE SET generation = summary_week_stamp.generation + 1
        $$ LANGUAGE sql""",
        """CREATE FUNCTION summary_week_bump(moment timestamptz) RETURNS void AS $$
            SELECT summary_week_bump((moment AT TIME ZONE 'UTC')::date)
        $$ LANGUAGE sql""",
        """CREATE FUNCTION summary_in_past(moment timestamptz) RETURNS boolean AS $$
            SELECT moment < now() - interval '1 hour' OR EXISTS (SELECT 1 FROM summary_week WHERE ends_at > moment)
        $$ LANGUAGE sql STABLE""",
        # A day of a week that may have closed (before this UTC week, two hours' grace for
        # British Summer Time's Sunday 23:00 UTC midnight), or of one stored.
        """CREATE FUNCTION summary_day_in_past(day date) RETURNS boolean AS $$
            SELECT day < date_trunc('week', now() + interval '2 hours')::date
                OR EXISTS (SELECT 1 FROM summary_week WHERE ends_at > (day::timestamp AT TIME ZONE 'UTC'))
        $$ LANGUAGE sql STABLE""",
    ]
    for table, (events, body) in _PG_FUNCTIONS.items():
        declare = "DECLARE starts timestamptz;" if table == "shift_signup" else ""
        statements.append(f"CREATE FUNCTION summary_{table}_changed() RETURNS trigger AS $$ {declare} "
                          f"BEGIN {body} RETURN NULL; END; $$ LANGUAGE plpgsql")
        # Deferred to the commit: the stamp row is locked last, after every row the transaction
        # changes, so two approvals of one week's hours never deadlock over it and its entries.
        statements.append(f"CREATE CONSTRAINT TRIGGER summary_{table}_changed AFTER {events} ON {table} "
                          f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION summary_{table}_changed()")
    return statements


def upgrade() -> None:
    op.create_table(
        "summary_week",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("scope_kind", sa.String(length=32), nullable=False),
        sa.Column("scope_id", sa.Integer(), nullable=True),
        sa.Column("ends_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("stamp", sa.Integer(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("built_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_summary_week")),
    )
    op.create_index("uq_summary_week_week_scope", "summary_week",
                    ["week", "scope_kind", sa.text("coalesce(scope_id, 0)")], unique=True)
    op.create_index("ix_summary_week_ends_at", "summary_week", ["ends_at"])
    op.create_table(
        "summary_week_stamp",
        sa.Column("monday", sa.Date(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("monday", name=op.f("pk_summary_week_stamp")),
    )
    op.drop_index("ix_member_neighbourhood_id", table_name="member")
    op.create_index("ix_member_neighbourhood_registered", "member", ["neighbourhood_id", "registered_at", "erased_at"])
    op.create_index("ix_voucher_status_offer_issued_at", "voucher",
                    ["status", "spend_opportunity_id", "issued_at", "cost_minutes"])
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in _postgres_triggers() if postgres else _sqlite_triggers():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in _PG_FUNCTIONS:
            op.execute(f"DROP TRIGGER IF EXISTS summary_{table}_changed ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS summary_{table}_changed()")
        op.execute("DROP FUNCTION IF EXISTS summary_day_in_past(date)")
        op.execute("DROP FUNCTION IF EXISTS summary_in_past(timestamptz)")
        op.execute("DROP FUNCTION IF EXISTS summary_week_bump(timestamptz)")
        op.execute("DROP FUNCTION IF EXISTS summary_week_bump(date)")
    else:
        for name in SQLITE_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS summary_{name}")
    op.drop_index("ix_voucher_status_offer_issued_at", table_name="voucher")
    op.drop_index("ix_member_neighbourhood_registered", table_name="member")
    op.create_index("ix_member_neighbourhood_id", "member", ["neighbourhood_id"])
    op.drop_table("summary_week_stamp")
    op.drop_index("ix_summary_week_ends_at", table_name="summary_week")
    op.drop_index("uq_summary_week_week_scope", table_name="summary_week")
    op.drop_table("summary_week")
