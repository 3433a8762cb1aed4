-- The comment's date as the page states it (an attribute value such as "2020-07-29T12:56:00+02:00",
-- or the text shown, such as "29.07.2020 // 12:56"), beside `published_at`, the date read from it.
-- NULL for comments loaded before this column existed and for comments with no date.
ALTER TABLE comments ADD COLUMN published_raw VARCHAR;
