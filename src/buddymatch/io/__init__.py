"""Read and write buddymatch's files: trusts CSV, relations, pairs, travel
matrix, policy TOML, problem JSON and the pairings CSV.

Readers never stop at the first fault and never drop anything silently: each
row ends up either in the [`Problem`][buddymatch.model.Problem] or in the one
[`InputError`][buddymatch.errors.InputError] they raise, which lists every
problem
with its file, physical line, column and a fix.  Reading happens in three
passes:

1. the file as a whole (size, encoding, CSV structure, header);
2. each row or object on its own (types and ranges, in plain words);
3. the problem as a whole
([`buddymatch.model.problem_issues`][buddymatch.model.problem_issues], applied
to
   a draft built without validation), each issue traced back to the file,
   line and column of the item it names.

Writers produce exactly what the readers read, so round trips are exact, and
every file is written atomically (a temporary file, then ``os.replace``).
The formats, defaults and limits are documented in ``docs/formats.md``.

One module per concern: `files` reads and decodes
every input file and defines every input limit;
`values` and `items` check values
and build items (shared by the CSV and JSON readers);
`problems` collects the problems with their places;
then one module per format: `csv_tables` (any CSV
file), `problem_csv`,
`problem_json`, `policy_toml`,
`arrangements` and `result_json`;
`write` writes files.  The names below are the public
ones; the modules' other names serve the package.
"""

from __future__ import annotations

from buddymatch.io.arrangements import read_arrangements, write_arrangements
from buddymatch.io.files import (
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_FIELD_CHARS,
    MAX_FILE_BYTES,
    MAX_JSON_VALUES,
    MAX_NEEDS_PER_CELL,
    MAX_POLICY_BYTES,
    MAX_POLICY_NESTING,
    MAX_ROWS,
    json_value_bound,
)
from buddymatch.io.policy_toml import read_policy, write_policy_toml
from buddymatch.io.problem_csv import read_problem, write_problem_csv
from buddymatch.io.problem_json import read_problem_json, write_problem_json
from buddymatch.io.write import (
    check_output_file,
    check_output_folder,
    spreadsheet_safe,
    write_bytes_atomic,
    write_file_set,
    write_pairings_csv,
    write_text_atomic,
)

__all__ = [
    "MAX_CELLS",
    "MAX_COLUMNS",
    "MAX_FIELD_CHARS",
    "MAX_FILE_BYTES",
    "MAX_JSON_VALUES",
    "MAX_NEEDS_PER_CELL",
    "MAX_POLICY_BYTES",
    "MAX_POLICY_NESTING",
    "MAX_ROWS",
    "check_output_file",
    "check_output_folder",
    "json_value_bound",
    "read_arrangements",
    "read_policy",
    "read_problem",
    "read_problem_json",
    "spreadsheet_safe",
    "write_arrangements",
    "write_bytes_atomic",
    "write_file_set",
    "write_pairings_csv",
    "write_policy_toml",
    "write_problem_csv",
    "write_problem_json",
    "write_text_atomic",
]
