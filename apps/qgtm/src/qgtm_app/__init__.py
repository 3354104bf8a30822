"""The QGTM composition root: the ``qgtm`` CLI and the daemon wiring."""
