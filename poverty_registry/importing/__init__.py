"""Registry file imports: reader (formats), rows (validation), writer (set-based writes)."""
