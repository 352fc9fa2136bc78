// The config layer checks diffusion.schedule, diffusion.weighting and
// diffusion.parameterization against its own choice lists (src/config/config_schema.c)
// without including the diffusion layer; this test keeps those lists equal, as sets,
// to the diffusion name tables (src/diffusion/schedule.c, weighting.c,
// parameterization.c) plus the aliases their parsers accept, so a schedule added to
// one and not the other fails here; and model.attention_probs to the attention op's
// names (src/ops/attention.c attn_probs_name), which models/model_from_config.c maps.
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "config/config.h"
#include "core/status.h"
#include "diffusion/parameterization.h"
#include "diffusion/schedule.h"
#include "diffusion/weighting.h"
#include "ops/attention.h"

enum { MAX_NAMES = 32 };

static const ConfigKey *key_named(const char *path) {
  for (int i = 0; i < config_key_count; i++)
    if (!strcmp(config_keys[i].path, path)) return &config_keys[i];
  return NULL;
}

// Splits "a|b|c" into names (copied into buf); returns the count.
static int split_choices(const char *choices, char buf[MAX_NAMES][64]) {
  int n = 0;
  for (const char *p = choices; *p && n < MAX_NAMES; n++) {
    size_t len = strcspn(p, "|");
    snprintf(buf[n], 64, "%.*s", (int)len, p);
    p += len + (p[len] == '|');
  }
  return n;
}

static int contains(char names[MAX_NAMES][64], int n, const char *name) {
  for (int i = 0; i < n; i++)
    if (!strcmp(names[i], name)) return 1;
  return 0;
}

// table: the lower layer's names (n of them) and the aliases; the key's choices
// must hold each of them exactly once and nothing else.
static void same_names(const char *path, const char *const *table, int n) {
  const ConfigKey *k = key_named(path);
  CHECK(k && k->type == CFG_CHOICE && k->choices, "%s is a choice key", path);
  if (!k || !k->choices) return;
  char choices[MAX_NAMES][64];
  int m = split_choices(k->choices, choices);
  for (int i = 0; i < n; i++) CHECK(contains(choices, m, table[i]), "%s lacks '%s' (its layer accepts it)", path, table[i]);
  for (int i = 0; i < m; i++) {
    int known = 0;
    for (int j = 0; j < n; j++) known += !strcmp(choices[i], table[j]);
    CHECK(known == 1, "%s lists '%s' %s", path, choices[i], known ? "twice" : "but its layer does not know it");
  }
  CHECK(m == n, "%s: %d choices, its layer has %d names", path, m, n);
}

int main(void) {
  const char *names[MAX_NAMES];
  int n = 0;
  for (int k = 0; k < SCHEDULE_KIND_COUNT; k++) names[n++] = schedule_kind_name((ScheduleKind)k);
  names[n++] = "shifted-cosine";  // schedule_kind_parse's alias: cosine shifted by the resolution
  for (int i = 0; i < n; i++) {
    ScheduleKind kind;
    CHECK(schedule_kind_parse(names[i], &kind, NULL) == VDMC_OK, "diffusion parses '%s'", names[i]);
  }
  same_names("diffusion.schedule", names, n);

  n = 0;
  for (int k = 0; k < WEIGHTING_KIND_COUNT; k++) names[n++] = weighting_kind_name((WeightingKind)k);
  same_names("diffusion.weighting", names, n);

  n = 0;
  for (int k = 0; k < PRED_KIND_COUNT; k++) names[n++] = pred_kind_name((PredKind)k);
  same_names("diffusion.parameterization", names, n);

  n = 0;
  for (int k = 0; k < ATTN_PROBS_COUNT; k++) names[n++] = attn_probs_name((AttnProbs)k);
  same_names("model.attention_probs", names, n);

  // and the config layer refuses a name outside the list with the key and the list
  ConfigSet cs;
  config_init_defaults(&cs);
  CHECK(config_apply_override(&cs, "diffusion.schedule=cosinus") == VDMC_ERR_INPUT, "unknown schedule refused");
  CHECK(strstr(vdmc_error_message(), "diffusion.schedule: unknown schedule 'cosinus' (expected one of cosine|") != NULL,
        "message: %s", vdmc_error_message());
  CHECK(config_apply_override(&cs, "diffusion.weighting=edm-mono") == VDMC_ERR_INPUT, "unknown weighting refused");
  CHECK(config_apply_override(&cs, "diffusion.schedule=shifted-cosine") == VDMC_OK, "the alias is accepted");
  return check_finish("config_names");
}
