"""The buttons of /broadcast and /broadcasts. Each is a hint: the broadcast service
decides every choice again against the database (reach, shift, group, whose broadcast)."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.callback_data import CallbackData


@dataclass(frozen=True)
class SkipLanguage(CallbackData, prefix="bc-skip"):
    pass


@dataclass(frozen=True)
class ToggleNeighbourhood(CallbackData, prefix="bc-n"):
    neighbourhood_id: int


@dataclass(frozen=True)
class ToggleActivity(CallbackData, prefix="bc-a"):
    activity_type_id: int


@dataclass(frozen=True)
class ToggleDbs(CallbackData, prefix="bc-d"):
    pass


@dataclass(frozen=True)
class ChooseShift(CallbackData, prefix="bc-sl"):
    pass


@dataclass(frozen=True)
class AttachShift(CallbackData, prefix="bc-s"):
    shift_id: int  # 0: none


@dataclass(frozen=True)
class ToggleGroup(CallbackData, prefix="bc-g"):
    neighbourhood_id: int


@dataclass(frozen=True)
class PreviewBroadcast(CallbackData, prefix="bc-p"):
    pass


@dataclass(frozen=True)
class BackToAudience(CallbackData, prefix="bc-b"):
    pass


@dataclass(frozen=True)
class SendBroadcast(CallbackData, prefix="bc-ok"):
    pass


@dataclass(frozen=True)
class CancelBroadcast(CallbackData, prefix="bc-x"):
    pass


@dataclass(frozen=True)
class StopBroadcast(CallbackData, prefix="bc-stop"):
    broadcast_id: int
