-- Placeholder on the figures2 branch only, so that 0020 applies: the
-- integrator drops this file when merging the branch that owns 0019.
SELECT 1;
