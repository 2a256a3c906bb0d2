"""The sandbox's listening socket: what asyncio (and so uvicorn) makes of its connections."""

from __future__ import annotations

import asyncio
import socket

from syncd.sandbox.cli import _bind


def test_accepted_connections_send_without_nagle() -> None:
    # uvicorn serves the socket _bind made; asyncio sets TCP_NODELAY on an accepted
    # connection only when the socket says it is TCP. Without it an answer written in
    # two parts (headers, then body) waits for the client's delayed ACK: 40 ms a call.
    sock, url = _bind("127.0.0.1", 0)
    seen: list[int] = []

    async def main() -> None:
        def accepted(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            conn = writer.get_extra_info("socket")
            seen.append(conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(accepted, sock=sock)
        async with server:
            port = int(url.rsplit(":", 1)[1])
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            await _reader.read()  # the server closes it once it has looked
            writer.close()

    asyncio.run(main())
    assert seen
    assert seen[0] != 0
