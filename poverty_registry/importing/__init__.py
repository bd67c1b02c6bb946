"""Registry file imports: reader (formats), rows (validation), writer (set-based writes)."""

IMPORT_KIND = "poverty_registry_import"
