"""Socket.IO: connection guard and rooms in `events`, every emit in `push`."""
