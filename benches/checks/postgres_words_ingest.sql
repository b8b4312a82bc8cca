-- What PostgreSQL's full-text index costs a write, with the words computed
-- by translate() in the index expression (the "search" migration) or by the
-- writer into a tsvector column (the "faster search" migration), with the
-- trace and user indexes both have. 51,200 events in batches of 256, a
-- commit each. Run:
--   psql -h 127.0.0.1 -U postgres test -f benches/checks/postgres_words_ingest.sql
\set QUIET on
DROP SCHEMA IF EXISTS words_check CASCADE;
CREATE SCHEMA words_check;
SET search_path TO words_check;
CREATE TABLE source AS
    SELECT i AS id,
        'mandate ' || i || ' rejected by bank ' || (i % 2000) || ' ref MX' || (random() * 1e8)::bigint AS message,
        'mandate <n> rejected by bank <n> ref <id> kind' || (i % 2000) AS template,
        json_build_object('service', 'svc' || (i % 6), 'environment', 'env' || (i % 3),
            'trace_id', md5(random()::text), 'user', 'u' || (random() * 1000)::int)::text AS context
    FROM generate_series(1, 51200) i;
-- What the writer sends: punctuation already turned into spaces.
ALTER TABLE source ADD COLUMN words text;
UPDATE source SET words = translate(message || ' ' || template, '!"#$%&''()*+,-./:;<=>?@[\]^_`{|}~', '                                ');

CREATE TABLE by_expression (id bigserial PRIMARY KEY, message text, template text, context text);
CREATE INDEX ON by_expression USING gin (to_tsvector('simple'::regconfig,
    translate(message || ' ' || template, '!"#$%&''()*+,-./:;<=>?@[\]^_`{|}~', '                                ')));
CREATE INDEX ON by_expression (((context::jsonb ->> 'trace_id')));
CREATE INDEX ON by_expression (((context::jsonb ->> 'user')));

CREATE TABLE by_column (id bigserial PRIMARY KEY, message text, template text, context text, words tsvector);
CREATE INDEX ON by_column USING gin (words);
CREATE INDEX ON by_column (((context::jsonb ->> 'trace_id')));
CREATE INDEX ON by_column (((context::jsonb ->> 'user')));
CREATE INDEX ON by_column (((context::jsonb ->> 'service')), ((context::jsonb ->> 'environment')));

CREATE PROCEDURE fill_by_expression() LANGUAGE plpgsql AS $$
BEGIN
    FOR batch IN 0..199 LOOP
        INSERT INTO by_expression (message, template, context)
            SELECT message, template, context FROM source WHERE id > batch * 256 AND id <= (batch + 1) * 256;
        COMMIT;
    END LOOP;
END $$;
CREATE PROCEDURE fill_by_column() LANGUAGE plpgsql AS $$
BEGIN
    FOR batch IN 0..199 LOOP
        INSERT INTO by_column (message, template, context, words)
            SELECT message, template, context, to_tsvector('simple'::regconfig, words)
            FROM source WHERE id > batch * 256 AND id <= (batch + 1) * 256;
        COMMIT;
    END LOOP;
END $$;

SET synchronous_commit = off;
\timing on
\echo words by translate() in the index expression
CALL fill_by_expression();
\echo words by the writer, in a column (and the index by service and environment)
CALL fill_by_column();
\timing off
DROP SCHEMA words_check CASCADE;
