"""A write the storage cannot take (a full disk) fails the run, whole batches stay whole, and
the next run finishes the work."""

from __future__ import annotations

import random
import string

import pytest

from extractors.errors import StorageWriteFailed
from flows.ingest import ingest
from tests.support.dumps import write_dumps
from tests.support.warehouse import file_size_limit, rows, table_counts

pytestmark = pytest.mark.usefixtures("prefect_engine")


def inputs_with_a_big_story(directory):
    """Six stories; the fifth carries 3 MB of text no compression shrinks below 1 MB."""
    write_dumps(directory, 6)
    rng = random.Random(5)
    words = " ".join("".join(rng.choices(string.ascii_lowercase, k=8)) for _ in range(330_000))
    story = directory / "story_004.txt"
    lines = story.read_text(encoding="utf-8").split("\n")
    story.write_text("\n".join([*lines[:3], words.capitalize() + ".", "", *lines[3:]]), encoding="utf-8")


def test_a_full_disk_fails_the_run_keeps_batches_whole_and_the_next_run_finishes(db_path, tmp_path):
    inputs_with_a_big_story(tmp_path / "inputs")
    ingest(paths=[str(tmp_path / "inputs")], db_path=str(db_path), batch_size=3)  # creates the lake
    expected = table_counts(db_path)
    fresh = tmp_path / "again" / "newsmon.sqlite"
    ingest(paths=[str(tmp_path / "inputs" / f"story_00{i}.txt") for i in range(3)], db_path=str(fresh))

    # The first batch fits under 1 MB per file; the second's big story cannot be written.
    with file_size_limit(1 * 2**20), pytest.raises(StorageWriteFailed, match="nothing of this batch was kept"):
        ingest(paths=[str(tmp_path / "inputs")], db_path=str(fresh), batch_size=3)
    assert rows(
        fresh, "SELECT status, coalesce(error, '') LIKE '%StorageWriteFailed%' FROM runs ORDER BY started_at"
    ) == [
        ("completed", False),
        ("failed", True),
    ]
    assert rows(fresh, "SELECT count(*) FROM articles") == [(3,)]  # the second batch: none of it
    assert rows(fresh, "SELECT count(*) FROM rejects") == [(0,)]  # no input blamed

    ingest(paths=[str(tmp_path / "inputs")], db_path=str(fresh), batch_size=3)  # room again
    assert table_counts(fresh) == expected
