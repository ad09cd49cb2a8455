-- Renews replica $2's lease on loop $1 for $3 ms, or takes one that ran out
-- with the next term. Returns the term and when the database server started
-- (µs); no row when another replica holds a lease that has not run out.
INSERT INTO leader_leases AS l (loop, holder, term, expires_at)
VALUES ($1, $2, 1, now() + $3 * interval '1 millisecond')
ON CONFLICT (loop) DO UPDATE SET
  term = CASE WHEN l.holder = $2 AND l.expires_at > now() THEN l.term ELSE l.term + 1 END,
  acquired_at = CASE WHEN l.holder = $2 AND l.expires_at > now() THEN l.acquired_at
    ELSE now() END,
  holder = $2, expires_at = now() + $3 * interval '1 millisecond'
WHERE l.holder = $2 OR l.expires_at <= now()
RETURNING term, baton_us(pg_postmaster_start_time()) AS server_started_us
