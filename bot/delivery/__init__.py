"""The delivery engine: bulk sends (the outbox) paced under Telegram's flood limits,
beside the answers to members' own updates, which never wait behind them.

`pacing` decides when each bulk send may go (pure, clock passed in); `outcomes` is the
contract between the dispatcher and whatever speaks to Telegram; `dispatcher` claims
rows, paces, sends concurrently and records what happened. Nothing here but `lanes`
imports telegram.
"""
