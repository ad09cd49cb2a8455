-- At most $1 scheduled runs whose time came, the earliest first.
SELECT id::text AS id FROM flow_runs WHERE state = 'SCHEDULED' AND scheduled_time <= now()
ORDER BY scheduled_time, id LIMIT $1
