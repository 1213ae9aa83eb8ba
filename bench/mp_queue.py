#!/usr/bin/env python3
"""mp_queue.py - the same records as bench/throughput through Python's
multiprocessing.Queue, driven the way the seeds drive it.

    mp_queue.py --size BYTES --count N [--workers W]
                [--stages source-sink|source-workers-sink] [--tsv]

The classes are the seeds' "Multiprocessing Goodness, Part 2" ones
(ProducerProcess, ConsumerProducerProcess, ConsumerProcess): a generator
function per stage, one Queue per edge, one None sentinel per consumer
put by each producer, and consumers that count sentinels per producer.
Records are bytes objects of BYTES bytes with the index stamped into the
first and last 8 bytes (the rest reused); the sink checks length and both
stamps and sums the indices, like throughput's sink.  Time runs from
before the first start() to after the last join().  Prints one line in
the format of bench/throughput with "impl":"mp_queue".
"""

import argparse
import sys
import time
from multiprocessing import Array, Process, Queue


class ProducerProcess(Process):
    """Produces items into a Queue (the seed's class)."""

    def __init__(self, name=None, target=None, args=None, output_queue=None,
                 consumers=0):
        super().__init__(name=name)
        self.target = target
        self.args = args if args is not None else []
        self.output_queue = output_queue
        self.consumers = consumers

    def run(self):
        for item in self.target(*self.args):
            self.output_queue.put(item)
        for _ in range(self.consumers):
            self.output_queue.put(None)
        self.output_queue.close()


class ConsumerProducerProcess(Process):
    """Consumes items from a Queue and produces items onto a Queue."""

    def __init__(self, name=None, target=None, input_queue=None, producers=0,
                 output_queue=None, consumers=0):
        super().__init__(name=name)
        self.target = target
        self.input_queue = input_queue
        self.producers = producers
        self.output_queue = output_queue
        self.consumers = consumers

    def items(self):
        while self.producers != 0:
            for item in iter(self.input_queue.get, None):
                yield item
            self.producers -= 1

    def run(self):
        for item in self.target(self.items()):
            self.output_queue.put(item)
        for _ in range(self.consumers):
            self.output_queue.put(None)
        self.output_queue.close()


class ConsumerProcess(Process):
    """Consumes items from a Queue (the seed's class)."""

    def __init__(self, name=None, target=None, kwargs=None, input_queue=None,
                 producers=0):
        super().__init__(name=name)
        self.target = target
        self.kwargs = kwargs if kwargs is not None else {}
        self.input_queue = input_queue
        self.producers = producers

    def items(self):
        while self.producers != 0:
            for item in iter(self.input_queue.get, None):
                yield item
            self.producers -= 1

    def run(self):
        self.target(self.items(), **self.kwargs)


def produce(size, count):
    """Source: count records of size bytes, index at both ends."""
    body = bytes((i * 131 + 7) & 0xFF for i in range(size - 16))
    for i in range(count):
        stamp = i.to_bytes(8, "little")
        yield stamp + body + stamp


def passthrough(source):
    """Transform: pass each record on unchanged."""
    for item in source:
        yield item


def consume(source, size, result):
    """Sink: check length and both stamps, tally."""
    records = nbytes = index_sum = bad = 0
    for item in source:
        n = len(item)
        records += 1
        nbytes += n
        if n != size or item[-8:] != item[:8]:
            bad += 1
            continue
        index_sum += int.from_bytes(item[:8], "little")
    with result.get_lock():
        result[0] = records
        result[1] = nbytes
        result[2] = index_sum % (1 << 63)
        result[3] = bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--count", type=int, default=100000)
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--stages", choices=["source-sink", "source-workers-sink"])
    ap.add_argument("--tsv", action="store_true")
    a = ap.parse_args()
    if a.size < 16:
        ap.error("--size must be at least 16 (the index is stamped at both "
                 "ends)")
    shape = a.stages or ("source-workers-sink" if a.workers > 0
                         else "source-sink")
    workers = 0 if shape == "source-sink" else max(a.workers, 1)

    result = Array("q", 4)  # the sink's tallies, shared
    procs = []
    if workers == 0:
        q = Queue()
        procs.append(ProducerProcess(name="source", target=produce,
                                     args=(a.size, a.count), output_queue=q,
                                     consumers=1))
        procs.append(ConsumerProcess(name="sink", target=consume,
                                     kwargs=dict(size=a.size, result=result),
                                     input_queue=q, producers=1))
    else:
        q1, q2 = Queue(), Queue()
        procs.append(ProducerProcess(name="source", target=produce,
                                     args=(a.size, a.count), output_queue=q1,
                                     consumers=workers))
        for _ in range(workers):
            procs.append(ConsumerProducerProcess(
                name="work", target=passthrough, input_queue=q1, producers=1,
                output_queue=q2, consumers=1))
        procs.append(ConsumerProcess(name="sink", target=consume,
                                     kwargs=dict(size=a.size, result=result),
                                     input_queue=q2, producers=workers))

    t0 = time.monotonic()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    el = time.monotonic() - t0

    n = a.count
    want = (n * (n - 1) // 2) % (1 << 63)
    ok = (all(p.exitcode == 0 for p in procs) and result[0] == n
          and result[3] == 0 and result[1] == n * a.size
          and result[2] == want)
    if not ok:
        print("mp_queue: CHECK FAILED: records %d of %d, bad %d, "
              "index sum %d (want %d)" % (result[0], n, result[3],
                                          result[2], want), file=sys.stderr)
        return 1
    rps = n / el
    gbps = n * a.size / el / 1e9
    if a.tsv:
        print("mp_queue\t%s\t%d\t%d\t%d\t%.6f\t%.0f\t%.4f"
              % (shape, workers, a.size, n, el, rps, gbps))
    else:
        print('{"impl":"mp_queue","shape":"%s","workers":%d,"size":%d,'
              '"count":%d,"elapsed_s":%.6f,"records_per_s":%.0f,'
              '"gb_per_s":%.4f}' % (shape, workers, a.size, n, el, rps, gbps))
    return 0


if __name__ == "__main__":
    sys.exit(main())
