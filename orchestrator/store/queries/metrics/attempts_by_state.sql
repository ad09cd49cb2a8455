-- Ended attempts per state, and how many of them were retried (the retry
-- count rides on the same scan).
SELECT state, count(*) AS count, count(*) FILTER (WHERE decision LIKE 'retry%') AS retries
FROM attempts WHERE state <> 'RUNNING' GROUP BY state ORDER BY state
