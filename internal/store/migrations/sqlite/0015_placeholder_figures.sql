-- Placeholder on the figures branch only, so that 0017 applies: the
-- integrator drops this file when merging the branch that owns 0015.
SELECT 1;
