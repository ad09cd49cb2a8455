-- The fence: a row when replica $2 holds loop $1 in term $3, not run out;
-- the share lock makes a takeover wait for the transaction.
SELECT 1 FROM leader_leases WHERE loop = $1 AND holder = $2 AND term = $3
  AND expires_at > now() FOR SHARE
