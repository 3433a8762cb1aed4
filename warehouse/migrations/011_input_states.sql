-- Local files as last read, so a re-run skips what has not changed: same size and mtime,
-- or (after a `touch` or a copy) the same bytes, read by the same extractors. One row per
-- file path; a run that reads a file again replaces its row.
CREATE TABLE input_states (
    source            VARCHAR NOT NULL,   -- the file's path as in rejects and sightings
    size              BIGINT NOT NULL,    -- bytes on disk when read
    mtime_ns          BIGINT NOT NULL,
    content_sha256    VARCHAR NOT NULL,   -- of the bytes on disk (compressed, for a .gz)
    extractor_version VARCHAR NOT NULL,   -- which parsers read it (extractors/lineage.py)
    outcome           VARCHAR NOT NULL,   -- loaded | rejected
    run_id            VARCHAR NOT NULL,   -- the run that last read it
    read_at           TIMESTAMP NOT NULL
);

-- The body last extracted from an article URL: a re-fetch that answers 200 with the same
-- bytes is as good as a 304 and is not extracted again.
ALTER TABLE urls ADD COLUMN content_sha256 VARCHAR;
