"""Private parts of the extract-http step: pagination, decoding, columns, auth, pipeline."""
