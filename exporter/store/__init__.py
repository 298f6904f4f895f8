"""The incremental history store: event buckets per selector in SQLite (see schema)."""
