# Tables beside bot/db/models.py live in modules of their own; importing them here puts
# them in the metadata whenever any part of bot.db is imported (Alembic's env, the tests'
# table list), whichever module a caller imported first.
from bot.db import (
    broadcast_models as broadcast_models,
    member_settings_models as member_settings_models,
    runtime_models as runtime_models,
    summary_models as summary_models,
)
