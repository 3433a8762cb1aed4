"""How a run ends in Prefect: its summary's status as a final state that tells the truth.

A flow that returns one of these states ends in it (Prefect 3.8.8 keeps a state made by hand as
given: type, name and message reach the API; the summary becomes the state's result):

- `Completed`: every input loaded;
- `Completed` named "CompletedWithRejects": some rejects, the rest loaded;
- `Failed` named "AllInputsRejected" (inputs named, none loaded) or "AllFetchesFailed" (the
  monitor: every URL it fetched failed).

The rule itself is `RunSummary.status` (flows/summary.py), which the `runs` row and the
command's exit code share. Calling such a flow returns the summary when it completed, but a
Failed one raises Prefect's TypeError ("Unexpected result for failed state": a summary is not an
exception). Call it with `return_state=True` and read the summary with `summary_of(state)`.
"""

from __future__ import annotations

from prefect.states import Completed, Failed, State

from flows.summary import RunSummary


def state_name(summary: RunSummary) -> str:
    if summary.status == "failed":
        return "AllInputsRejected" if summary.inputs_seen else "AllFetchesFailed"
    return "CompletedWithRejects" if summary.status == "completed_with_rejects" else "Completed"


def final_state(summary: RunSummary) -> State:
    """The state a flow returns to end its run as `summary` says, the summary as its data."""
    end = Failed if summary.status == "failed" else Completed
    return end(name=state_name(summary), message=summary.outcome(), data=summary)


def failure(summary: RunSummary) -> str | None:
    """`runs.error` of a run that ended failed without an exception; None otherwise."""
    return f"{state_name(summary)}: {summary.outcome()}" if summary.status == "failed" else None


def summary_of(state: State) -> RunSummary:
    """The summary a flow run ended with, whatever its state; an exception that ended the run
    instead (a run in progress, bad parameters, a damaged lake) is raised again."""
    result = state.result(raise_on_failure=False)
    if isinstance(result, BaseException):
        raise result
    return result
