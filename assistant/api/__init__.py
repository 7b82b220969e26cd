"""The HTTP face: FastAPI routers over the one service."""
