"""One schema module per domain (as CTFd keeps them): the shapes the API reads and writes, also
the source of `openapi.json`, and the same shapes the screen pop and the timeline are built from.

Input schemas check types and shapes at the edge; the services check the values again, because
the CSV import and the pages reach them without these schemas.
"""
