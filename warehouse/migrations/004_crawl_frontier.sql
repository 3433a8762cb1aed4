-- Fetching URLs: every HTTP attempt, and the frontier of URLs to (re-)fetch.

-- One row per HTTP attempt (retries and robots.txt requests included). A log: it grows with
-- every run that fetches, by design.
CREATE TABLE fetches (
    fetch_id      VARCHAR NOT NULL,
    run_id        VARCHAR NOT NULL,
    url           VARCHAR NOT NULL,   -- the URL the fetch was for (a page, feed, sitemap or robots.txt)
    final_url     VARCHAR NOT NULL,   -- where this request went (differs after redirects)
    status        INTEGER,            -- NULL when no response arrived
    content_type  VARCHAR,
    bytes         BIGINT NOT NULL,    -- decoded body bytes read
    elapsed_ms    INTEGER NOT NULL,
    attempt       INTEGER NOT NULL,   -- 1-based per redirect hop
    error_class   VARCHAR,
    error_message VARCHAR,
    etag          VARCHAR,
    last_modified VARCHAR,
    fetched_at    TIMESTAMP NOT NULL
);

-- The frontier: every canonical URL we know, where it came from and when it is due again.
CREATE TABLE urls (
    url                  VARCHAR NOT NULL,   -- canonical
    kind                 VARCHAR NOT NULL,      -- article | feed | sitemap | section
    found_via            VARCHAR NOT NULL,      -- input | feed | sitemap | page | watchlist
    found_on             VARCHAR,               -- the feed/sitemap/page it was found on
    first_seen_at        TIMESTAMP NOT NULL,
    first_run_id         VARCHAR NOT NULL,
    last_fetched_at      TIMESTAMP,
    last_status          INTEGER,
    last_error           VARCHAR,               -- reason code of the last failure, NULL after a success
    etag                 VARCHAR,               -- validators for the next conditional GET
    last_modified        VARCHAR,
    fetch_count          INTEGER NOT NULL DEFAULT 0,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    unchanged_polls      INTEGER NOT NULL DEFAULT 0,  -- 304s in a row: sources are polled less often
    next_fetch_at        TIMESTAMP,             -- NULL: not to be fetched again
    article_id           VARCHAR                -- the article this URL carried, once loaded
);
