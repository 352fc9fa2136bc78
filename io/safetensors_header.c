// The JSON header of a safetensors file, parsed into a SafetensorsFile: only the shape
// safetensors allows (an object of tensor objects and one "__metadata__" object of
// strings), every token checked, errors naming the file, the byte and the field.
// The consistency of the parsed fields (offsets, extents) is checked by the caller
// (safetensors_read.c).
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "io/safetensors_internal.h"

typedef struct {
  const char *s;  // the header bytes (not NUL-terminated)
  size_t n, pos;
  const char *path;
} Cursor;

static int fail_at(const Cursor *c, const char *field, const char *why) {
  return vdmc_fail(VDMC_ERR_IO, "%s: safetensors header, %s: %s (at byte %zu of the %zu-byte header)", c->path,
                   field, why, c->pos, c->n);
}

static void skip_ws(Cursor *c) {
  while (c->pos < c->n && (c->s[c->pos] == ' ' || c->s[c->pos] == '\t' || c->s[c->pos] == '\n' || c->s[c->pos] == '\r'))
    c->pos++;
}

// Consumes `ch` after optional white space.
static int expect(Cursor *c, char ch, const char *field) {
  skip_ws(c);
  if (c->pos >= c->n || c->s[c->pos] != ch) {
    char why[48];
    snprintf(why, sizeof why, "expected '%c'", ch);
    return fail_at(c, field, why);
  }
  c->pos++;
  return VDMC_OK;
}

// 1 when the next non-space byte is `ch` (consumed), 0 otherwise.
static int accept(Cursor *c, char ch) {
  skip_ws(c);
  if (c->pos < c->n && c->s[c->pos] == ch) {
    c->pos++;
    return 1;
  }
  return 0;
}

static int hex4(Cursor *c, unsigned *v, const char *field) {
  if (c->n - c->pos < 4) return fail_at(c, field, "truncated \\u escape");
  *v = 0;
  for (int i = 0; i < 4; i++) {
    char h = c->s[c->pos++];
    int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
    if (d < 0) return fail_at(c, field, "bad hex digit in a \\u escape");
    *v = *v * 16 + (unsigned)d;
  }
  return VDMC_OK;
}

static void put_utf8(char *out, size_t *len, unsigned cp) {
  if (cp < 0x80) out[(*len)++] = (char)cp;
  else if (cp < 0x800) {
    out[(*len)++] = (char)(0xc0 | (cp >> 6));
    out[(*len)++] = (char)(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out[(*len)++] = (char)(0xe0 | (cp >> 12));
    out[(*len)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[(*len)++] = (char)(0x80 | (cp & 0x3f));
  } else {
    out[(*len)++] = (char)(0xf0 | (cp >> 18));
    out[(*len)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[(*len)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[(*len)++] = (char)(0x80 | (cp & 0x3f));
  }
}

static int unicode_escape(Cursor *c, char *out, size_t *len, const char *field) {
  unsigned cp, lo;
  int rc = hex4(c, &cp, field);
  if (rc) return rc;
  if (cp >= 0xdc00 && cp < 0xe000) return fail_at(c, field, "a lone low surrogate in a \\u escape");
  if (cp >= 0xd800 && cp < 0xdc00) {  // a surrogate pair: \uD8xx\uDCxx
    if (c->n - c->pos < 2 || c->s[c->pos] != '\\' || c->s[c->pos + 1] != 'u')
      return fail_at(c, field, "a high surrogate without its low half");
    c->pos += 2;
    if ((rc = hex4(c, &lo, field))) return rc;
    if (lo < 0xdc00 || lo >= 0xe000) return fail_at(c, field, "a high surrogate without its low half");
    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
  }
  if (cp == 0) return fail_at(c, field, "a NUL character (\\u0000) in a string");
  put_utf8(out, len, cp);
  return VDMC_OK;
}

// A JSON string into *out (malloc'd, NUL-terminated).
static int parse_string(Cursor *c, char **out, const char *field) {
  int rc = expect(c, '"', field);
  if (rc) return rc;
  size_t start = c->pos, len = 0;
  // decoded text is never longer than the escaped one (a \u escape of 6 bytes gives <= 4)
  char *buf = NULL;
  while (c->pos < c->n && c->s[c->pos] != '"') c->pos += c->s[c->pos] == '\\' ? 2 : 1;
  if (c->pos >= c->n) return fail_at(c, field, "unterminated string");
  if (!(buf = malloc(c->pos - start + 1))) return vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory", c->path);
  c->pos = start;
  while (c->s[c->pos] != '"') {
    unsigned char ch = (unsigned char)c->s[c->pos++];
    if (ch < 0x20) rc = fail_at(c, field, "a raw control character in a string");
    else if (ch != '\\') buf[len++] = (char)ch;
    else {
      char e = c->s[c->pos++];
      const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
      const char *k = e ? strchr(from, e) : NULL;
      if (k) buf[len++] = to[k - from];
      else if (e == 'u') rc = unicode_escape(c, buf, &len, field);
      else rc = fail_at(c, field, "an unknown escape in a string");
    }
    if (rc) {
      free(buf);
      return rc;
    }
  }
  c->pos++;  // the closing quote
  buf[len] = '\0';
  *out = buf;
  return VDMC_OK;
}

// A non-negative JSON integer (no sign, fraction or exponent) that fits 64 bits.
static int parse_uint(Cursor *c, uint64_t *v, const char *field) {
  skip_ws(c);
  size_t start = c->pos;
  *v = 0;
  while (c->pos < c->n && c->s[c->pos] >= '0' && c->s[c->pos] <= '9') {
    unsigned d = (unsigned)(c->s[c->pos] - '0');
    if (*v > (UINT64_MAX - d) / 10) return fail_at(c, field, "integer too large");
    *v = *v * 10 + d;
    c->pos++;
  }
  if (c->pos == start) return fail_at(c, field, "expected a non-negative integer");
  if (c->pos - start > 1 && c->s[start] == '0') return fail_at(c, field, "an integer with a leading zero");
  if (c->pos < c->n && (c->s[c->pos] == '.' || c->s[c->pos] == 'e' || c->s[c->pos] == 'E'))
    return fail_at(c, field, "expected an integer, found a fraction or exponent");
  return VDMC_OK;
}

// [u, u, ...] with at most max entries.
static int parse_uint_list(Cursor *c, uint64_t *v, int max, int *count, const char *field) {
  int rc = expect(c, '[', field);
  *count = 0;
  if (rc || accept(c, ']')) return rc;
  do {
    if (*count == max) return fail_at(c, field, "too many entries");
    if ((rc = parse_uint(c, &v[(*count)++], field))) return rc;
  } while (accept(c, ','));
  return expect(c, ']', field);
}

static int parse_dtype(Cursor *c, SafetensorsTensor *t, char *field) {
  char *name = NULL;
  int rc = parse_string(c, &name, field);
  if (rc) return rc;
  for (int d = 0; d < ST_DTYPE_COUNT; d++)
    if (!strcmp(name, safetensors_dtype_name((SafetensorsDtype)d))) {
      t->dtype = (SafetensorsDtype)d;
      free(name);
      return VDMC_OK;
    }
  char why[128];
  snprintf(why, sizeof why, "'%.60s' is not a dtype this reader knows (F32, BF16, F16)", name);
  free(name);
  return fail_at(c, field, why);
}

// {"dtype": ..., "shape": [...], "data_offsets": [b, e]}, each key exactly once.
static int parse_tensor(Cursor *c, SafetensorsTensor *t) {
  char field[256];
  snprintf(field, sizeof field, "tensor '%.200s'", t->name);
  int rc = expect(c, '{', field), seen[3] = {0, 0, 0};
  static const char *keys[3] = {"dtype", "shape", "data_offsets"};
  if (!rc && !accept(c, '}')) do {
      char *key = NULL;
      if ((rc = parse_string(c, &key, field)) || (rc = expect(c, ':', field))) {
        free(key);
        return rc;
      }
      int k = 0;
      while (k < 3 && strcmp(key, keys[k])) k++;
      snprintf(field, sizeof field, "tensor '%.200s' %.40s", t->name, key);
      free(key);
      if (k == 3) return fail_at(c, field, "unknown key (expected dtype, shape, data_offsets)");
      if (seen[k]++) return fail_at(c, field, "duplicate key");
      uint64_t v[SAFETENSORS_MAX_DIMS];
      int n = 0;
      if (k == 0) rc = parse_dtype(c, t, field);
      else if (k == 1 && !(rc = parse_uint_list(c, v, SAFETENSORS_MAX_DIMS, &n, field))) {
        t->ndim = n;
        for (int i = 0; i < n; i++) {
          if (v[i] > SIZE_MAX) return fail_at(c, field, "dimension too large");
          t->shape[i] = (size_t)v[i];
        }
      } else if (k == 2 && !(rc = parse_uint_list(c, v, 2, &n, field))) {
        if (n != 2) return fail_at(c, field, "expected [begin, end]");
        if (v[1] < v[0]) return fail_at(c, field, "end is before begin");
        t->begin = v[0];
        t->end = v[1];
      }
      if (rc) return rc;
    } while (accept(c, ','));
  if (!rc) rc = expect(c, '}', field);
  for (int k = 0; !rc && k < 3; k++)
    if (!seen[k]) {
      snprintf(field, sizeof field, "tensor '%.200s'", t->name);
      char why[64];
      snprintf(why, sizeof why, "no \"%s\"", keys[k]);
      rc = fail_at(c, field, why);
    }
  return rc;
}

static int parse_metadata(Cursor *c, SafetensorsFile *sf) {
  int rc = expect(c, '{', "__metadata__");
  if (rc || accept(c, '}')) return rc;
  do {
    SafetensorsMeta *grown = realloc(sf->meta, (sf->nmeta + 1) * sizeof *grown);
    if (!grown) return vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory", sf->path);
    sf->meta = grown;
    SafetensorsMeta *m = &sf->meta[sf->nmeta++];
    m->key = m->value = NULL;
    if ((rc = parse_string(c, &m->key, "__metadata__ key")) || (rc = expect(c, ':', "__metadata__")) ||
        (rc = parse_string(c, &m->value, "__metadata__ value (must be a string)")))
      return rc;
  } while (accept(c, ','));
  return expect(c, '}', "__metadata__");
}

int safetensors_parse_header(SafetensorsFile *sf, const char *text, size_t n) {
  Cursor c = {text, n, 0, sf->path};
  int rc = expect(&c, '{', "top level"), have_meta = 0;
  if (!rc && !accept(&c, '}')) {
    do {
      char *key = NULL;
      if ((rc = parse_string(&c, &key, "tensor name")) || (rc = expect(&c, ':', "tensor name"))) {
        free(key);
        return rc;
      }
      if (!strcmp(key, "__metadata__")) {
        free(key);
        if (have_meta++) return fail_at(&c, "__metadata__", "given twice");
        rc = parse_metadata(&c, sf);
      } else {
        SafetensorsTensor *grown = realloc(sf->tensors, (sf->count + 1) * sizeof *grown);
        if (!grown) {
          free(key);
          return vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory", sf->path);
        }
        sf->tensors = grown;
        SafetensorsTensor *t = &sf->tensors[sf->count++];
        memset(t, 0, sizeof *t);
        t->name = key;
        rc = parse_tensor(&c, t);
      }
      if (rc) return rc;
    } while (accept(&c, ','));
    rc = expect(&c, '}', "top level");
  }
  skip_ws(&c);
  if (!rc && c.pos != n) rc = fail_at(&c, "top level", "text after the closing '}'");
  return rc;
}
