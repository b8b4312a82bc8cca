-- The top 10 groups of a day from per-minute counts (what the store reads)
-- or from hourly totals per group (tried, not kept): 7 days of counts, 90
-- groups a minute, half of them among 200 hot groups and half among 20,000,
-- as the search benchmark writes them. Each query runs twice; compare the
-- second times. Run:
--   psql -h 127.0.0.1 -U postgres test -f benches/checks/postgres_top_groups.sql
\set QUIET on
DROP SCHEMA IF EXISTS top_check CASCADE;
CREATE SCHEMA top_check;
SET search_path TO top_check;
CREATE TABLE group_counts (group_key text, minute_ms bigint, count bigint, PRIMARY KEY (group_key, minute_ms));
INSERT INTO group_counts
    SELECT g::text, m * 60000, 1 + (random() * 5)::int
    FROM (SELECT m, CASE WHEN random() < 0.5 THEN (random() * 200)::int ELSE (random() * 20000)::int END AS g
          FROM generate_series(1, 10080) m, generate_series(1, 90) k) minutes
    ON CONFLICT DO NOTHING;
CREATE INDEX ON group_counts (minute_ms) INCLUDE (group_key, count);
CREATE TABLE hourly_group_counts (hour_ms bigint, group_key text, count bigint, PRIMARY KEY (hour_ms, group_key));
INSERT INTO hourly_group_counts
    SELECT minute_ms - minute_ms % 3600000, group_key, sum(count) FROM group_counts GROUP BY 1, 2;
VACUUM ANALYZE group_counts;
VACUUM ANALYZE hourly_group_counts;
SELECT (SELECT count(*) FROM group_counts WHERE minute_ms >= 8640 * 60000::bigint) AS minute_rows_of_the_day,
       (SELECT count(*) FROM hourly_group_counts WHERE hour_ms >= 8640 * 60000::bigint) AS hour_rows_of_the_day;
\timing on
\echo from per-minute counts
SELECT group_key, sum(count) AS total FROM group_counts
WHERE minute_ms >= 8640 * 60000::bigint AND minute_ms < 10081 * 60000::bigint
GROUP BY group_key ORDER BY total DESC, group_key LIMIT 10 \g /dev/null
SELECT group_key, sum(count) AS total FROM group_counts
WHERE minute_ms >= 8640 * 60000::bigint AND minute_ms < 10081 * 60000::bigint
GROUP BY group_key ORDER BY total DESC, group_key LIMIT 10 \g /dev/null
\echo from hourly totals per group
SELECT group_key, sum(count) AS total FROM hourly_group_counts
WHERE hour_ms >= 8640 * 60000::bigint AND hour_ms < 10081 * 60000::bigint
GROUP BY group_key ORDER BY total DESC, group_key LIMIT 10 \g /dev/null
SELECT group_key, sum(count) AS total FROM hourly_group_counts
WHERE hour_ms >= 8640 * 60000::bigint AND hour_ms < 10081 * 60000::bigint
GROUP BY group_key ORDER BY total DESC, group_key LIMIT 10 \g /dev/null
\timing off
DROP SCHEMA top_check CASCADE;
