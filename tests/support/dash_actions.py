"""What a browser posts to Dash's callback endpoint when an operator clicks an action on the operational page, for
tests that post it by hand (with or without a session cookie)."""

from __future__ import annotations

from datetime import date
from typing import Any

ENDPOINT = "/_dash-update-component"
ACTION_OUTPUTS = ("operational-action-message", "operational-job")
BUTTONS = ("operational-async", "operational-sync")


def action_output(callbacks: list[dict[str, Any]]) -> str:
    """The action callback's output key among `/_dash-dependencies`' callbacks."""
    (found,) = [cb["output"] for cb in callbacks if all(f"{out}." in cb["output"] for out in ACTION_OUTPUTS)]
    return found


def action_payload(output: str, button: str, dataset: str, first: date, last: date) -> dict[str, Any]:
    """The request body of a click on `button` (operational-async | operational-sync) with the form's values."""
    clicks = {name: (1 if name == button else None) for name in BUTTONS}
    return {
        "output": output,
        "outputs": [{"id": name, "property": prop} for name, prop in zip(ACTION_OUTPUTS, ("children", "data"))],
        "inputs": [{"id": name, "property": "n_clicks", "value": value} for name, value in clicks.items()],
        "changedPropIds": [f"{button}.n_clicks"],
        "state": [{"id": "operational-dataset", "property": "value", "value": dataset},
                  {"id": "operational-days", "property": "value", "value": [first.isoformat(), last.isoformat()]}],
    }


def alert_text(response: dict[str, Any]) -> str:
    """The action message's content in a callback response (`response` of the JSON answer), as text."""
    return str(response["operational-action-message"]["children"])
