"""Journal-ready tables and reports: one table model, one formatter, Word/Excel/CSV/PDF."""
