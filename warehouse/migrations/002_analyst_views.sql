-- Views for analysts. Documented in docs/schema.md.

-- One row per article with its comment and sighting figures.
CREATE OR REPLACE VIEW article_overview AS
SELECT
    a.article_id,
    a.title,
    a.author,
    a.site_name,
    a.published_at,
    a.url,
    a.source_file,
    a.word_count,
    a.comment_count_stated,
    count(c.comment_id)                                   AS comments_loaded,
    count(c.comment_id) FILTER (WHERE c.is_spam)          AS comments_spam,
    round(count(c.comment_id) FILTER (WHERE c.is_spam)
          / nullif(count(c.comment_id), 0), 3)            AS spam_share,
    (SELECT count(*) FROM sightings s WHERE s.article_id = a.article_id) AS sightings,
    a.duplicate_of,
    a.first_seen_at,
    a.last_seen_at
FROM articles a
LEFT JOIN comments c USING (article_id)
GROUP BY ALL;

-- Comments with their thread: the top-level comment they belong to and the id path from it.
CREATE OR REPLACE VIEW comment_threads AS
WITH RECURSIVE thread AS (
    SELECT comment_id, article_id, parent_id, depth, position,
           comment_id AS root_id, [comment_id] AS path
    FROM comments
    WHERE parent_id IS NULL
    UNION ALL
    SELECT c.comment_id, c.article_id, c.parent_id, c.depth, c.position,
           t.root_id, list_append(t.path, c.comment_id)
    FROM comments c
    JOIN thread t ON c.parent_id = t.comment_id
)
SELECT t.article_id, t.root_id, t.comment_id, t.parent_id, t.depth, t.position,
       len(t.path) - 1 AS reply_level, t.path,
       c.author, c.published_at, c.is_spam, c.spam_reason, c.text
FROM thread t
JOIN comments c USING (comment_id);

-- Near-duplicate articles next to the article they copy.
CREATE OR REPLACE VIEW near_duplicates AS
SELECT
    d.article_id,
    d.title,
    coalesce(d.url, d.source_file) AS source,
    d.duplicate_of,
    o.title                        AS original_title,
    coalesce(o.url, o.source_file) AS original_source,
    d.similarity
FROM articles d
JOIN articles o ON o.article_id = d.duplicate_of;

-- The same comment text under more than one article: spam campaigns, copy-paste brigades.
CREATE OR REPLACE VIEW repeated_comments AS
SELECT
    content_hash,
    any_value(text)             AS text,
    count(DISTINCT article_id)  AS articles,
    count(*)                    AS occurrences,
    bool_or(is_spam)            AS any_flagged_spam,
    min(first_seen_at)          AS first_seen_at,
    max(last_seen_at)           AS last_seen_at
FROM comments
GROUP BY content_hash
HAVING count(DISTINCT article_id) > 1;
