-- Per-site analysis and lineage: which site an article is from, which extractor (and version)
-- made each row and where an article's date came from; near-duplicate clusters counted once.

-- The URL's host (lowercased, no port) and its site: the registered domain by the public-suffix
-- list (`news.bbc.co.uk` → `bbc.co.uk`), or the host itself when it has no public suffix (an IP
-- address, `localhost`). Both from `url`; NULL for a text dump that states no URL.
ALTER TABLE articles ADD COLUMN site VARCHAR;
ALTER TABLE articles ADD COLUMN host VARCHAR;
-- The extractor and its version that made the row (`trafilatura 2.3.1`, `newsmon text_dump 2`),
-- and where `published_at` came from (json-ld, meta, url, visible text, …). NULL for rows
-- loaded before these columns existed.
ALTER TABLE articles ADD COLUMN extractor_version VARCHAR;
ALTER TABLE articles ADD COLUMN date_source VARCHAR;
ALTER TABLE comments ADD COLUMN extractor_version VARCHAR;

-- Existing rows: the host is the URL's authority without user info and port (as Python's
-- urlsplit(url).hostname, which new rows use: warehouse/sites.py `url_host`). Their site needs
-- the public-suffix list: the first run after this migration fills it in Python
-- (warehouse/articles.py `fill_missing_sites`) and records that here.
UPDATE articles
SET host = nullif(lower(trim(
        regexp_extract(url, '^(?i:https?)://(?:[^/?#]*@)?(\[[^\]/?#]*\]|[^:/?#]*)', 1), '[]')), '')
WHERE url IS NOT NULL;

-- One-off data fills that need Python after a migration: one row each, once done.
CREATE TABLE data_backfills (
    name        VARCHAR NOT NULL,  -- e.g. articles.site
    rows_filled BIGINT NOT NULL,   -- rows it filled
    applied_at  TIMESTAMP NOT NULL
);

-- Every comment with its near-duplicate cluster and whether it is the counted occurrence.
-- The copies of a syndicated story carry the same comments: a comment (same author, same
-- text, its n-th such occurrence on the page) is counted on the first member of its cluster
-- that shows it (the cluster's first article, then copies in the order first seen), and is not
-- counted again on the others. `counted` is what every per-cluster count below sums.
CREATE OR REPLACE VIEW cluster_comments AS
WITH placed AS (
    SELECT
        c.comment_id,
        c.article_id,
        coalesce(a.duplicate_of, a.article_id) AS cluster_id,
        a.site,
        c.author,
        c.published_at,
        c.text,
        c.content_hash,
        c.is_spam,
        c.kind,
        c.first_seen_at,
        c.last_seen_at,
        row_number() OVER (PARTITION BY c.article_id, c.author, c.content_hash
                           ORDER BY c.position, c.comment_id) AS occurrence,
        a.duplicate_of IS NOT NULL AS on_copy,
        a.first_seen_at AS article_first_seen_at
    FROM comments c
    JOIN articles a USING (article_id)
)
SELECT
    comment_id, article_id, cluster_id, site, author, published_at, text, content_hash, is_spam, kind,
    first_seen_at, last_seen_at,
    row_number() OVER (PARTITION BY cluster_id, author, content_hash, occurrence
                       ORDER BY on_copy, article_first_seen_at, article_id) = 1 AS counted
FROM placed;

-- One row per article with its comment and sighting figures. A near-duplicate cluster's
-- comments are counted once: `comments_loaded`, `comments_spam` and `spam_share` count only the
-- comments not already shown by an earlier member of the cluster (so summing them over articles
-- counts each once); `comments_on_page` counts every comment the page shows.
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
    count(c.comment_id) FILTER (WHERE c.counted)                AS comments_loaded,
    count(c.comment_id) FILTER (WHERE c.counted AND c.is_spam)  AS comments_spam,
    round(count(c.comment_id) FILTER (WHERE c.counted AND c.is_spam)
          / nullif(count(c.comment_id) FILTER (WHERE c.counted), 0), 3) AS spam_share,
    (SELECT count(*) FROM sightings s WHERE s.article_id = a.article_id) AS sightings,
    a.duplicate_of,
    a.first_seen_at,
    a.last_seen_at,
    a.site,
    a.host,
    coalesce(a.duplicate_of, a.article_id)                      AS cluster_id,
    count(c.comment_id)                                         AS comments_on_page
FROM articles a
LEFT JOIN cluster_comments c USING (article_id)
GROUP BY ALL;

-- One row per near-duplicate cluster (an article and its copies; articles without copies are
-- not clusters). `cluster_id` is the cluster's first article, the `duplicate_of` of its copies.
CREATE OR REPLACE VIEW clusters AS
WITH cluster_comment_counts AS (
    SELECT cluster_id, count(*) FILTER (WHERE counted) AS comments
    FROM cluster_comments
    GROUP BY cluster_id
)
SELECT
    m.cluster_id,
    m.title,
    m.members,
    m.member_ids,
    m.sites,
    coalesce(cc.comments, 0) AS comments,
    m.first_seen_at,
    m.last_seen_at
FROM (
    SELECT
        coalesce(duplicate_of, article_id)                                              AS cluster_id,
        any_value(title) FILTER (WHERE duplicate_of IS NULL)                            AS title,
        count(*)                                                                        AS members,
        list(article_id ORDER BY duplicate_of IS NOT NULL, first_seen_at, article_id)   AS member_ids,
        coalesce(list_sort(list(DISTINCT site) FILTER (WHERE site IS NOT NULL)), [])    AS sites,
        min(first_seen_at)                                                              AS first_seen_at,
        max(last_seen_at)                                                               AS last_seen_at
    FROM articles
    GROUP BY 1
    HAVING count(*) > 1
) m
LEFT JOIN cluster_comment_counts cc USING (cluster_id);

-- Per site and UTC day (of the articles' first sighting): articles, comments (each cluster's
-- once, on its first member), spam share, median words, and the shares of articles with a
-- date, an author and comments. Articles without a site form the rows whose site is NULL.
CREATE OR REPLACE VIEW site_overview AS
SELECT
    site,
    CAST(first_seen_at AS DATE)                                         AS day,
    count(*)                                                            AS articles,
    sum(comments_loaded)::BIGINT                                        AS comments,
    round(sum(comments_spam) / nullif(sum(comments_loaded), 0), 3)      AS spam_share,
    median(word_count)                                                  AS median_words,
    round(avg(CASE WHEN published_at IS NOT NULL THEN 1 ELSE 0 END), 3) AS date_share,
    round(avg(CASE WHEN author IS NOT NULL THEN 1 ELSE 0 END), 3)       AS author_share,
    round(avg(CASE WHEN comments_on_page > 0 THEN 1 ELSE 0 END), 3)     AS comments_share
FROM article_overview
GROUP BY ALL;

-- Commenters across articles, by the name they post under; a cluster's copies count once
-- (comments as counted in `cluster_comments`). Pingbacks and trackbacks are not commenters.
CREATE OR REPLACE VIEW top_commenters AS
SELECT
    author,
    count(*) FILTER (WHERE counted)                                    AS comments,
    count(DISTINCT article_id)                                         AS articles,
    count(DISTINCT cluster_id)                                         AS clusters,
    count(DISTINCT site)                                               AS sites,
    count(*) FILTER (WHERE counted AND is_spam)                        AS comments_spam,
    round(count(*) FILTER (WHERE counted AND is_spam)
          / nullif(count(*) FILTER (WHERE counted), 0), 3)             AS spam_share,
    min(first_seen_at)                                                 AS first_seen_at,
    max(last_seen_at)                                                  AS last_seen_at
FROM cluster_comments
WHERE author IS NOT NULL AND coalesce(kind, 'comment') = 'comment'
GROUP BY author;
