-- Appends log lines of attempt $3 of task run $2 in run $1 (uuid), in the
-- order given: $4 times (µs since the epoch, bigint[]), $5 streams, $6
-- levels, $7 messages (text[]), one line per index.
INSERT INTO attempt_logs (run_id, task_run_id, attempt, logged_at, stream, level, message)
SELECT $1::uuid, $2, $3, to_timestamp(x.us / 1000000.0), x.stream, x.level, x.message
FROM unnest($4::bigint[], $5::text[], $6::text[], $7::text[])
  WITH ORDINALITY AS x(us, stream, level, message, n)
ORDER BY x.n
