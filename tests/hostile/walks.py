"""How a member reaches each text step of each dialogue through the real dialogue.

A walk is what the member does, in order: text to send, or a button to press on the
newest message that has it ("@prefix", "@prefix~label" for a label containing words,
"@prefix=suffix" for data ending in `suffix`). "{shift}" and "{sam}" stand for the
Splott shift's id and Sam's member number. Every walk is the Welsh admin's (Ceri, who
holds every role) except registration's, which is a newcomer's.

`test_every_text_step_has_a_walk` fails when the registry gains a step not listed here.
"""

from __future__ import annotations

from tests.hostile.conftest import World, sams_hours, settle

NEWSHIFT = ["/newshift", "@nsh-act~Hyb", "@nsh-hood~Sblot"]
NEWSHIFT_DAY = [*NEWSHIFT, "Neuadd", "Heol y Bont 1", "12/12"]
NEWSHIFT_DESCRIBED = [*NEWSHIFT_DAY, "10:00-12:00", "3", "2", "@nsh-dbs=0"]
EDIT = ["/start shift_{shift}", "@shc-edit"]
LOG = ["/log", "@log-act~Hyb", "@log-org~Sblot", "6/12"]
GROUP = ["/groupcredit", "@gc-act~Hyb", "@gc-org", "6/12"]
OFFER = ["/offers", "@off-a", "@off-o~Sblot", "@off-k"]
OFFER_EDIT = ["/offers", "@off-c", "@off-e"]

WALKS: dict[tuple[str, str], list[str]] = {
    ("register", "name"): ["/start", "@reg-lang~Cymraeg", "@reg-consent"],
    ("give", "recipient"): ["/give"],
    ("give", "amount"): ["/give", "{sam}"],
    ("log", "date"): LOG[:-1],
    ("log", "minutes"): LOG,
    ("log", "note"): [*LOG, "2"],
    ("groupcredit", "date"): GROUP[:-1],
    ("groupcredit", "minutes"): GROUP,
    ("groupcredit", "attendees"): [*GROUP, "2"],
    ("people", "name"): ["/people", "@ppl-add"],
    ("redeem", "code"): ["/redeem"],
    ("reject", "reason"): ["/approvals", "@appr~Gwrthod"],
    ("broadcast", "cy"): ["/broadcast"],
    ("broadcast", "en"): ["/broadcast", "Neges i bawb"],
    ("newshift", "venue"): NEWSHIFT,
    ("newshift", "address"): [*NEWSHIFT, "Neuadd"],
    ("newshift", "date"): NEWSHIFT_DAY[:-1],
    ("newshift", "times"): NEWSHIFT_DAY,
    ("newshift", "end"): [*NEWSHIFT_DAY[:-1], "12/12 10:00"],
    ("newshift", "capacity"): [*NEWSHIFT_DAY, "10:00-12:00"],
    ("newshift", "minimum"): [*NEWSHIFT_DAY, "10:00-12:00", "3"],
    ("newshift", "description_en"): NEWSHIFT_DESCRIBED,
    ("newshift", "description_cy"): [*NEWSHIFT_DESCRIBED, "Serve lunch"],
    ("newshift", "repeat"): [*NEWSHIFT_DESCRIBED, "Serve lunch", "Gweini cinio"],
    ("editshift", "date"): [*EDIT, "@shc-field=date"],
    ("editshift", "times"): [*EDIT, "@shc-field=date", "13/12"],
    ("editshift", "end"): [*EDIT, "@shc-field=date", "13/12 10:00"],
    ("editshift", "done:times"): [*EDIT, "@shc-field=date", "13/12 10:00-12:00"],
    ("editshift", "done:end"): [*EDIT, "@shc-field=date", "13/12 10:00", "12:00"],
}
for _field, _value in (("venue", "Neuadd"), ("capacity", "4"), ("description_en", "Serve lunch"),
                       ("description_cy", "Gweini cinio")):
    WALKS[("editshift", _field)] = [*EDIT, f"@shc-field={_field}"]
    WALKS[("editshift", f"done:{_field}")] = [*EDIT, f"@shc-field={_field}", _value]
_OFFER_ANSWERS = [("name_en", "Swim"), ("name_cy", "Nofio"), ("description_en", "A swim"),
                  ("description_cy", "Nofio"), ("venue", "Pwll"), ("price", "1"), ("limit", "2")]
for _index, (_field, _value) in enumerate(_OFFER_ANSWERS):
    WALKS[("offer-add", _field)] = [*OFFER, *(value for _name, value in _OFFER_ANSWERS[:_index])]
    WALKS[("offer-edit", _field)] = [*OFFER_EDIT, f"@off-f={_field}"]

NEWCOMERS = iter(range(7100, 7999))  # registration's walkers: a new one each time one registers


async def act(world: World, user, action: str) -> None:  # noqa: ANN001
    """One step of a walk, and the bot's answer to it read."""
    action = action.format(shift=world.shift_id, sam=world.sam_id)
    if not action.startswith("@"):
        await user.send_text(action)
    else:
        data = _button(user, action[1:])
        await user.press_data(data[0], data[1])
    await settle(world, user)


def _button(user, wanted: str) -> tuple[int, str]:  # noqa: ANN001
    prefix, _, label = wanted.partition("~")
    prefix, _, suffix = prefix.partition("=")
    for message in reversed(user.messages):
        for row in message.buttons:
            for button in row:
                data = button.callback_data or ""
                if (data == prefix or data.startswith(prefix + ":")) and label in button.text \
                        and data.endswith(suffix):
                    return message.message_id, data
    shown = [message.describe() for message in user.messages[-3:]]
    raise AssertionError(f"the walk wants a button {wanted!r}, but the chat shows {shown}")


async def reach(world: World, flow: str, step: str):  # noqa: ANN201
    """The member now at (flow, step), walking there again only if they are elsewhere."""
    user = world.walker
    dialogue = await world.bot.services.dialogues.get(user.chat_id)
    if dialogue is not None and (dialogue.flow, dialogue.step) == (flow, step):
        return user
    if (flow, step) != ("register", "name"):
        user = world.walker = world.ceri
    elif user is world.ceri or dialogue is None or dialogue.flow != "register":
        user = world.walker = world.bot.user(next(NEWCOMERS), "Newydd", language_code="cy")
    await act(world, user, "/cancel")
    if flow == "reject":
        await sams_hours(world)  # the last entry was rejected, with a hostile reason
    for action in WALKS[(flow, step)]:
        await act(world, user, action)
    dialogue = await world.bot.services.dialogues.get(user.chat_id)
    assert dialogue is not None and (dialogue.flow, dialogue.step) == (flow, step), \
        f"the walk to {flow}/{step} ended at {dialogue}: fix WALKS"
    return user
