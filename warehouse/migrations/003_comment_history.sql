-- Comment history across snapshots (re-crawls, later dumps) and comments from HTML markup.

-- The page's own comment id ("comment-1234") when it has one; comment_id is derived from it then.
ALTER TABLE comments ADD COLUMN page_comment_id VARCHAR;
-- comment | pingback | trackback: pingbacks are kept but are not reader comments.
ALTER TABLE comments ADD COLUMN kind VARCHAR DEFAULT 'comment';
-- Set when a later snapshot of the article no longer shows the comment (moderated or deleted);
-- cleared if it shows up again. Comments are never deleted from this table.
ALTER TABLE comments ADD COLUMN removed_at TIMESTAMP;

-- How the article's comments were found: text_dump, a markup family (wordpress, wpdiscuz,
-- schema_microdata, schema_jsonld, drupal), flat_text, none, or not_in_html (JavaScript embed).
ALTER TABLE articles ADD COLUMN comments_status VARCHAR;

-- One row per distinct comment snapshot of an article: the set of comments one input showed.
-- The same snapshot seen again updates last_seen_at (idempotent); a changed one adds a row.
CREATE TABLE comment_snapshots (
    article_id       VARCHAR NOT NULL,
    snapshot_hash    VARCHAR NOT NULL,   -- hash of the sorted comment ids and the stated count
    snapshot_number  INTEGER NOT NULL,   -- 1, 2, … per article, in the order the snapshots were loaded
    source           VARCHAR NOT NULL,   -- the input that first showed this snapshot
    comments_present INTEGER NOT NULL,
    comments_stated  INTEGER,
    first_seen_at    TIMESTAMP NOT NULL,
    last_seen_at     TIMESTAMP NOT NULL,
    first_run_id     VARCHAR NOT NULL,
    last_run_id      VARCHAR NOT NULL
);

-- Per article, how the comment count changed from snapshot to snapshot.
CREATE OR REPLACE VIEW comment_count_history AS
SELECT
    s.article_id,
    a.title,
    s.snapshot_number,
    s.first_seen_at AS seen_at,
    s.source,
    s.comments_present,
    s.comments_present - lag(s.comments_present) OVER w AS change_present,
    s.comments_stated,
    s.comments_stated - lag(s.comments_stated) OVER w AS change_stated
FROM comment_snapshots s
JOIN articles a USING (article_id)
WINDOW w AS (PARTITION BY s.article_id ORDER BY s.snapshot_number);
