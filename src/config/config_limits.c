// Bounds on what a YAML config may cost, checked on libyaml's event stream before
// the document is built: the loader is quadratic in flow nesting (100k levels took
// 23 s) and would silently ignore a second document. A vdmc config is one document
// of sections of keys, 3 levels deep at most (root, section, list).
#include "config/config.h"

#include <yaml.h>

#include "core/status.h"

int config_check_limits(const unsigned char *text, size_t len, const char *name) {
  if (len > CONFIG_MAX_BYTES)
    return vdmc_fail(VDMC_ERR_INPUT, "%s: larger than %d bytes, the most a config may have (is it the right file?)",
                     name, CONFIG_MAX_BYTES);
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) return vdmc_fail(VDMC_ERR_MEMORY, "cannot create YAML parser");
  yaml_parser_set_input_string(&parser, text, len);
  int status = VDMC_OK, depth = 0, documents = 0, done = 0;
  size_t first_doc_line = 0;
  while (!status && !done) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&parser, &ev)) break;  // the loader reports syntax errors with their place
    size_t line = ev.start_mark.line + 1, col = ev.start_mark.column + 1;
    switch (ev.type) {
      case YAML_DOCUMENT_START_EVENT:
        if (documents++ == 0) first_doc_line = line;
        else
          status = vdmc_fail(VDMC_ERR_INPUT, "%s:%zu:%zu: a second YAML document (the first starts at line %zu); "
                             "a config is one document", name, line, col, first_doc_line);
        break;
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT:
        if (++depth > CONFIG_MAX_DEPTH)
          status = vdmc_fail(VDMC_ERR_INPUT, "%s:%zu:%zu: nested deeper than %d levels (a config has sections of "
                             "keys: 3 levels)", name, line, col, CONFIG_MAX_DEPTH);
        break;
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: depth--; break;
      case YAML_STREAM_END_EVENT: done = 1; break;
      default: break;
    }
    yaml_event_delete(&ev);
  }
  yaml_parser_delete(&parser);
  return status;
}
