"""echo_gevent.py - the Python peer of bench_net's echo servers: gevent's
StreamServer, which runs a greenlet per connection, each reading at most
16 KiB at a time and sending back what it read. gevent does in Python what
the workbook does in C: greenlets are tasklets, and a recv that would
block switches to its event loop (libev or libuv), which wakes the
greenlet when the socket is ready.

It serves the listening socket it inherits as descriptor 3 (bench_net
makes it, on 127.0.0.1, and kills this program after the run), or, run by
hand, the port given as its argument:

    python3 tests/bench/echo_gevent.py 7000

TCP_NODELAY on every connection, as in the other servers. Debian's
python3-gevent (tests/mk/deps.sh bench) is what run.sh looks for.
"""
import socket
import sys

import gevent.socket
from gevent.server import StreamServer

BACKLOG = 4096  # the kernel caps it at net.core.somaxconn


def echo(conn, address):
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while True:
            data = conn.recv(16384)
            if not data:
                break
            conn.sendall(data)
    except OSError:
        pass  # reset by the peer: the load generator's way to hang up
    finally:
        conn.close()


def main():
    if len(sys.argv) > 1:
        server = StreamServer(("127.0.0.1", int(sys.argv[1])), echo,
                              backlog=BACKLOG)
    else:
        # Already listening, with bench_net's backlog. A gevent socket, not
        # the standard library's: that one's accept() would block the
        # whole process, every greenlet with it.
        server = StreamServer(gevent.socket.socket(fileno=3), echo)
    server.serve_forever()


if __name__ == "__main__":
    main()
