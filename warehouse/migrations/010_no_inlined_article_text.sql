-- DuckLake keeps inserts of a few rows in the catalog itself ("data inlining", 10 rows by
-- default). Right for small rows; wrong for article text: one 40 MB article became 240 MB of
-- SQLite catalog, 17 s and 1.3 GB of memory to commit. Tables that hold whole texts always
-- write Parquet files (maintenance merges the small ones).
CALL lake.set_option('data_inlining_row_limit', 0, table_name => 'articles');
CALL lake.set_option('data_inlining_row_limit', 0, table_name => 'article_revisions');
