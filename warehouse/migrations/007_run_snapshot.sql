-- Time travel: the DuckLake snapshot a run's last commit made, so `newsmon sql --as-of RUN_ID`
-- and `AT (VERSION => snapshot_id)` can show the warehouse as that run left it.
ALTER TABLE runs ADD COLUMN snapshot_id BIGINT;
