"""The CSV import pipeline: detect → parse → validate → write (PostgreSQL COPY or SQLite batches)."""
