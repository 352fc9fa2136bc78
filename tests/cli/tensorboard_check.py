#!/usr/bin/python3
"""An independent reader of the TensorBoard event files of a vdmc run (tests/cli/tensorboard.sh).

It shares nothing with vdmc's C code: the TFRecord framing and CRC-32C are written
here again, and the Event messages are decoded by python3-protobuf through a
descriptor built below by hand from the published field numbers of TensorFlow's
event.proto and summary.proto (not from io/tb_event.proto). Truncated tails are
handled as TensorBoard's readers do: the whole records before them are read, the
partial one is not an error (the writer may still be writing it).

  tensorboard_check.py cut TBFILE
      cuts the last record of TBFILE in the middle (what a kill -9 during a write
      leaves) and prints its step and tags as JSON
  tensorboard_check.py check RUN [--lost CUT.json]... [--cut-file NAME]... [--schedule-csv CSV STEP]
      checks RUN/tb against RUN/log.jsonl and RUN/samples/; --lost: the records cut
      (their values are expected to be missing); --cut-file: the files allowed to end
      in a truncated record; --schedule-csv: `vdmc schedule --from-checkpoint ...
      --csv --points 201` of the checkpoint of STEP, to check the density histogram
"""
import glob
import json
import math
import os
import re
import struct
import sys
import zlib
from decimal import Decimal

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

# ---- CRC-32C (Castagnoli, reflected 0x82F63B78) and TFRecord's mask ----------------
_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _TABLE.append(_c)


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def masked(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283


def read_records(path):
    """(records, truncated): records = [(offset, payload)]; a CRC mismatch raises."""
    data = open(path, "rb").read()
    pos, out = 0, []
    while pos < len(data):
        if len(data) - pos < 12:
            return out, True
        (length,) = struct.unpack_from("<Q", data, pos)
        (len_crc,) = struct.unpack_from("<I", data, pos + 8)
        if masked(crc32c(data[pos:pos + 8])) != len_crc:
            raise ValueError(f"{path}: offset {pos}: length CRC mismatch")
        if len(data) - pos < 12 + length + 4:
            return out, True
        payload = data[pos + 12:pos + 12 + length]
        (data_crc,) = struct.unpack_from("<I", data, pos + 12 + length)
        if masked(crc32c(payload)) != data_crc:
            raise ValueError(f"{path}: offset {pos}: data CRC mismatch")
        out.append((pos, payload))
        pos += 12 + length + 4
    return out, False


# ---- the Event message, from the published field numbers ---------------------------
def _event_class():
    F = descriptor_pb2.FieldDescriptorProto
    fd = descriptor_pb2.FileDescriptorProto(name="tensorboard_check.proto", package="tbcheck", syntax="proto3")

    def msg(parent, name, fields, oneofs=()):
        m = parent.add(name=name)
        for o in oneofs:
            m.oneof_decl.add(name=o)
        for fname, number, ftype, extra in fields:
            f = m.field.add(name=fname, number=number, type=ftype, label=extra.get("label", F.LABEL_OPTIONAL))
            if "type_name" in extra:
                f.type_name = extra["type_name"]
            if "oneof" in extra:
                f.oneof_index = extra["oneof"]
        return m

    rep = {"label": F.LABEL_REPEATED}
    msg(fd.message_type, "HistogramProto", [
        ("min", 1, F.TYPE_DOUBLE, {}), ("max", 2, F.TYPE_DOUBLE, {}), ("num", 3, F.TYPE_DOUBLE, {}),
        ("sum", 4, F.TYPE_DOUBLE, {}), ("sum_squares", 5, F.TYPE_DOUBLE, {}),
        ("bucket_limit", 6, F.TYPE_DOUBLE, rep), ("bucket", 7, F.TYPE_DOUBLE, rep)])
    summary = msg(fd.message_type, "Summary", [
        ("value", 1, F.TYPE_MESSAGE, {"label": F.LABEL_REPEATED, "type_name": ".tbcheck.Summary.Value"})])
    msg(summary.nested_type, "Image", [
        ("height", 1, F.TYPE_INT32, {}), ("width", 2, F.TYPE_INT32, {}), ("colorspace", 3, F.TYPE_INT32, {}),
        ("encoded_image_string", 4, F.TYPE_BYTES, {})])
    msg(summary.nested_type, "Value", [
        ("tag", 1, F.TYPE_STRING, {}),
        ("simple_value", 2, F.TYPE_FLOAT, {"oneof": 0}),
        ("image", 4, F.TYPE_MESSAGE, {"oneof": 0, "type_name": ".tbcheck.Summary.Image"}),
        ("histo", 5, F.TYPE_MESSAGE, {"oneof": 0, "type_name": ".tbcheck.HistogramProto"})], oneofs=["value"])
    msg(fd.message_type, "Event", [
        ("wall_time", 1, F.TYPE_DOUBLE, {}), ("step", 2, F.TYPE_INT64, {}),
        ("file_version", 3, F.TYPE_STRING, {"oneof": 0}),
        ("summary", 5, F.TYPE_MESSAGE, {"oneof": 0, "type_name": ".tbcheck.Summary"})], oneofs=["what"])
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    desc = pool.FindMessageTypeByName("tbcheck.Event")
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(desc)
    return message_factory.MessageFactory(pool).GetPrototype(desc)


Event = _event_class()

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def event_files(tb):
    return sorted(p for p in glob.glob(os.path.join(tb, "*")) if "tfevents" in os.path.basename(p))


# ---- PNG: decode enough to know it is a whole image of the stated size -------------
def png_check(data, what):
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return fail(f"{what}: not a PNG")
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        (n,) = struct.unpack_from(">I", data, pos)
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        if zlib.crc32(kind + body) != struct.unpack_from(">I", data, pos + 8 + n)[0]:
            return fail(f"{what}: PNG chunk CRC")
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype = ihdr[0], ihdr[1], ihdr[2], ihdr[3]
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
    raw = zlib.decompress(idat)
    if depth != 8 or len(raw) != h * (1 + w * channels):
        fail(f"{what}: PNG pixel data of {len(raw)} bytes for {w}x{h}x{channels}")
    return w, h, {1: 1, 2: 2, 3: 3, 4: 4}[channels]


# ---- log.jsonl: numbers with their printed text, first line of each step ------------
def flatten(obj, prefix=""):
    for k, v in obj.items():
        if isinstance(v, dict):
            yield from flatten(v, prefix + k + "/")
        else:
            yield prefix + k, v


def jsonl_steps(path):
    """{step: {key: text}} merging a step's log interval and its evaluation (a line with
    eval_bpd), each the first of its kind; and the steps of the log intervals. An
    evaluation's images is its position, like step: only the interval's is a scalar."""
    first, seen, intervals = {}, set(), set()
    for line in open(path):
        rec = json.loads(line, parse_float=str, parse_int=str)
        step = int(rec["step"])
        kind = "eval" if "eval_bpd" in rec else "interval"
        if (kind, step) not in seen:  # a replayed step: TensorBoard keeps the first values
            seen.add((kind, step))
            index = ("step", "images") if kind == "eval" else ("step",)
            first.setdefault(step, {}).update({k: v for k, v in flatten(rec) if k not in index})
            if kind == "interval":
                intervals.add(step)
    return first, intervals


def close_to_printed(value, text):
    """value (float32 of x) vs text (x printed with a few digits): the error bound is half
    a unit of the last printed digit plus float32 rounding (2^-24 relative)."""
    d = Decimal(text)
    half_unit = 0.5 * 10.0 ** d.as_tuple().exponent
    x = float(text)
    return abs(value - x) <= half_unit + abs(x) * 2.0 ** -24 + 1e-300


def check(run, lost_files, cut_files, schedule):
    tb = os.path.join(run, "tb")
    files = event_files(tb)
    if not files:
        return fail(f"{tb}: no event files")
    name_re = re.compile(r"^events\.out\.tfevents\.(\d{10})\.[^/]+\.(\d+)$")
    lost = set()
    for lf in lost_files:
        cut = json.load(open(lf))
        lost |= {(t, cut["step"]) for t in cut["tags"]}
    scalars, images, histos, order = {}, {}, {}, {}
    n_records = 0
    for path in files:
        name = os.path.basename(path)
        if not name_re.match(name):
            fail(f"{name}: not TensorBoard's events.out.tfevents.<time>.<host>.<pid>")
        try:
            recs, truncated = read_records(path)
        except ValueError as e:
            fail(str(e))
            continue
        if truncated and name not in cut_files:
            fail(f"{name}: ends in a truncated record")
        if not truncated and name in cut_files:
            fail(f"{name}: the cut record is gone (vdmc rewrote the file?)")
        n_records += len(recs)
        for i, (off, payload) in enumerate(recs):
            ev = Event()
            ev.ParseFromString(payload)
            if i == 0:
                if ev.WhichOneof("what") != "file_version" or ev.file_version != "brain.Event:2":
                    fail(f"{name}: the first record is not file_version brain.Event:2")
                continue
            if ev.WhichOneof("what") != "summary":
                fail(f"{name}: record at {off} has no summary")
                continue
            for v in ev.summary.value:
                # TensorBoard's order: files by name, records in file order; a step <= the
                # last one of a tag reads as a restart and discards data
                prev = order.get(v.tag, -1)
                if ev.step <= prev:
                    fail(f"{v.tag}: step {ev.step} after step {prev} ({name})")
                order[v.tag] = ev.step
                kind = v.WhichOneof("value")
                if kind == "simple_value":
                    scalars.setdefault(v.tag, {})[ev.step] = v.simple_value
                elif kind == "image":
                    images[ev.step] = v.image
                elif kind == "histo":
                    histos[ev.step] = v.histo
    print(f"{len(files)} event files, {n_records} whole records, every CRC checked")

    # scalars: exactly log.jsonl's keys and steps, values equal to the printed digits
    log, intervals = jsonl_steps(os.path.join(run, "log.jsonl"))
    keys = set().union(*(set(r) for r in log.values()))
    if set(scalars) != keys:
        fail(f"scalar tags {sorted(set(scalars) ^ keys)} are in only one of TensorBoard and log.jsonl")
    compared = 0
    for step, rec in log.items():
        for key, text in rec.items():
            got = scalars.get(key, {}).get(step)
            if (key, step) in lost:
                if got is not None:
                    fail(f"{key} at step {step}: present although its record was cut")
                continue
            if got is None:
                fail(f"{key} at step {step}: in log.jsonl, not in TensorBoard")
            elif not close_to_printed(got, text):
                fail(f"{key} at step {step}: TensorBoard {got!r}, log.jsonl {text}")
            compared += 1
    for key, steps in scalars.items():
        extra = set(steps) - set(log)
        if extra:
            fail(f"{key}: steps {sorted(extra)} not in log.jsonl")
    print(f"{compared} scalar values equal log.jsonl's ({len(keys)} tags, steps {min(log)}..{max(log)})")

    # images: one per sample grid, the PNG file's bytes, of the stated size
    pngs = {int(re.search(r"step-(\d+)\.png$", p).group(1)): p for p in glob.glob(os.path.join(run, "samples", "*.png"))}
    want = {s for s in pngs if ("samples", s) not in lost}
    if set(images) != want:
        fail(f"images at steps {sorted(images)}, sample grids at {sorted(want)}")
    for step, im in images.items():
        data = im.encoded_image_string
        if step in pngs and data != open(pngs[step], "rb").read():
            fail(f"image of step {step} is not the bytes of {pngs[step]}")
        size = png_check(data, f"image of step {step}")
        if size and size != (im.width, im.height, im.colorspace):
            fail(f"image of step {step}: PNG {size}, summary says {(im.width, im.height, im.colorspace)}")
    print(f"{len(images)} images: the sample grids' PNG bytes, sizes as stated")

    # the adaptive schedule's density: a probability over 100 equal bins
    want = {s for s in intervals if ("adaptive_schedule/density", s) not in lost}
    if set(histos) != want:
        fail(f"density histograms at steps {sorted(histos)}, expected {sorted(want)}")
    for step, h in histos.items():
        w = (h.max - h.min) / 100
        if len(h.bucket) != 100 or len(h.bucket_limit) != 100 or abs(sum(h.bucket) - 1) > 1e-12 or h.num != 1:
            fail(f"density at step {step}: not 100 buckets of total mass 1")
        elif any(abs(h.bucket_limit[k] - (h.min + (k + 1) * w)) > 1e-12 * max(1, abs(h.max)) for k in range(100)):
            fail(f"density at step {step}: bucket limits are not 100 equal bins over [min, max]")
        mean = sum(b * (h.min + (k + 0.5) * w) for k, b in enumerate(h.bucket))
        if abs(h.sum - mean) > 1e-9 * (1 + abs(mean)):
            fail(f"density at step {step}: sum {h.sum} is not the mean {mean}")
    print(f"{len(histos)} density histograms: 100 equal bins over lambda, total mass 1, exact mean")
    if schedule:
        csv_path, step = schedule[0], int(schedule[1])
        lines = [l for l in open(csv_path).read().split("\n") if l and not l.startswith("#")]
        rows = [l.split(",") for l in lines[1:]]  # after the header lambda,t,p,w,w_over_p
        h = histos.get(step)
        if h is None or len(rows) != 201:
            fail(f"no density at step {step} or not 201 rows in {csv_path}")
        else:
            w = (h.max - h.min) / 100
            worst = 0.0
            for k in range(100):  # row 2k+1 is the center of bin k
                lam, p = float(rows[2 * k + 1][0]), float(rows[2 * k + 1][2])
                if abs(lam - (h.min + (k + 0.5) * w)) > 1e-9 * max(1, abs(lam)):
                    fail(f"csv row {2 * k + 1}: lambda {lam} is not the center of bin {k}")
                    break
                worst = max(worst, abs(p * w - h.bucket[k]) / h.bucket[k])
            if worst > 1e-8:  # p is printed with 10 digits
                fail(f"density at step {step} differs from `vdmc schedule` by {worst:.2e} (relative)")
            print(f"density at step {step} = vdmc schedule's p(lambda) x bin width within {worst:.1e}")


def cut(path):
    recs, truncated = read_records(path)
    off, payload = recs[-1]
    ev = Event()
    ev.ParseFromString(payload)
    size = os.path.getsize(path)
    os.truncate(path, off + (size - off) // 2)
    print(json.dumps({"step": ev.step, "tags": [v.tag for v in ev.summary.value]}))


def main(argv):
    if argv[1] == "cut":
        return cut(argv[2])
    run, lost, cuts, schedule = argv[2], [], [], None
    i = 3
    while i < len(argv):
        if argv[i] == "--lost":
            lost.append(argv[i + 1])
            i += 2
        elif argv[i] == "--cut-file":
            cuts.append(argv[i + 1])
            i += 2
        elif argv[i] == "--schedule-csv":
            schedule = (argv[i + 1], argv[i + 2])
            i += 3
        else:
            raise SystemExit(f"unknown argument {argv[i]}")
    check(run, lost, cuts, schedule)
    if failures:
        print(f"{len(failures)} failures")
        sys.exit(1)
    print("tensorboard_check: all good")


if __name__ == "__main__":
    main(sys.argv)
