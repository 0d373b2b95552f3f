-- PLACEHOLDER of branch dispatch only: numbers 0015-0018 belong to other
-- helpers' migrations. This file exists so that 0019 applies on this branch;
-- delete it when merging (their 0015-0018 take its place).
SELECT 1;
