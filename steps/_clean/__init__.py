"""The clean step's bounded-memory driver: :mod:`.stream` runs ``steps.clean``'s union and
dedupe over Parquet files in batches and hash partitions."""
