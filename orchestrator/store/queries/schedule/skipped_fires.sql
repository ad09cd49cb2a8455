-- Deployment $1's (uuid) skipped fires, newest first, at most $2.
SELECT baton_us(scheduled_time) AS scheduled_time_us, reason
FROM skipped_fires WHERE deployment_id = $1::uuid
ORDER BY scheduled_time DESC LIMIT $2
