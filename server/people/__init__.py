"""People: the school, its classes and accounts, and who may do what.

Owns: accounts and sign-in (`auth`), the school record (`school`), classes as staff see them (`classes`),
first-run setup (`setup`), admin tasks (`admin`), spreadsheet rosters (`roster_import`, `csv_files`), the
audit log (`audit`).
May import: the core and `server.content`.
"""
