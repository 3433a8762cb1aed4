-- Adaptive polling, explained: every poll of a source (feed, sitemap, section page) and the
-- decision it led to, and each source's current state, so ops never need raw SQL on `urls`.

-- One row per poll of a source. A log: it grows with every poll, by design.
CREATE TABLE polls (
    url                 VARCHAR NOT NULL,   -- the source polled (canonical)
    source_name         VARCHAR,            -- its watchlist name; NULL for a source given to `ingest`
    run_id              VARCHAR NOT NULL,
    polled_at           TIMESTAMP NOT NULL,
    status              INTEGER,            -- HTTP status; NULL when no response arrived
    outcome             VARCHAR NOT NULL,   -- listed | not_modified | refused | failed
    error_reason        VARCHAR,            -- as in urls.last_error; NULL after a success
    items_listed        INTEGER,            -- links the source listed; NULL when not read (304, failure)
    items_new           INTEGER,            -- of those, links not known before
    share_seen          DOUBLE,             -- (listed - new) / listed, 0..1; 1 for a 304 or an empty listing
    interval_before_min DOUBLE NOT NULL,    -- the source's adaptive interval before this poll
    interval_after_min  DOUBLE NOT NULL,    -- and after it
    next_poll_at        TIMESTAMP NOT NULL,
    reason              VARCHAR NOT NULL    -- the decision in words: "78% seen: slower"
);

-- A source's current adaptive poll interval (NULL: not polled yet: its poll_interval_min).
ALTER TABLE urls ADD COLUMN adaptive_interval_min DOUBLE;

-- Each watched source as it stands: its interval now, its last poll and why, when it is next due.
CREATE OR REPLACE VIEW source_status AS
WITH last_poll AS (
    SELECT url, outcome, reason
    FROM polls
    QUALIFY row_number() OVER (PARTITION BY url ORDER BY polled_at DESC) = 1
)
SELECT
    s.name,
    s.kind,
    s.url,
    s.active,
    s.poll_interval_min                                                       AS start_interval_min,
    coalesce(u.adaptive_interval_min, u.poll_interval_min, s.poll_interval_min) AS interval_min,
    u.last_fetched_at,
    u.last_status,
    u.last_error,
    p.outcome                                                                 AS last_outcome,
    p.reason                                                                  AS last_reason,
    coalesce(u.consecutive_failures, 0)                                       AS consecutive_failures,
    u.next_fetch_at                                                           AS next_poll_at
FROM sources s
LEFT JOIN urls u ON u.url = s.url
LEFT JOIN last_poll p ON p.url = s.url;
