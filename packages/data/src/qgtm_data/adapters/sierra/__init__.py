"""Sierra Chart tick and depth CSV exports, polled while another process writes them."""

from qgtm_data.adapters.sierra.provider import SierraCsvPoller

__all__ = ["SierraCsvPoller"]
