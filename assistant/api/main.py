"""The module uvicorn points at: `uvicorn assistant.api.main:app --no-proxy-headers` (the API reads
X-Forwarded-For itself, from WHATWORKS_API__TRUSTED_PROXIES only)."""

from assistant.api.app import create_app

app = create_app()
