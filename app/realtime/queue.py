"""The Redis message queue between server processes, made honest about what it can lose.

Redis pub/sub delivers at most once: whatever is published while Redis is down, or while a
process's subscription is broken, is gone. The call itself is safe in the database, so the cure is
to tell the desktops to re-read it: when a publish fails, this process's own desktops are told to
re-sync at once, and when a broken subscription comes back, so are the desktops of that process.
"""
from __future__ import annotations

import logging
import time

import socketio
from socketio.packet import Packet

log = logging.getLogger(__name__)

# How long a process waits between attempts to get its subscription back (the upstream manager
# backs off to a minute; desktops would wait that long for their pops).
MAX_RETRY_SECONDS = 2.0


class ResilientRedisManager(socketio.RedisManager):
    def __init__(self, *args, on_loss=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.on_loss = on_loss  # called with a reason; must only reach local clients

    def _signal_loss(self, reason: str) -> None:
        if self.on_loss is not None:
            try:
                self.on_loss(reason)
            except Exception:
                log.warning("could not tell local desktops to re-sync", exc_info=True)

    def emit(self, event, data, namespace=None, room=None, skip_sid=None, callback=None, to=None, **kwargs):
        """Publish to the other processes first, then deliver to this process's own sockets.

        The upstream manager does it the other way round: it writes to every local socket (with
        hundreds of agents, a writer thread to wake for each) before publishing, so every other
        process starts its delivery only once this one has finished. Events with callbacks or
        binary data, and local-only emits, keep the upstream path.
        """
        if kwargs.get("ignore_queue") or callback is not None or Packet.data_is_binary([data]):
            return super().emit(event, data, namespace=namespace, room=room, skip_sid=skip_sid,
                                callback=callback, to=to, **kwargs)
        message = {
            "method": "emit", "event": event, "data": list(data) if isinstance(data, tuple) else [data],
            "binary": False, "namespace": namespace or "/", "room": to or room, "skip_sid": skip_sid,
            "callback": None, "host_id": self.host_id,
        }
        self._publish(message)  # the listener of this process skips its own host_id
        self._handle_emit(message)

    def _publish(self, data):
        for attempt in (1, 2):
            try:
                if not self.connected:
                    self._redis_connect()
                return self.redis.publish(self.channel, self.json.dumps(data))
            except Exception as exc:
                self.connected = False
                if attempt == 2:
                    log.error("message queue unavailable; publish lost", extra={"error": str(exc)})
        self._signal_loss("publish_failed")
        return None

    def _redis_listen_with_retries(self):
        retry_sleep = 0.25
        subscribed = False
        lost = False
        while True:
            try:
                if not subscribed:
                    self._redis_connect()
                    self.pubsub.subscribe(self.channel)
                    subscribed = True
                    retry_sleep = 0.25
                    if lost:
                        log.warning("message queue subscription restored")
                        self._signal_loss("subscription_restored")
                        lost = False
                yield from self.pubsub.listen()
            except Exception as exc:
                if not lost:
                    log.error("message queue subscription lost; retrying", extra={"error": str(exc)})
                lost = True
                subscribed = False
                time.sleep(retry_sleep)
                retry_sleep = min(retry_sleep * 2, MAX_RETRY_SECONDS)
