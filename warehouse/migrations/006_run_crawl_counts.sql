-- What a run fetched and changed, beside what it loaded: ops read run history with SQL.
ALTER TABLE runs ADD COLUMN sources_polled INTEGER;
ALTER TABLE runs ADD COLUMN urls_fetched INTEGER;
ALTER TABLE runs ADD COLUMN urls_not_modified INTEGER;
ALTER TABLE runs ADD COLUMN urls_discovered INTEGER;
ALTER TABLE runs ADD COLUMN articles_revised INTEGER;
