-- Records deployment $1's (uuid) skipped fires $2, a JSON array of
-- {at_us, reason}; a fire already recorded stays as it was.
INSERT INTO skipped_fires (deployment_id, scheduled_time, reason)
SELECT $1::uuid, to_timestamp(s.at_us::double precision / 1e6), s.reason
FROM jsonb_to_recordset($2::jsonb) AS s(at_us bigint, reason text)
ON CONFLICT DO NOTHING
