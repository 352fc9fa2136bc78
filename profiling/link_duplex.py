#!/usr/bin/env python3
# Does a link carry both directions at its full rate at once? Plain TCP, no MPI:
# after IDLE_S of quiet each round, BYTES one way (client -> server, answered by one
# byte), BYTES the other way, then BYTES both ways at the same time (a thread sends
# while the main thread receives). The baseline is the one-way time of the same run;
# prints the fastest and median per kind and RATIO two/one of the fastest and of the
# medians (1.0: both directions at the full rate at once; 2.0: they share one rate).
# `late` is the gradient sum's pattern (a reduce into a rank, its broadcast out of it
# starting while the reduce still flows): BYTES one way, and LAG_FRACTION x the one-way
# time after it starts, BYTES the other way; LATE/ONE is the second direction's time
# from its start against its time alone (`back`).
# profiling/cluster_zero1.sh runs it between two nodes of the cluster fixture.
#   link_duplex.py server PORT
#   link_duplex.py client HOST PORT BYTES ROUNDS IDLE_S [LAG_FRACTION]   (default 0.5)
import socket
import sys
import threading
import time

CHUNK = bytes(1 << 20)


def recv_n(s, n):
    while n > 0:
        b = s.recv(min(1 << 20, n))
        if not b:
            sys.exit("link_duplex: the peer closed the connection")
        n -= len(b)


def send_n(s, n):
    while n > 0:
        n -= s.send(CHUNK[:min(len(CHUNK), n)])


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        part = s.recv(n - len(b))
        if not part:
            sys.exit("link_duplex: the peer closed the connection")
        b += part
    return b


def command(s):  # 4-byte kind, 8-byte little-endian size
    b = b""
    while len(b) < 12:
        part = s.recv(12 - len(b))
        if not part:
            return "quit", 0
        b += part
    return b[:4].decode(), int.from_bytes(b[4:], "little")


def both_ways(s, n):
    t = threading.Thread(target=send_n, args=(s, n))
    t.start()
    recv_n(s, n)
    t.join()


def server(port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(1)
    s, _ = ls.accept()
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    while True:
        kind, n = command(s)
        if kind == "quit":
            return
        if kind == "one-":
            recv_n(s, n)
            s.sendall(b"k")
        elif kind == "back":
            send_n(s, n)
        elif kind == "two-":
            both_ways(s, n)
        elif kind == "late":
            lag = int.from_bytes(recv_exact(s, 8), "little") / 1e6
            t = threading.Thread(target=lambda: (time.sleep(lag), send_n(s, n)))
            t.start()
            recv_n(s, n)
            t.join()


def late(s, n, lag):
    # The other way's bytes start `lag` after ours; returns how long they took from then.
    done = []
    t0 = time.perf_counter()
    t = threading.Thread(target=lambda: (recv_n(s, n), done.append(time.perf_counter())))
    t.start()
    send_n(s, n)
    t.join()
    return done[0] - (t0 + lag)


def client(host, port, n, rounds, idle, lag_fraction):
    s = socket.create_connection((host, port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    kinds = {"one": ("one-", lambda: (send_n(s, n), recv_n(s, 1))), "back": ("back", lambda: recv_n(s, n)),
             "two": ("two-", lambda: both_ways(s, n))}
    times = {k: [] for k in kinds}
    for _ in range(rounds):
        for k, (wire, run) in kinds.items():
            time.sleep(idle)
            t0 = time.perf_counter()
            s.sendall(wire.encode() + n.to_bytes(8, "little"))
            run()
            times[k].append(time.perf_counter() - t0)
    # The late direction after the one-way rounds, its lag a fraction of their median.
    lag = lag_fraction * sorted(times["one"])[rounds // 2]
    times["late"] = []
    for _ in range(rounds):
        time.sleep(idle)
        s.sendall(b"late" + n.to_bytes(8, "little") + int(lag * 1e6).to_bytes(8, "little"))
        times["late"].append(late(s, n, lag))
    s.sendall(b"quit" + bytes(8))
    for k in times:
        v = sorted(times[k])
        times[k] = (v[0], v[len(v) // 2])
        print("%-4s %d bytes: fastest %.1f ms, median %.1f ms (%d rounds)" % (k, n, 1e3 * v[0], 1e3 * v[len(v) // 2], rounds))
    print("RATIO two/one fastest %.3f median %.3f" % (times["two"][0] / times["one"][0], times["two"][1] / times["one"][1]))
    print("RATIO late/back fastest %.3f median %.3f (lag %.1f ms)" % (times["late"][0] / times["back"][0],
                                                                  times["late"][1] / times["back"][1], 1e3 * lag))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "server":
        server(int(sys.argv[2]))
    elif len(sys.argv) in (7, 8) and sys.argv[1] == "client":
        client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]),
               float(sys.argv[7]) if len(sys.argv) == 8 else 0.5)
    else:
        sys.exit("usage: link_duplex.py server PORT | client HOST PORT BYTES ROUNDS IDLE_S [LAG_FRACTION]")
