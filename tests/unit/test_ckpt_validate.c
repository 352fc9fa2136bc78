// ckpt_rows_validate on crafted /tensors rows (docs/reliability.md "Bad files"): each
// bad row is refused with a message naming the row and the field; the good table,
// and tables touching the ends of the flat arrays, pass. Complements
// tests/cli/bad_checkpoints.sh, which damages real files; a name without a NUL
// cannot be made through HDF5's string conversion, so it is tested here.
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "core/status.h"
#include "io/checkpoint_internal.h"

typedef struct {
  const char *name;  // what the case is
  int row;           // which row of the good table to change
  const char *field; // ndim | decay | offset | shape0 | shape1 | noname | unterminated
  long long value;
  const char *want;  // substring of the error; NULL: must pass
} RowCase;

// Two tensors in 100 floats: a [4, 5] at 0 and a [10] at 20.
static void good_rows(CkptTensorRow r[2]) {
  memset(r, 0, 2 * sizeof *r);
  strcpy(r[0].name, "a.weight");
  r[0].ndim = 2, r[0].shape[0] = 4, r[0].shape[1] = 5, r[0].decay = 1;
  strcpy(r[1].name, "a.bias");
  r[1].ndim = 1, r[1].shape[0] = 10, r[1].offset = 20;
}

static void apply(CkptTensorRow *r, const RowCase *c) {
  if (!strcmp(c->field, "ndim")) r->ndim = (int32_t)c->value;
  else if (!strcmp(c->field, "decay")) r->decay = (int32_t)c->value;
  else if (!strcmp(c->field, "offset")) r->offset = (uint64_t)c->value;
  else if (!strcmp(c->field, "shape0")) r->shape[0] = (uint64_t)c->value;
  else if (!strcmp(c->field, "shape1")) r->shape[1] = (uint64_t)c->value;
  else if (!strcmp(c->field, "noname")) r->name[0] = '\0';
  else if (!strcmp(c->field, "unterminated")) memset(r->name, 'x', sizeof r->name);
}

static const RowCase kCases[] = {
    {"good table", 0, "none", 0, NULL},
    {"last tensor ends at total", 1, "offset", 90, NULL},
    {"ndim 99 (read past shape[4] before)", 0, "ndim", 99, "ndim 99, expected 1..4"},
    {"ndim 0", 1, "ndim", 0, "ndim 0, expected 1..4"},
    {"ndim negative", 1, "ndim", -1, "ndim -1"},
    {"ndim 5", 0, "ndim", 5, "ndim 5"},
    {"decay flag", 0, "decay", 2, "decay flag 2"},
    {"zero dimension", 0, "shape1", 0, "shape[1] = 0"},
    {"dimension above total", 1, "shape0", 101, "shape[0] = 101"},
    {"product overflows 64 bits", 0, "shape0", (long long)1 << 40, "larger than the 100 floats"},
    {"offset past total", 1, "offset", 91, "offset 91 + 10 elements runs past the 100 floats"},
    {"offset wraps around", 1, "offset", -5, "runs past"},
    {"overlapping tensors", 1, "offset", 19, "overlaps the previous tensor, which ends at 20"},
    {"empty name", 1, "noname", 0, "row 1 (''): the name is empty"},
    {"name without NUL in its 96 bytes", 0, "unterminated", 0, "not NUL-terminated"},
};

int main(void) {
  for (size_t i = 0; i < sizeof kCases / sizeof kCases[0]; i++) {
    const RowCase *c = &kCases[i];
    CkptTensorRow rows[2];
    good_rows(rows);
    apply(&rows[c->row], c);
    vdmc_clear_error();
    int rc = ckpt_rows_validate(rows, 2, 100, "x.h5");
    if (!c->want) {
      CHECK(rc == VDMC_OK, "%s: refused: %s", c->name, vdmc_error_message());
      continue;
    }
    const char *msg = vdmc_error_message();
    CHECK(rc == VDMC_ERR_IO && strstr(msg, "checkpoint x.h5") && strstr(msg, c->want) && !strchr(msg, '\n'),
          "%s: rc %d, wanted one line with '%s', got '%s'", c->name, rc, c->want, msg);
    char row[32];
    snprintf(row, sizeof row, "row %d", c->row);
    CHECK(strstr(msg, row) != NULL, "%s: the message does not name %s: %s", c->name, row, msg);
  }
  return check_finish("ckpt_validate");
}
