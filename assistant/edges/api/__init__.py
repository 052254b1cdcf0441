"""Integrator HTTP API on Chainlit's FastAPI app (one process, one port): `mount(app, get_services)`."""

from assistant.edges.api.server import mount

__all__ = ["mount"]
