// TensorBoard event files (docs/interop.md, "TensorBoard"): TFRecord framing around
// `Event` protocol buffers (io/tb_event.proto, encoded by protobuf-c). A record is
//   uint64 length (little-endian) | uint32 masked CRC-32C of those 8 bytes |
//   payload (length bytes)        | uint32 masked CRC-32C of the payload
// (core/crc32c.h for the mask). The first record of a file is an Event with
// file_version "brain.Event:2"; every later one carries a Summary.
// Writers append whole records to a file they created exclusively; readers stop at a
// truncated tail (a writer killed mid-record) as TensorBoard does.
#ifndef VDMC_IO_TB_EVENTS_H
#define VDMC_IO_TB_EVENTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TB_RECORD_OVERHEAD 16   // header 12 + footer 4
#define TB_RECORD_MAX (256u << 20)  // larger lengths are treated as corrupt (vdmc writes KBs)
#define TB_FILE_MARKER "tfevents"  // TensorBoard reads the files whose name contains it

// ---- framing --------------------------------------------------------------------
// Writes the 12-byte header into rec[0..12) and the footer after rec[12 + len), around
// the payload the caller placed at rec[12..12 + len). rec: (len + TB_RECORD_OVERHEAD).
void tb_record_frame(uint8_t *rec, size_t len);

typedef enum {
  TB_RECORD_OK = 0,    // *payload / *len hold the next record
  TB_RECORD_END,       // clean end of file
  TB_RECORD_TRUNCATED, // the file ends inside a record: TensorBoard waits for the rest
  TB_RECORD_CORRUPT    // a CRC does not match or the length is impossible
} TbRecordStatus;

// Reads the record at f's position into *buf (grown as needed, capacity *cap; free it
// when done). On TRUNCATED and CORRUPT `why` gets a one-line reason.
TbRecordStatus tb_record_read(FILE *f, uint8_t **buf, size_t *cap, size_t *len, char *why, size_t why_len);

// ---- events ---------------------------------------------------------------------
typedef enum { TB_SCALAR, TB_IMAGE, TB_HISTOGRAM } TbValueKind;

typedef struct {
  const char *tag;
  TbValueKind kind;
  double scalar;  // TB_SCALAR, stored as float32 (Summary.Value.simple_value)
  // TB_IMAGE: an encoded PNG of width x height, colorspace 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA
  const uint8_t *png;
  size_t png_len;
  int width, height, colorspace;
  // TB_HISTOGRAM: bucket[i] is the count in (bucket_limit[i-1], bucket_limit[i]],
  // the first bucket starting at min
  const double *bucket_limit, *bucket;  // (buckets)
  size_t buckets;
  double min, max, num, sum, sum_squares;
} TbValue;

typedef struct {
  int fd;                 // -1 when closed
  char path[4400];
  long long bytes;        // committed: every record before this offset is whole
} TbEventFile;

// Creates `dir`/events.out.tfevents.<name_time>.<host>.<pid> with O_EXCL (nothing is
// ever truncated or reused) and writes the file_version record (if that fails, the
// empty file is removed again). name_time is the 10-digit seconds field TensorBoard
// sorts files by.
int tb_file_create(TbEventFile *f, const char *dir, long long name_time, double wall_time);
// Appends one Event holding a Summary of n values. On a failed write the partial
// record is cut off again (ftruncate to the last whole record) and the file closed:
// earlier records stay intact and nothing more is written to it.
int tb_file_write(TbEventFile *f, double wall_time, long long step, const TbValue *values, int n);
void tb_file_close(TbEventFile *f);

// ---- reading a directory ----------------------------------------------------------
// Called for each summary value of each event: its tag and step.
typedef void (*TbScanFn)(void *ctx, const char *tag, long long step);
// Called once per file that ends in a truncated record or has a corrupt one (the rest
// of that file is not read, as in TensorBoard): the path and the reason.
typedef void (*TbProblemFn)(void *ctx, const char *path, const char *why);

typedef struct {
  int files;                  // event files read
  long long newest_name_time; // the largest <time> field of their names (-1: none)
} TbScan;

// One event file: fn for every value, problem once if it stops early. Errors: the
// file cannot be opened or read.
int tb_scan_file(const char *path, TbScanFn fn, TbProblemFn problem, void *ctx);
// Reads every file of dir whose name contains "tfevents". A missing dir is empty;
// one that cannot be listed or a file that cannot be opened is an error.
int tb_scan_dir(const char *dir, TbScanFn fn, TbProblemFn problem, void *ctx, TbScan *out);

#endif
