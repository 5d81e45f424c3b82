-- How much of one quarter's survey partition is loaded: responses (current and superseded)
-- and the municipalities they come from. Parameter: the quarter.
select count(*) as row_count, count(distinct municipality_code) as municipality_count
from core.fct_survey_response
where quarter = $1
