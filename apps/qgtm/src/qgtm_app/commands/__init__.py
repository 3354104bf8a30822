"""Command groups of the ``qgtm`` CLI, one module each; ``cli`` registers them."""
