"""Package data: built-in construct files."""
