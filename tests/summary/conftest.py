from tests.summary.known_week import known_week

__all__ = ["known_week"]
