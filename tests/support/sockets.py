"""Real python-socketio clients for the tests, recording every event they receive."""
from __future__ import annotations

import queue
import time
from dataclasses import dataclass, field

import socketio as socketio_client


def wait_until(predicate, timeout: float = 5.0) -> bool:
    """Poll `predicate` until it holds (True) or `timeout` seconds pass (False): for what a socket
    learns asynchronously, such as being disconnected."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@dataclass
class SocketRecorder:
    """A real python-socketio client that records every event it receives."""

    sio: socketio_client.Client
    received: "queue.Queue[tuple[str, dict]]" = field(default_factory=queue.Queue)
    seen: list = field(default_factory=list)

    def wait_for(self, event: str, predicate=lambda data: True, timeout: float = 5.0) -> dict:
        for name, data in self.seen:
            if name == event and predicate(data):
                return data
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {event!r} event matching within {timeout}s; got {self.seen!r}")
            try:
                name, data = self.received.get(timeout=remaining)
            except queue.Empty:
                continue
            self.seen.append((name, data))
            if name == event and predicate(data):
                return data

    def drain(self, settle: float = 0.3) -> list:
        """Everything received until nothing new has arrived for `settle` seconds."""
        while True:
            try:
                self.seen.append(self.received.get(timeout=settle))
            except queue.Empty:
                return list(self.seen)

    def events(self, event: str) -> list[dict]:
        self.drain()
        return [data for name, data in self.seen if name == event]


def connect_socket(base_url: str, *, token: str | None = None, cookie: str | None = None,
                   headers: dict | None = None, transports=("websocket",)) -> SocketRecorder:
    sio = socketio_client.Client(reconnection=False)
    recorder = SocketRecorder(sio)
    for event in ("screen_pop", "call_update", "agent_status", "queue_update", "resync"):
        sio.on(event, lambda data, event=event: recorder.received.put((event, data)))
    sio.connect(
        base_url,
        auth={"token": token} if token else None,
        headers={**({"Cookie": cookie} if cookie else {}), **(headers or {})},
        transports=list(transports),
        wait_timeout=5,
    )
    ws = getattr(sio.eio, "ws", None)
    if ws is not None:
        # Werkzeug's dev server never answers the websocket close frame, so websocket-client would
        # wait its full 3 s on every disconnect; the test server is torn down right after anyway.
        close = ws.close
        ws.close = lambda *args, **kwargs: close(*args, **{**kwargs, "timeout": 0.1})
    return recorder
