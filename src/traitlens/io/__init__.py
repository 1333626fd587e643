"""Reading user files and writing result tables."""
