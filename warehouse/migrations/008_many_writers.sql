-- Many writers on one lake (a PostgreSQL catalog shared by several machines or processes).
-- Every write transaction bumps this one row first, so two transactions that overlap always
-- conflict in DuckLake and the one that commits second is retried on the new state: a batch
-- never inserts an article another writer inserted meanwhile (inserts alone never conflict).
CREATE TABLE lake_writes (writes BIGINT NOT NULL);
INSERT INTO lake_writes VALUES (0);
-- Which machine and process run a run: a `running` row whose process is gone on this machine
-- is dead and gets marked `abandoned`; runs of other machines are left alone.
ALTER TABLE runs ADD COLUMN host VARCHAR;
ALTER TABLE runs ADD COLUMN pid INTEGER;
