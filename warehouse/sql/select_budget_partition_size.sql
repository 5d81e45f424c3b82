-- How much of one quarter's budget partition is loaded: budget lines and the
-- municipalities they come from. Parameter: the quarter.
select count(*) as row_count, count(distinct municipality_code) as municipality_count
from core.fct_budget
where quarter = $1
