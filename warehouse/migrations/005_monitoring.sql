-- Scheduled monitoring: article revisions, the watchlist's sources, per-source poll intervals.

-- Every version of an article's text. `articles` shows the latest; a re-crawl that finds a
-- changed text adds a revision (silent edits are what monitoring users look for).
CREATE TABLE article_revisions (
    article_id             VARCHAR NOT NULL,
    revision               INTEGER NOT NULL,   -- 1 = first version seen
    content_hash           VARCHAR NOT NULL,
    title                  VARCHAR,
    text                   VARCHAR NOT NULL,
    word_count             INTEGER NOT NULL,
    similarity_to_previous DOUBLE,             -- difflib ratio over words, 0..1; NULL for revision 1
    words_added            INTEGER,
    words_removed          INTEGER,
    seen_at                TIMESTAMP NOT NULL,
    run_id                 VARCHAR NOT NULL,
    source                 VARCHAR NOT NULL    -- the file or URL that showed this version
);

-- The watchlist (deploy/watchlist.toml is the source of truth; each monitor run syncs it here).
CREATE TABLE sources (
    name              VARCHAR NOT NULL,
    kind              VARCHAR NOT NULL,   -- feed | sitemap | section
    url               VARCHAR NOT NULL,   -- canonical
    poll_interval_min DOUBLE NOT NULL,
    tags              VARCHAR[] NOT NULL,
    max_new_articles  INTEGER,            -- new article links followed per poll; NULL = no limit
    active            BOOLEAN NOT NULL,   -- false once removed from the watchlist (rows are kept)
    first_seen_at     TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);

-- A source's own poll interval (NULL: the default from the settings).
ALTER TABLE urls ADD COLUMN poll_interval_min DOUBLE;

-- Articles whose text changed after it was first seen: one row per edit.
CREATE OR REPLACE VIEW edited_articles AS
SELECT
    a.article_id,
    a.title,
    a.url,
    r.revision,
    p.seen_at                AS previous_seen_at,
    r.seen_at                AS edited_seen_at,
    r.similarity_to_previous,
    r.words_added,
    r.words_removed,
    r.title <> p.title       AS title_changed
FROM article_revisions r
JOIN article_revisions p ON p.article_id = r.article_id AND p.revision = r.revision - 1
JOIN articles a ON a.article_id = r.article_id;

-- What each watched source brought in.
CREATE OR REPLACE VIEW source_articles AS
SELECT s.name AS source_name, s.tags, u.url, u.article_id, u.first_seen_at, u.last_fetched_at, u.last_status
FROM sources s
JOIN urls u ON u.found_on = s.url
WHERE u.kind = 'article';
