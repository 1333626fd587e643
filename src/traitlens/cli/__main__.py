"""``python -m traitlens.cli``."""

from traitlens.cli import main

main()
