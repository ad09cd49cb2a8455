-- Flow $1's version $2 (0 for the latest): its version and spec.
SELECT version, spec::text AS spec FROM flows WHERE name = $1 AND ($2 = 0 OR version = $2)
ORDER BY version DESC LIMIT 1
