"""A run ends in a Prefect state that tells the truth, agreeing with its `runs` row and the command's
exit code: Completed, Completed named CompletedWithRejects, Failed named AllInputsRejected."""

from __future__ import annotations

import shutil
from collections import Counter

import pytest
from typer.testing import CliRunner

from extractors.records import RejectRecord
from flows.ingest import ingest
from flows.states import final_state, summary_of
from flows.summary import RunSummary
from newsmon.cli import Exit, app
from tests.support.seeds import SEED_000, SEED_003
from tests.support.warehouse import rows

pytestmark = pytest.mark.usefixtures("prefect_engine")


@pytest.fixture
def inputs(tmp_path):
    """Three folders: one that loads whole, one with a reject beside a good file, one all rejects."""
    clean, mixed, rejected = (tmp_path / name for name in ("clean", "mixed", "rejected"))
    for folder in (clean, mixed, rejected):
        folder.mkdir()
    shutil.copy(SEED_000, clean)
    shutil.copy(SEED_003, mixed)
    (mixed / "empty.txt").write_bytes(b"")
    (rejected / "empty.txt").write_bytes(b"")
    (rejected / "report.pdf").write_bytes(b"%PDF-1.7 ...")
    return {"clean": clean, "mixed": mixed, "rejected": rejected}


def _seen_by_the_api(state) -> tuple[str, str, str | None]:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(state.state_details.flow_run_id)
    return flow_run.state.type.value, flow_run.state.name, flow_run.state.message


@pytest.mark.parametrize(
    ("case", "state_type", "state_name", "status"),
    [
        ("clean", "COMPLETED", "Completed", "completed"),
        ("mixed", "COMPLETED", "CompletedWithRejects", "completed_with_rejects"),
        ("rejected", "FAILED", "AllInputsRejected", "failed"),
    ],
)
def test_the_final_state_in_prefect_and_the_runs_row_say_how_the_run_ended(
    inputs, db_path, case, state_type, state_name, status
):
    state = ingest(paths=[str(inputs[case])], db_path=str(db_path), return_state=True)
    summary = summary_of(state)  # also from a Failed state: the summary, not an exception
    assert isinstance(summary, RunSummary) and summary.status == status
    api_type, api_name, message = _seen_by_the_api(state)
    assert (api_type, api_name) == (state_type, state_name)
    assert f"{summary.inputs_loaded} of {summary.inputs_seen} inputs loaded" in message
    [(recorded, error)] = rows(db_path, "SELECT status, error FROM runs WHERE run_id = ?", [summary.run_id])
    assert recorded == status
    assert (error or "").startswith("AllInputsRejected: 0 of 2 inputs loaded") == (case == "rejected")


def test_a_completed_run_called_plainly_still_returns_its_summary(inputs, db_path):
    summary = ingest(paths=[str(inputs["mixed"])], db_path=str(db_path))
    assert isinstance(summary, RunSummary) and summary.status == "completed_with_rejects"


@pytest.mark.parametrize(
    ("case", "exit_code", "status"),
    [
        ("clean", Exit.OK, "completed"),
        ("mixed", Exit.SOME_REJECTED, "completed_with_rejects"),
        ("rejected", Exit.ALL_REJECTED, "failed"),
    ],
)
def test_the_command_prints_the_summary_and_exits_by_the_state(inputs, db_path, case, exit_code, status):
    result = CliRunner().invoke(app, ["ingest", str(inputs[case]), "--db", str(db_path)])
    assert result.exit_code == exit_code, result.output
    assert "inputs seen" in result.output and "articles new" in result.output
    assert ("rejected inputs" in result.output) == (case != "clean")
    assert rows(db_path, "SELECT status FROM runs") == [(status,)]


def test_bad_parameters_are_refused_before_the_run_starts(db_path):
    from prefect.exceptions import ParameterTypeError

    for bad in ({"batch_size": 0}, {"max_minutes": 0}, {"paths": []}, {"paths": [""]}, {"db_path": ""}):
        state = ingest(**({"db_path": str(db_path)} | bad), return_state=True)
        assert state.is_failed()
        with pytest.raises(ParameterTypeError):
            summary_of(state)
    assert not db_path.exists()  # no run started: no lake, no `runs` row


def test_a_bad_parameter_on_the_command_line_is_one_line_and_exit_2(db_path, tmp_path):
    result = CliRunner().invoke(app, ["ingest", str(tmp_path), "--db", str(db_path), "--max-minutes", "0"])
    assert result.exit_code == Exit.USAGE
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "max_minutes" in errors[0] and "greater than 0" in errors[0]
    assert not db_path.exists()


def _fetch_reject(url: str) -> RejectRecord:
    return RejectRecord(source=url, stage="fetch", reason="http_status", detail="HTTP 500")


@pytest.mark.parametrize(
    ("fetched", "failed", "deferred", "state_type", "state_name"),
    [
        (3, 3, 0, "FAILED", "AllFetchesFailed"),  # every source polled failed, nothing loaded
        (3, 1, 0, "COMPLETED", "CompletedWithRejects"),
        (0, 0, 2, "COMPLETED", "Completed"),  # deferred to a later run is not a failure
        (0, 0, 0, "COMPLETED", "Completed"),  # nothing was due
    ],
)
def test_a_monitor_run_fails_only_when_every_url_it_fetched_failed(fetched, failed, deferred, state_type, state_name):
    summary = RunSummary(run_id="r", db_path="lake.sqlite", sources_polled=fetched, urls_fetched=fetched)
    summary.rejects.extend(_fetch_reject(f"https://example.com/feed-{n}") for n in range(failed))
    summary.urls_deferred = Counter({"retry_after": deferred} if deferred else {})
    state = final_state(summary)
    assert (state.type.value, state.name) == (state_type, state_name)
    assert state.data is summary
