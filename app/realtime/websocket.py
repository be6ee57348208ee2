"""The websocket handshake, as this app accepts it.

Browsers offer per-message compression (`Sec-WebSocket-Extensions: permessage-deflate`) on every
websocket, and simple-websocket accepts whatever is offered. Deflating each pop costs the server
about 1.6-1.9x the CPU per message (docs/BENCHMARK.md), for payloads of a few kB that mostly cross
a LAN; so unless WEBSOCKET_COMPRESSION is set, the offer is removed before the handshake and the
socket is opened uncompressed (the browser accepts either answer).
"""
from __future__ import annotations


class WithoutCompression:
    """WSGI middleware: drop the client's websocket extension offer."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return self.wsgi_app(environ, start_response)


def configure(app) -> None:
    if not app.config.get("WEBSOCKET_COMPRESSION"):
        app.wsgi_app = WithoutCompression(app.wsgi_app)
