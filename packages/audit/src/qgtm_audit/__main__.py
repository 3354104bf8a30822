"""``python -m qgtm_audit inclusion|consistency proof.json --public-key key.pub``: the standalone verifier."""

import sys

from qgtm_audit.verifier import main

sys.exit(main())
