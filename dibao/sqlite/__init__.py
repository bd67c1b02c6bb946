"""SQLite for the embedded mode: Django's backend, creating the database file's folder on first connect
(settings never write files; the folder, DIBAO_VAR_DIR, appears when the database does)."""
