-- Core tables of the warehouse. Every timestamp is UTC (TIMESTAMP without zone).
-- Column-by-column documentation: docs/schema.md. Data checks: warehouse/checks.toml.
-- DuckLake has no PRIMARY KEY, UNIQUE or indexes: each table's key is kept by the loaders
-- (anti-joins and MERGE inside the batch's transaction) and declared as a `unique` check in
-- warehouse/checks.toml, which `newsmon check` and the tests run.

-- One row per flow run; run_id is the Prefect flow-run id.
CREATE TABLE runs (
    run_id                  VARCHAR NOT NULL,
    flow_name               VARCHAR NOT NULL,
    parameters              JSON,
    started_at              TIMESTAMP NOT NULL,
    finished_at             TIMESTAMP,
    status                  VARCHAR NOT NULL,   -- running | completed | completed_with_rejects | failed
    inputs_seen             INTEGER,
    articles_new            INTEGER,
    articles_duplicate      INTEGER,
    articles_near_duplicate INTEGER,
    comments_new            INTEGER,
    comments_spam           INTEGER,
    rejects                 INTEGER,
    error                   VARCHAR
);

-- One row per distinct article (exact duplicates collapse into one row).
CREATE TABLE articles (
    article_id           VARCHAR NOT NULL,
    url                  VARCHAR,
    source_file          VARCHAR,
    title                VARCHAR,
    author               VARCHAR,
    published_at         TIMESTAMP,
    site_name            VARCHAR,
    language             VARCHAR,
    text                 VARCHAR NOT NULL,
    word_count           INTEGER NOT NULL,
    comment_count_stated INTEGER,
    content_hash         VARCHAR NOT NULL,
    duplicate_of         VARCHAR,
    similarity           DOUBLE,
    extraction_method    VARCHAR NOT NULL,
    first_seen_at        TIMESTAMP NOT NULL,
    last_seen_at         TIMESTAMP NOT NULL,
    first_run_id         VARCHAR NOT NULL,
    last_run_id          VARCHAR NOT NULL
);

-- Every input (file or URL) that carried an article.
CREATE TABLE sightings (
    article_id    VARCHAR NOT NULL,
    source        VARCHAR NOT NULL,
    source_kind   VARCHAR NOT NULL,   -- file | url
    content_hash  VARCHAR NOT NULL,   -- what this source carried when last seen
    first_seen_at TIMESTAMP NOT NULL,
    last_seen_at  TIMESTAMP NOT NULL,
    first_run_id  VARCHAR NOT NULL,
    last_run_id   VARCHAR NOT NULL
);

-- Reader comments as a tree: parent_id points at another comment of the same article.
CREATE TABLE comments (
    comment_id        VARCHAR NOT NULL,
    article_id        VARCHAR NOT NULL,
    parent_id         VARCHAR,
    depth             INTEGER NOT NULL,
    position          INTEGER NOT NULL,
    author            VARCHAR,
    published_at      TIMESTAMP,
    text              VARCHAR NOT NULL,
    content_hash      VARCHAR NOT NULL,
    is_spam           BOOLEAN NOT NULL,
    spam_reason       VARCHAR,
    extraction_method VARCHAR NOT NULL,
    first_seen_at     TIMESTAMP NOT NULL,
    last_seen_at      TIMESTAMP NOT NULL,
    first_run_id      VARCHAR NOT NULL
);

-- Inputs that could not be loaded, with why. One row per (input version, stage, reason):
-- re-running the same bad input updates last_seen_at instead of adding rows.
CREATE TABLE rejects (
    reject_id     VARCHAR NOT NULL,
    source        VARCHAR NOT NULL,
    input_hash    VARCHAR,            -- sha256 of the input bytes; NULL when unreadable
    stage         VARCHAR NOT NULL,   -- discover | parse | extract | load
    reason        VARCHAR NOT NULL,
    detail        VARCHAR NOT NULL,
    first_seen_at TIMESTAMP NOT NULL,
    last_seen_at  TIMESTAMP NOT NULL,
    first_run_id  VARCHAR NOT NULL,
    last_run_id   VARCHAR NOT NULL
);

-- Near-duplicate index: MinHash signature per article and its LSH band buckets,
-- so a new article is compared only with the articles sharing a bucket.
CREATE TABLE article_minhash (
    article_id VARCHAR NOT NULL,
    signature  UINTEGER[] NOT NULL
);
CREATE TABLE article_lsh_buckets (
    band       SMALLINT NOT NULL,
    bucket     UBIGINT NOT NULL,
    article_id VARCHAR NOT NULL
);
