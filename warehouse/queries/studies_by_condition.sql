-- How much evidence per knee condition: studies, randomised trials, reviews, protocols,
-- people in primary studies, longest follow-up, newest year, retracted studies.
SELECT * FROM conditions_summary;
