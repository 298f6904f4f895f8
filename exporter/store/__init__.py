"""The incremental history store: event buckets per selector in SQLite (see file_format)."""
