-- The quarter's budget file versions, replaced by those of the batch loaded.
delete from meta.budget_file_versions where quarter = $quarter;
