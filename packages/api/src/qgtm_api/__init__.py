"""The QGTM REST and WebSocket API.

from qgtm_api import create_app
app = create_app()  # serve with: uvicorn --factory qgtm_api:create_app
"""

from qgtm_api._app import Health, create_app

__all__ = ["Health", "create_app"]
