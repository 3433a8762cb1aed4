"""The run-summary artifact a flow run published, read back through the Prefect API."""

from __future__ import annotations


def run_summary_markdown(run_id: str, key: str = "ingest-run-summary") -> str:
    """The markdown of the one `key` artifact that names `run_id` (fails if there is not exactly one)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
    [markdown] = [a.data for a in artifacts if run_id in (a.data or "")]
    return markdown
