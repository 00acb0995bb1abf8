"""Prints a free loopback port whose successor is free too: the API on PORT, the object endpoint
on PORT+1 (`imagegram serve --addr 127.0.0.1:PORT --s3-addr 127.0.0.1:PORT+1`).
Used by .schemathesis/run.sh and bench/load.sh."""
import socket
import sys

for _ in range(200):
    a = socket.socket()
    a.bind(("127.0.0.1", 0))
    port = a.getsockname()[1]
    b = socket.socket()
    try:
        b.bind(("127.0.0.1", port + 1))
    except OSError:
        continue
    finally:
        a.close()
        b.close()
    print(port)
    sys.exit(0)
sys.exit("no two adjacent free loopback ports")
