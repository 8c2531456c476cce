"""The leader a turn belongs to, set by the bot service before the dialogs run."""

from __future__ import annotations

from botbuilder.core import TurnContext

LEADER_KEY = "lederavtale.leader_id"


class NoLeaderError(RuntimeError):
    """The dialogs were run without a leader identified for the turn."""


def set_leader(turn_context: TurnContext, leader_id: int) -> None:
    """Record which imported leader is speaking in this turn."""
    if isinstance(leader_id, bool) or not isinstance(leader_id, int):
        raise TypeError(f"leader_id must be an int, not {type(leader_id).__name__}")
    turn_context.turn_state[LEADER_KEY] = leader_id


def current_leader_id(turn_context: TurnContext) -> int:
    """The leader speaking in this turn; raises NoLeaderError when none was set."""
    leader_id = turn_context.turn_state.get(LEADER_KEY)
    if leader_id is None:
        raise NoLeaderError("no leader set for this turn; call dialogs.context.set_leader first")
    return leader_id
