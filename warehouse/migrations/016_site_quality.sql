-- Extraction quality watched per site: every run records, per site, what its extraction gave
-- (warehouse/site_quality.py), and `quality_drift` flags a site whose latest day falls away
-- from its own recent past (a redesign that halves the text or loses every date).

-- One row per (run, site). A run's row is rewritten when the run records again (idempotent).
CREATE TABLE site_quality (
    run_id         VARCHAR NOT NULL,
    day            DATE NOT NULL,      -- UTC day the run started
    site           VARCHAR NOT NULL,   -- as articles.site
    pages          INTEGER NOT NULL,   -- articles the run wrote text for: new ones and revised ones
    rejects        INTEGER NOT NULL,   -- the run's parse and extract rejects of the site's URLs
    median_words   DOUBLE,             -- of those pages; NULL when pages = 0 (likewise the shares)
    title_share    DOUBLE,             -- 0..1 of the pages: with a title,
    author_share   DOUBLE,             --   an author,
    date_share     DOUBLE,             --   a publication date,
    comments_share DOUBLE,             --   at least one comment
    reject_share   DOUBLE NOT NULL,    -- rejects / (pages + rejects)
    recorded_at    TIMESTAMP NOT NULL
);

-- Sites whose latest day departs from their trailing 14-day baseline (the 14 days before it),
-- one row per flagged site. Per day, a site's runs are pooled: pages and rejects summed, shares
-- weighted by pages, median words the median of the runs' medians; the baseline pools its days
-- the same way (median words: the median of the daily medians).
-- The bounds (any one flags the site):
--   median words    −50 % or worse  (latest ≤ 0.5 × baseline)        → words_dropped
--   title share     −30 points or worse (latest ≤ baseline − 0.30)   → title_dropped
--   author share    −30 points or worse                              → author_dropped
--   date share      −30 points or worse                              → date_dropped
--   reject share    +30 points or worse (latest ≥ baseline + 0.30)   → rejects_rose
-- Compared only with a baseline of at least 3 days and a latest day of at least 3 pages or
-- rejects: one odd page is not a redesign.
CREATE OR REPLACE VIEW quality_drift AS
WITH daily AS (
    SELECT
        site,
        day,
        sum(pages)                                                AS pages,
        sum(rejects)                                              AS rejects,
        median(median_words) FILTER (WHERE pages > 0)             AS median_words,
        sum(title_share * pages) / nullif(sum(pages), 0)          AS title_share,
        sum(author_share * pages) / nullif(sum(pages), 0)         AS author_share,
        sum(date_share * pages) / nullif(sum(pages), 0)           AS date_share,
        sum(rejects) / nullif(sum(pages + rejects), 0)            AS reject_share
    FROM site_quality
    GROUP BY site, day
),
latest AS (
    SELECT * FROM daily
    QUALIFY row_number() OVER (PARTITION BY site ORDER BY day DESC) = 1
),
baseline AS (
    SELECT
        l.site,
        count(*)                                                  AS baseline_days,
        sum(d.pages)                                              AS baseline_pages,
        median(d.median_words)                                    AS baseline_median_words,
        sum(d.title_share * d.pages) / nullif(sum(d.pages), 0)    AS baseline_title_share,
        sum(d.author_share * d.pages) / nullif(sum(d.pages), 0)   AS baseline_author_share,
        sum(d.date_share * d.pages) / nullif(sum(d.pages), 0)     AS baseline_date_share,
        sum(d.rejects) / nullif(sum(d.pages + d.rejects), 0)      AS baseline_reject_share
    FROM latest l
    JOIN daily d ON d.site = l.site AND d.day >= l.day - 14 AND d.day < l.day
    GROUP BY l.site
),
compared AS (
    SELECT
        l.site,
        l.day,
        l.pages::BIGINT                                           AS pages,
        l.rejects::BIGINT                                         AS rejects,
        b.baseline_days,
        b.baseline_pages::BIGINT                                  AS baseline_pages,
        b.baseline_median_words,
        l.median_words                                            AS latest_median_words,
        round(b.baseline_title_share, 3)                          AS baseline_title_share,
        round(l.title_share, 3)                                   AS latest_title_share,
        round(b.baseline_author_share, 3)                         AS baseline_author_share,
        round(l.author_share, 3)                                  AS latest_author_share,
        round(b.baseline_date_share, 3)                           AS baseline_date_share,
        round(l.date_share, 3)                                    AS latest_date_share,
        round(b.baseline_reject_share, 3)                         AS baseline_reject_share,
        round(l.reject_share, 3)                                  AS latest_reject_share,
        coalesce(l.median_words <= 0.5 * b.baseline_median_words, false)                 AS words_dropped,
        coalesce(round(l.title_share - b.baseline_title_share, 6) <= -0.30, false)       AS title_dropped,
        coalesce(round(l.author_share - b.baseline_author_share, 6) <= -0.30, false)     AS author_dropped,
        coalesce(round(l.date_share - b.baseline_date_share, 6) <= -0.30, false)         AS date_dropped,
        coalesce(round(l.reject_share - b.baseline_reject_share, 6) >= 0.30, false)      AS rejects_rose
    FROM latest l
    JOIN baseline b USING (site)
    WHERE b.baseline_days >= 3 AND l.pages + l.rejects >= 3
)
SELECT
    *,
    list_concat(
        CASE WHEN words_dropped THEN ['median_words'] ELSE []::VARCHAR[] END,
        CASE WHEN title_dropped THEN ['title_share'] ELSE []::VARCHAR[] END,
        CASE WHEN author_dropped THEN ['author_share'] ELSE []::VARCHAR[] END,
        CASE WHEN date_dropped THEN ['date_share'] ELSE []::VARCHAR[] END,
        CASE WHEN rejects_rose THEN ['reject_share'] ELSE []::VARCHAR[] END
    ) AS bounds_fired
FROM compared
WHERE words_dropped OR title_dropped OR author_dropped OR date_dropped OR rejects_rose;
