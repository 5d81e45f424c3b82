-- The budget file versions current for $quarter before a batch replaces them.
select municipality_code, kind, file_name, sha256, replaced_file, replaced_sha256
from meta.budget_file_versions
where quarter = $quarter and is_current;
