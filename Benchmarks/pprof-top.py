#!/usr/bin/env python3
"""Prints the top functions of a Go CPU profile (pprof's gzipped protobuf) without the Go toolchain.

    pprof-top.py PROFILE.pb.gz [N]

PROFILE comes from a Go program's /debug/pprof/profile?seconds=S (Benchmarks/ingest.sh saves
Pushgateway's with PGW_PROFILE_DIR). Prints the sampled CPU time, then the N (25) functions with the
most cumulative time (the function or anything it called) and their flat time (the function itself),
as shares of all samples. Go profiles carry their function names, so no symbols are needed.
"""
import collections
import gzip
import sys


def varint(data, pos):
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def fields(data):
    """(field number, wire type, value) of one protobuf message; value is an int or bytes."""
    pos = 0
    while pos < len(data):
        key, pos = varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = varint(data, pos)
        elif wire == 2:
            length, pos = varint(data, pos)
            value, pos = data[pos:pos + length], pos + length
        elif wire == 1:
            value, pos = int.from_bytes(data[pos:pos + 8], "little"), pos + 8
        elif wire == 5:
            value, pos = int.from_bytes(data[pos:pos + 4], "little"), pos + 4
        else:
            raise ValueError("unsupported wire type %d" % wire)
        yield number, wire, value


def ints(wire, value):
    """A repeated integer field, packed (bytes) or not."""
    if wire != 2:
        return [value]
    out, pos = [], 0
    while pos < len(value):
        item, pos = varint(value, pos)
        out.append(item)
    return out


def main():
    raw = open(sys.argv[1], "rb").read()
    data = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    strings, samples, locations, functions, sample_types = [], [], {}, {}, []
    for number, wire, value in fields(data):
        if number == 1:
            sample_types.append({n: v for n, _, v in fields(value)})
        elif number == 2:
            ids, values = [], []
            for n, w, v in fields(value):
                if n == 1:
                    ids += ints(w, v)
                elif n == 2:
                    values += ints(w, v)
            samples.append((ids, values))
        elif number == 4:
            loc_id, lines = 0, []
            for n, _, v in fields(value):
                if n == 1:
                    loc_id = v
                elif n == 4:
                    lines.append({ln: lv for ln, _, lv in fields(v)}.get(1, 0))
            locations[loc_id] = lines  # innermost (inlined) function first
        elif number == 5:
            f = {n: v for n, _, v in fields(value)}
            functions[f.get(1, 0)] = f.get(2, 0)
        elif number == 6:
            strings.append(value.decode("utf-8", "replace"))
    # the last sample type is the time (cpu nanoseconds for a CPU profile)
    index = len(sample_types) - 1
    unit = strings[sample_types[index].get(2, 0)] if sample_types else "?"
    flat, cumulative, total = collections.Counter(), collections.Counter(), 0
    for ids, values in samples:
        value = values[index]
        total += value
        names = [strings[functions.get(fid, 0)] for lid in ids for fid in locations.get(lid, [])]
        if names:
            flat[names[0]] += value
        for name in set(names):
            cumulative[name] += value
    scale = 1e9 if unit == "nanoseconds" else 1
    print("%d samples, %.2f s of CPU (%s)" % (len(samples), total / scale, unit))
    print("%7s %7s  %s" % ("cum %", "flat %", "function"))
    for name, value in cumulative.most_common(top):
        print("%6.1f%% %6.1f%%  %s" % (100 * value / total, 100 * flat[name] / total, name))


main()
