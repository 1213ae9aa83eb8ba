#!/usr/bin/env python3
"""dns-stub.py - a tiny UDP DNS server for the --resolve tests and bench.

Answers PTR queries for IPv4 reverse names (a.b.c.d -> host-a-b-c-d.stub.test,
TTL --ttl) after --delay-ms, or never answers (--mode drop), and logs one
line per query to --count-file.  It binds 127.0.0.1 on a free port and
writes the port to --port-file.  Many queries wait at once: a reply is
scheduled, not slept for, so N concurrent clients see the delay once.
--hostile puts terminal control bytes in the names (ESC, BEL, a bidi
override, a NUL), as a hostile reverse zone could.
"""
import argparse
import heapq
import select
import socket
import struct
import time


def parse_query(data):
    """(id, flags, labels, qtype, question bytes) or None."""
    if len(data) < 12:
        return None
    qid, flags, qd = struct.unpack(">HHH", data[:6])
    if qd != 1:
        return None
    pos, labels = 12, []
    while pos < len(data) and data[pos]:
        n = data[pos]
        labels.append(data[pos + 1:pos + 1 + n])
        pos += 1 + n
    pos += 1
    if pos + 4 > len(data):
        return None
    qtype = struct.unpack(">H", data[pos:pos + 2])[0]
    return qid, flags, labels, qtype, data[12:pos + 4]


def encode_name(labels):
    return b"".join(bytes([len(l)]) + l for l in labels) + b"\0"


def answer(data, args):
    q = parse_query(data)
    if q is None:
        return None
    qid, flags, labels, qtype, question = q
    rd = flags & 0x0100
    low = [l.lower() for l in labels]
    if qtype == 12 and len(labels) == 6 and low[4:] == [b"in-addr", b"arpa"]:
        octets = [l.decode() for l in reversed(labels[:4])]
        name = [b"host-" + "-".join(octets).encode(), b"stub", b"test"]
        if args.hostile:
            name = [b"\x1b[31mevil\x07\xe2\x80\xaeX\x00Y"] + name
        rdata = encode_name(name)
        rr = (b"\xc0\x0c" + struct.pack(">HHIH", 12, 1, args.ttl, len(rdata))
              + rdata)
        return struct.pack(">HHHHHH", qid, 0x8180 | rd, 1, 1, 0, 0) + \
            question + rr
    return struct.pack(">HHHHHH", qid, 0x8183 | rd, 1, 0, 0, 0) + question


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--count-file")
    ap.add_argument("--mode", choices=["answer", "drop"], default="answer")
    ap.add_argument("--delay-ms", type=float, default=0)
    ap.add_argument("--ttl", type=int, default=3600)
    ap.add_argument("--hostile", action="store_true")
    args = ap.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % sock.getsockname()[1])
    import os
    os.rename(args.port_file + ".tmp", args.port_file)
    count = open(args.count_file, "a", buffering=1) if args.count_file \
        else None
    due = []  # (time, seq, reply, addr)
    seq = 0
    while True:
        wait = max(0.0, due[0][0] - time.monotonic()) if due else None
        r, _, _ = select.select([sock], [], [], wait)
        if r:
            data, addr = sock.recvfrom(4096)
            if count:
                count.write("q\n")
            if args.mode == "answer":
                reply = answer(data, args)
                if reply is not None:
                    seq += 1
                    heapq.heappush(due, (time.monotonic() +
                                         args.delay_ms / 1000.0, seq, reply,
                                         addr))
        now = time.monotonic()
        while due and due[0][0] <= now:
            _, _, reply, addr = heapq.heappop(due)
            sock.sendto(reply, addr)


if __name__ == "__main__":
    main()
