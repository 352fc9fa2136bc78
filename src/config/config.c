// Strict YAML config loading: defaults from the key table, then a file, then
// --set overrides, each value checked against its key's type and range.
#include "config/config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/input_file.h"
#include "core/status.h"

static int key_index(const char *path) {
  for (int i = 0; i < config_key_count; i++)
    if (strcmp(config_keys[i].path, path) == 0) return i;
  return -1;
}

static void *field(Config *c, const ConfigKey *k) { return (char *)c + k->offset; }

static const char *type_name(const ConfigKey *k) {
  switch (k->type) {
    case CFG_INT:
    case CFG_INT64: return "an integer";
    case CFG_FLOAT: return "a number";
    case CFG_BOOL: return "true or false";
    case CFG_STRING: return "a string";
    case CFG_CHOICE: return "one of";
    case CFG_INT_LIST: return "a list of integers";
    case CFG_FLOAT_LIST: return "a list of numbers";
  }
  return "?";
}

static int parse_number(const char *s, double *out) {
  if (!*s) return -1;
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (*end || errno || !isfinite(v)) return -1;
  *out = v;
  return 0;
}

static int parse_integer(const char *s, long long *out) {
  if (!*s) return -1;
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (*end == '\0' && !errno) {
    *out = v;
    return 0;
  }
  // accept integral scientific notation like 1e6 for large counts
  double d;
  if (parse_number(s, &d) == 0 && d == floor(d) && fabs(d) < 9.007199254740992e15) {
    *out = (long long)d;
    return 0;
  }
  return -1;
}

static int range_error(const ConfigKey *k, const char *where, const char *text) {
  return vdmc_fail(VDMC_ERR_INPUT, "%s: %s: expected %s in [%g, %g], got '%s'", where, k->path,
                   type_name(k), k->min, k->max, text);
}

static int set_int_value(const ConfigKey *k, long long v, void *dst, const char *where,
                         const char *text) {
  if ((double)v < k->min || (double)v > k->max) return range_error(k, where, text);
  if (k->type == CFG_INT64)
    *(long long *)dst = v;
  else
    *(int *)dst = (int)v;
  return VDMC_OK;
}

static int is_list(const ConfigKey *k) { return k->type == CFG_INT_LIST || k->type == CFG_FLOAT_LIST; }
static const char *list_example(const ConfigKey *k) { return k->type == CFG_INT_LIST ? "[1, 2]" : "[0.05, 0.1]"; }

// Sets one scalar key from its text.
static int set_scalar(Config *c, const ConfigKey *k, const char *text, const char *where) {
  void *dst = field(c, k);
  switch (k->type) {
    case CFG_INT:
    case CFG_INT64: {
      long long v;
      if (parse_integer(text, &v)) return range_error(k, where, text);
      return set_int_value(k, v, dst, where, text);
    }
    case CFG_FLOAT: {
      double v;
      if (parse_number(text, &v) || v < k->min || v > k->max) return range_error(k, where, text);
      *(double *)dst = v;
      return VDMC_OK;
    }
    case CFG_BOOL:
      if (!strcmp(text, "true")) *(int *)dst = 1;
      else if (!strcmp(text, "false")) *(int *)dst = 0;
      else return vdmc_fail(VDMC_ERR_INPUT, "%s: %s: expected true or false, got '%s'", where, k->path, text);
      return VDMC_OK;
    case CFG_STRING:
    case CFG_CHOICE: {
      if (strlen(text) >= CONFIG_STR_LEN)
        return vdmc_fail(VDMC_ERR_INPUT, "%s: %s: value longer than %d characters", where, k->path,
                         CONFIG_STR_LEN - 1);
      if (k->type == CFG_CHOICE) {
        const char *p = k->choices;
        size_t n = strlen(text);
        int found = 0;
        while (*p) {
          size_t len = strcspn(p, "|");
          if (len == n && strncmp(p, text, n) == 0) found = 1;
          p += len + (p[len] == '|');
        }
        if (!found) {  // "diffusion.weighting: unknown weighting 'x' (expected one of a|b)"
          const char *noun = strrchr(k->path, '.');
          return vdmc_fail(VDMC_ERR_INPUT, "%s: %s: unknown %s '%s' (expected one of %s)", where, k->path,
                           noun ? noun + 1 : k->path, text, k->choices);
        }
      }
      strcpy((char *)dst, text);
      return VDMC_OK;
    }
    case CFG_INT_LIST:
    case CFG_FLOAT_LIST:
      return vdmc_fail(VDMC_ERR_INPUT, "%s: %s: expected %s like %s, got '%s'", where, k->path, type_name(k),
                       list_example(k), text);
  }
  return vdmc_fail(VDMC_ERR_INTERNAL, "config key %s has an unknown type", k->path);
}

static void mark_where(char *buf, const char *name, yaml_mark_t m) {
  snprintf(buf, CONFIG_WHERE_LEN, "%s:%zu:%zu", name, m.line + 1, m.column + 1);
}

// Sets a list key from a YAML sequence node.
static int set_list(Config *c, const ConfigKey *k, yaml_document_t *doc, yaml_node_t *node,
                    const char *name) {
  char where[CONFIG_WHERE_LEN];
  mark_where(where, name, node->start_mark);
  if (node->type != YAML_SEQUENCE_NODE)
    return vdmc_fail(VDMC_ERR_INPUT, "%s: %s: expected %s like %s", where, k->path, type_name(k), list_example(k));
  int floats = k->type == CFG_FLOAT_LIST, n = 0;
  double v[CONFIG_MAX_LIST];
  for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
    yaml_node_t *item = yaml_document_get_node(doc, *it);
    mark_where(where, name, item->start_mark);
    long long iv = 0;
    double fv = 0;
    const char *text = item->type == YAML_SCALAR_NODE ? (const char *)item->data.scalar.value : "(not a scalar)";
    int bad = item->type != YAML_SCALAR_NODE || (floats ? parse_number(text, &fv) : parse_integer(text, &iv));
    if (!floats) fv = (double)iv;
    if (bad || fv < k->min || fv > k->max)
      return vdmc_fail(VDMC_ERR_INPUT, "%s: %s: list elements must be %s in [%g, %g], got '%s'", where, k->path,
                       floats ? "numbers" : "integers", k->min, k->max, text);
    if (n == CONFIG_MAX_LIST)
      return vdmc_fail(VDMC_ERR_INPUT, "%s: %s: at most %d entries", where, k->path, CONFIG_MAX_LIST);
    v[n++] = fv;
  }
  if (floats) {
    ConfigFloatList *list = field(c, k);
    memset(list, 0, sizeof *list);  // unused entries zero: values are compared with memcmp
    list->n = n;
    for (int i = 0; i < n; i++) list->v[i] = v[i];
  } else {
    ConfigIntList *list = field(c, k);
    memset(list, 0, sizeof *list);
    list->n = n;
    for (int i = 0; i < n; i++) list->v[i] = (int)v[i];
  }
  return VDMC_OK;
}

// YAML maps must not repeat a key, but libyaml keeps both and the last would win:
// a second `lr:` or a second `optim:` section is refused naming both lines. Earlier
// pairs were all accepted (known, distinct) keys, so this scan is short.
static int check_duplicate(yaml_document_t *doc, const yaml_node_t *map, const yaml_node_pair_t *p,
                           const char *path, const char *where) {
  const char *key = (const char *)yaml_document_get_node(doc, p->key)->data.scalar.value;
  for (const yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
    yaml_node_t *qk = yaml_document_get_node(doc, q->key);
    if (qk->type == YAML_SCALAR_NODE && !strcmp((const char *)qk->data.scalar.value, key))
      return vdmc_fail(VDMC_ERR_INPUT, "%s: '%s' is given twice (first at line %zu); remove one", where, path,
                       qk->start_mark.line + 1);
  }
  return VDMC_OK;
}

// Applies a mapping node whose keys are prefixed by `prefix` ("" at the top).
static int apply_mapping(ConfigSet *cs, yaml_document_t *doc, yaml_node_t *map, const char *prefix,
                         const char *name) {
  char where[CONFIG_WHERE_LEN];
  mark_where(where, name, map->start_mark);
  if (map->type != YAML_MAPPING_NODE)
    return vdmc_fail(VDMC_ERR_INPUT, "%s: expected a mapping of keys%s%s", where,
                     *prefix ? " under " : "", prefix);
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
    yaml_node_t *kn = yaml_document_get_node(doc, p->key);
    yaml_node_t *vn = yaml_document_get_node(doc, p->value);
    mark_where(where, name, kn->start_mark);
    if (kn->type != YAML_SCALAR_NODE)
      return vdmc_fail(VDMC_ERR_INPUT, "%s: keys must be plain names", where);
    char path[256];
    snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", (const char *)kn->data.scalar.value);
    int dup = check_duplicate(doc, map, p, path, where);
    if (dup) return dup;
    int idx = key_index(path);
    if (idx < 0) {
      // a section name: recurse
      size_t n = strlen(path);
      int is_section = 0;
      for (int i = 0; i < config_key_count; i++)
        if (!strncmp(config_keys[i].path, path, n) && config_keys[i].path[n] == '.') is_section = 1;
      if (!is_section)
        return vdmc_fail(VDMC_ERR_INPUT, "%s: unknown key '%s' (see configs/README.md)", where, path);
      int rc = apply_mapping(cs, doc, vn, path, name);
      if (rc) return rc;
      continue;
    }
    const ConfigKey *k = &config_keys[idx];
    mark_where(where, name, vn->start_mark);
    int rc;
    if (is_list(k)) {
      rc = set_list(&cs->values, k, doc, vn, name);
    } else if (vn->type != YAML_SCALAR_NODE) {
      rc = vdmc_fail(VDMC_ERR_INPUT, "%s: %s: expected %s%s%s, got a %s", where, path, type_name(k),
                     k->choices ? " " : "", k->choices ? k->choices : "",
                     vn->type == YAML_MAPPING_NODE ? "mapping" : "list");
    } else {
      rc = set_scalar(&cs->values, k, (const char *)vn->data.scalar.value, where);
    }
    if (rc) return rc;
    snprintf(cs->where[idx], CONFIG_WHERE_LEN, "%s", where);
  }
  return VDMC_OK;
}

// A --set value must not smuggle in other keys ("1, beta1: 0" or "1}, model: {..."):
// the assignment "section: {key: value}" has exactly one pair at each level.
static int check_single_key(yaml_document_t *doc, yaml_node_t *root, const char *name) {
  yaml_node_t *inner = NULL;
  if (root && root->type == YAML_MAPPING_NODE && root->data.mapping.pairs.top - root->data.mapping.pairs.start == 1)
    inner = yaml_document_get_node(doc, root->data.mapping.pairs.start->value);
  if (inner && inner->type == YAML_MAPPING_NODE && inner->data.mapping.pairs.top - inner->data.mapping.pairs.start == 1)
    return VDMC_OK;
  return vdmc_fail(VDMC_ERR_INPUT, "%s: the value sets more than one key (a ',' or '}' in it?); quote it or use one "
                   "--set per key", name);
}

static int load_yaml(ConfigSet *cs, const unsigned char *text, size_t len, const char *name, int single_key) {
  yaml_parser_t parser;
  yaml_document_t doc;
  int limits = config_check_limits(text, len, name);
  if (limits) return limits;
  if (!yaml_parser_initialize(&parser)) return vdmc_fail(VDMC_ERR_MEMORY, "cannot create YAML parser");
  yaml_parser_set_input_string(&parser, text, len);
  if (!yaml_parser_load(&parser, &doc)) {
    int rc = vdmc_fail(VDMC_ERR_INPUT, "%s:%zu:%zu: YAML syntax error: %s", name,
                       parser.problem_mark.line + 1, parser.problem_mark.column + 1,
                       parser.problem ? parser.problem : "unknown");
    yaml_parser_delete(&parser);
    return rc;
  }
  yaml_node_t *root = yaml_document_get_root_node(&doc);
  int rc = VDMC_OK;
  if (single_key) rc = check_single_key(&doc, root, name);
  if (root && !rc) rc = apply_mapping(cs, &doc, root, "", name);  // an empty file sets nothing
  yaml_document_delete(&doc);
  yaml_parser_delete(&parser);
  return rc;
}

// Parses "section.key" = value text through YAML, exactly as a file or --set would.
static int apply_assignment(ConfigSet *cs, const char *path, const char *value, const char *name) {
  const char *dot = strchr(path, '.');
  size_t cap = strlen(path) + strlen(value) + 16;
  char *yaml = malloc(cap);
  if (!yaml) return vdmc_fail(VDMC_ERR_MEMORY, "out of memory");
  snprintf(yaml, cap, "%.*s: {%s: %s}\n", (int)(dot - path), path, dot + 1, value);
  int rc = load_yaml(cs, (unsigned char *)yaml, strlen(yaml), name, 1);
  free(yaml);
  return rc;
}

int config_init_defaults(ConfigSet *cs) {
  memset(cs, 0, sizeof *cs);
  if (config_key_count > (int)(sizeof cs->where / sizeof cs->where[0]))
    return vdmc_fail(VDMC_ERR_INTERNAL, "config: more keys than provenance slots");
  for (int i = 0; i < config_key_count; i++) {
    int rc = apply_assignment(cs, config_keys[i].path, config_keys[i].dflt, "built-in default");
    if (rc) return rc;
    snprintf(cs->where[i], CONFIG_WHERE_LEN, "default of %s", config_keys[i].path);
  }
  snprintf(cs->source_name, sizeof cs->source_name, "defaults");
  return VDMC_OK;
}

int config_load_text(ConfigSet *cs, const char *text, const char *name) {
  snprintf(cs->source_name, sizeof cs->source_name, "%s", name);
  return load_yaml(cs, (const unsigned char *)text, strlen(text), name, 0);
}

int config_load_file(ConfigSet *cs, const char *path) {
  // read whole and closed here: `vdmc train RUN/config.yaml --run RUN` rewrites it
  if (input_file_check_unrecorded(path, "config file")) return VDMC_ERR_IO;
  FILE *f = fopen(path, "rb");
  if (!f) return vdmc_fail(VDMC_ERR_IO, "%s: cannot open config file: %s", path, strerror(errno));
  char *buf = NULL;
  size_t len = 0, cap = 0;
  // Read at most one byte past the cap: config_check_limits then names the limit.
  while (len <= CONFIG_MAX_BYTES) {
    if (len + 4096 + 1 > cap) {
      cap = cap ? 2 * cap : 16384;
      char *nb = realloc(buf, cap);
      if (!nb) {
        free(buf);
        fclose(f);
        return vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory reading config", path);
      }
      buf = nb;
    }
    size_t n = fread(buf + len, 1, 4096, f);
    len += n;
    if (n < 4096) break;
  }
  int err = ferror(f);
  fclose(f);
  if (err) {
    free(buf);
    return vdmc_fail(VDMC_ERR_IO, "%s: read error", path);
  }
  buf[len] = '\0';
  if (strlen(buf) != len) {
    free(buf);
    return vdmc_fail(VDMC_ERR_INPUT, "%s: not a text file (contains a NUL byte)", path);
  }
  snprintf(cs->source_name, sizeof cs->source_name, "%s", path);
  int rc = load_yaml(cs, (unsigned char *)buf, len, path, 0);
  free(buf);
  return rc;
}

int config_apply_override(ConfigSet *cs, const char *assignment) {
  const char *eq = strchr(assignment, '=');
  if (!eq || eq == assignment)
    return vdmc_fail(VDMC_ERR_INPUT, "--set %s: expected KEY=VALUE, e.g. --set optim.lr=2e-4", assignment);
  char path[256];
  size_t n = (size_t)(eq - assignment);
  if (n >= sizeof path) return vdmc_fail(VDMC_ERR_INPUT, "--set: key too long");
  memcpy(path, assignment, n);
  path[n] = '\0';
  int idx = key_index(path);
  if (idx < 0) return vdmc_fail(VDMC_ERR_INPUT, "--set %s: unknown key '%s' (see configs/README.md)", assignment, path);
  char name[300];
  snprintf(name, sizeof name, "--set %s", path);
  int rc = apply_assignment(cs, path, eq + 1, name);
  if (!rc) snprintf(cs->where[idx], CONFIG_WHERE_LEN, "--set %s", path);
  return rc;
}

const char *config_where(const ConfigSet *cs, const char *path) {
  int idx = key_index(path);
  return idx < 0 ? "(unknown key)" : cs->where[idx];
}

// Keys of one architecture set in a config of the other are an error, not ignored.
static const char *const UVIT_ONLY[] = {"model.emb_channels", "model.transformer_width",
                                        "model.transformer_depth", "model.transformer_heads",
                                        "model.transformer_mlp_ratio", "model.transformer_dropout",
                                        "model.stage_res_blocks"};
static const char *const UNET_ONLY[] = {"model.attn_resolutions", "model.head_channels",
                                        "model.resblock_updown"};

static size_t value_size(const ConfigKey *k) {
  switch (k->type) {
    case CFG_INT64: return sizeof(long long);
    case CFG_FLOAT: return sizeof(double);
    case CFG_STRING:
    case CFG_CHOICE: return CONFIG_STR_LEN;
    case CFG_INT_LIST: return sizeof(ConfigIntList);
    case CFG_FLOAT_LIST: return sizeof(ConfigFloatList);
    default: return sizeof(int);
  }
}

// Compares values, not provenance, so a resolved config (every key written) reloads.
static int check_arch_keys(const ConfigSet *cs, const char *const *keys, int n, const char *arch) {
  ConfigSet d;
  int st = config_init_defaults(&d);
  for (int i = 0; !st && i < n; i++) {
    const ConfigKey *k = &config_keys[key_index(keys[i])];
    if (memcmp(field(&d.values, k), (const char *)&cs->values + k->offset, value_size(k)))
      st = vdmc_fail(VDMC_ERR_INPUT, "%s: %s does not apply to model.arch %s (leave it out)",
                     config_where(cs, keys[i]), keys[i], arch);
  }
  return st;
}

int config_validate(const ConfigSet *cs) {
  const Config *c = &cs->values;
  int uvit = strcmp(c->model.arch, "uvit") == 0;
  int st = uvit ? check_arch_keys(cs, UNET_ONLY, (int)(sizeof UNET_ONLY / sizeof *UNET_ONLY), "uvit")
                 : check_arch_keys(cs, UVIT_ONLY, (int)(sizeof UVIT_ONLY / sizeof *UVIT_ONLY), "unet");
  if (st) return st;
  if (c->diffusion.lambda_min >= c->diffusion.lambda_max)
    return vdmc_fail(VDMC_ERR_INPUT, "%s: diffusion.lambda_min (%g) must be below diffusion.lambda_max (%g)",
                     config_where(cs, "diffusion.lambda_min"), c->diffusion.lambda_min, c->diffusion.lambda_max);
  if (c->model.channel_mult.n < 1)
    return vdmc_fail(VDMC_ERR_INPUT, "%s: model.channel_mult needs at least one level",
                     config_where(cs, "model.channel_mult"));
  if (c->data.train[0] == '\0')
    return vdmc_fail(VDMC_ERR_INPUT, "%s: data.train is empty", config_where(cs, "data.train"));
  return VDMC_OK;
}

// The shortest form that reads back to the same double.
static void write_double(double v, FILE *out) {
  char buf[40];
  for (int prec = 6; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (strtod(buf, NULL) == v) break;
  }
  fputs(buf, out);
}

static void write_value(const Config *c, const ConfigKey *k, FILE *out) {
  const void *p = (const char *)c + k->offset;
  switch (k->type) {
    case CFG_INT: fprintf(out, "%d", *(const int *)p); break;
    case CFG_INT64: fprintf(out, "%lld", *(const long long *)p); break;
    case CFG_FLOAT: write_double(*(const double *)p, out); break;
    case CFG_BOOL: fputs(*(const int *)p ? "true" : "false", out); break;
    case CFG_STRING:
    case CFG_CHOICE: {
      // double-quoted YAML scalar so any path survives the round trip; control
      // characters as escapes, since YAML folds a raw line break in a quoted scalar
      // into a space
      fputc('"', out);
      for (const unsigned char *s = p; *s; s++) {
        if (*s == '"' || *s == '\\') fprintf(out, "\\%c", *s);
        else if (*s == '\n') fputs("\\n", out);
        else if (*s == '\t') fputs("\\t", out);
        else if (*s < 0x20 || *s == 0x7f) fprintf(out, "\\x%02x", *s);
        else fputc(*s, out);
      }
      fputc('"', out);
      break;
    }
    case CFG_INT_LIST: {
      const ConfigIntList *l = p;
      fputc('[', out);
      for (int i = 0; i < l->n; i++) fprintf(out, "%s%d", i ? ", " : "", l->v[i]);
      fputc(']', out);
      break;
    }
    case CFG_FLOAT_LIST: {
      const ConfigFloatList *l = p;
      fputc('[', out);
      for (int i = 0; i < l->n; i++) {
        if (i) fputs(", ", out);
        write_double(l->v[i], out);
      }
      fputc(']', out);
      break;
    }
  }
}

int config_write_yaml(const ConfigSet *cs, FILE *out) {
  char section[64] = "";
  fprintf(out, "# vdmc resolved config (from %s)\n", cs->source_name);
  for (int i = 0; i < config_key_count; i++) {
    const ConfigKey *k = &config_keys[i];
    const char *dot = strchr(k->path, '.');
    size_t n = (size_t)(dot - k->path);
    if (strlen(section) != n || strncmp(section, k->path, n)) {
      snprintf(section, sizeof section, "%.*s", (int)n, k->path);
      fprintf(out, "%s:\n", section);
    }
    fprintf(out, "  %s: ", dot + 1);
    write_value(&cs->values, k, out);
    fputc('\n', out);
  }
  return ferror(out) ? vdmc_fail(VDMC_ERR_IO, "cannot write the resolved config") : VDMC_OK;
}

void config_write_doc(FILE *out) {
  fprintf(out, "| key | type | default | range | meaning |\n|---|---|---|---|---|\n");
  for (int i = 0; i < config_key_count; i++) {
    const ConfigKey *k = &config_keys[i];
    char range[128] = "";
    if (k->type == CFG_CHOICE) snprintf(range, sizeof range, "%s", k->choices);
    else if (k->type == CFG_INT || k->type == CFG_INT64 || k->type == CFG_FLOAT || is_list(k))
      snprintf(range, sizeof range, "[%g, %g]", k->min, k->max);
    const char *t = k->type == CFG_INT || k->type == CFG_INT64 ? "int"
                    : k->type == CFG_FLOAT ? "float"
                    : k->type == CFG_BOOL ? "bool"
                    : k->type == CFG_INT_LIST ? "int list"
                    : k->type == CFG_FLOAT_LIST ? "float list" : "string";
    fprintf(out, "| `%s` | %s | `%s` | %s | %s |\n", k->path, t, k->dflt, range, k->doc);
  }
}
