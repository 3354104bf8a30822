"""``python -m qgtm_app``."""

from qgtm_app.cli import main

main()
