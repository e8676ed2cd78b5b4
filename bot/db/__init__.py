# The weekly summary's table lives in a module of its own; importing it here puts it in
# the metadata whenever any part of bot.db is imported.
from bot.db import summary_models as summary_models
