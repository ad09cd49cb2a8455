-- The (queue, handler) pairs registered by workers seen within $1 ms and
-- not stopped.
SELECT DISTINCT q AS queue, h AS handler
FROM workers w, unnest(w.queues) q, unnest(w.handlers) h
WHERE w.stopped_at IS NULL AND w.last_seen_at > now() - $1 * interval '1 millisecond'
