-- URLs a run was asked to fetch but sent back to the frontier (Retry-After, its time or URL
-- budget ran out): ops see that nothing was lost, and why the run did not fetch everything.
ALTER TABLE runs ADD COLUMN urls_deferred INTEGER;
