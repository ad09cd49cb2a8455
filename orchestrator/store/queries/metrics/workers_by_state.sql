-- Workers per state: STOPPED, ONLINE (seen within $1 ms) or LOST.
SELECT CASE WHEN stopped_at IS NOT NULL THEN 'STOPPED'
    WHEN last_seen_at > now() - $1 * interval '1 millisecond' THEN 'ONLINE'
    ELSE 'LOST' END AS worker_state,
  count(*) AS count
FROM workers GROUP BY worker_state ORDER BY worker_state
