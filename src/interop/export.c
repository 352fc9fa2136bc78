// Export: a Run from the checkpoint (config, model table, both weight arrays, their
// checksums verified by checkpoint_load and recomputed here for the metadata) -> the
// chosen array in PyTorch's layouts -> safetensors_write.
#define _POSIX_C_SOURCE 200809L
#include "interop/export.h"

#include <mpi.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/status.h"
#include "interop/model_json.h"
#include "models/torch_layout.h"
#include "run/run.h"

enum { META_COUNT = 10 };

static uLong array_crc32(const float *a, size_t n) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const unsigned char *p = (const unsigned char *)a;
  for (size_t done = 0, bytes = n * sizeof *a; done < bytes;) {  // zlib takes uInt lengths
    uInt chunk = bytes - done > (1u << 30) ? (1u << 30) : (uInt)(bytes - done);
    crc = crc32(crc, p + done, chunk);
    done += chunk;
  }
  return crc;
}

// The JSON of model_json_write / diffusion_json_write as a malloc'd string.
static int json_text(char **out, const ConfigSet *cs, int diffusion) {
  size_t len = 0;
  FILE *f = open_memstream(out, &len);
  if (!f) return vdmc_fail(VDMC_ERR_MEMORY, "out of memory for the exported metadata");
  int rc = VDMC_OK;
  if (diffusion) diffusion_json_write(f, cs);
  else rc = model_json_write(f, cs);
  fclose(f);
  return rc;
}

int export_safetensors(const ExportRequest *req) {
  if (strcmp(req->weights, "ema") && strcmp(req->weights, "params"))
    return vdmc_fail(VDMC_ERR_INPUT, "--weights: '%s' is not ema or params", req->weights);
  // the run with both weight arrays (their checksums verified by checkpoint_load)
  Run s;
  int rc = run_from_checkpoint(&s, req->source, 1, RUN_LOAD_PARAMS_TOO, MPI_COMM_SELF);
  const ParamTable *table = &s.net.params.table;
  SafetensorsOut *outs = NULL;
  float *torch = NULL;
  char *model = NULL, *diffusion = NULL;
  if (!rc && (!(outs = calloc(table->count ? table->count : 1, sizeof *outs)) ||
              !(torch = vdmc_alloc_floats(table->total))))
    rc = vdmc_fail(VDMC_ERR_MEMORY, "out of memory for the export of %s", s.file);
  if (!rc) rc = json_text(&model, &s.cs, 0);
  if (!rc) rc = json_text(&diffusion, &s.cs, 1);
  if (!rc) {
    const float *weights = strcmp(req->weights, "ema") ? s.params : s.ema;
    for (size_t i = 0; i < table->count; i++) {  // PyTorch layouts at the tensors' own offsets
      const ParamInfo *p = &table->items[i];
      torch_layout_from_vdmc(p, torch + p->offset, weights + p->offset);
      outs[i].name = p->name;
      outs[i].data = torch + p->offset;
      outs[i].ndim = torch_layout_shape(p, outs[i].shape);
    }
    char step[32], pcrc[16], ecrc[16];
    snprintf(step, sizeof step, "%lld", (long long)s.step);
    snprintf(pcrc, sizeof pcrc, "%lu", (unsigned long)array_crc32(s.params, table->total));
    snprintf(ecrc, sizeof ecrc, "%lu", (unsigned long)array_crc32(s.ema, table->total));
    const char *base = strrchr(s.file, '/');
    SafetensorsMeta meta[META_COUNT] = {
        {"format", "pt"},  // safetensors' convention: the tensors are PyTorch's
        {"vdmc_version", VDMC_VERSION},
        {"vdmc_weights", (char *)req->weights},
        {"vdmc_step", step},
        {"vdmc_checkpoint", base ? (char *)base + 1 : s.file},
        {"vdmc_params_crc32", pcrc},
        {"vdmc_ema_crc32", ecrc},
        {"vdmc_model", model},
        {"vdmc_diffusion", diffusion},
        {"vdmc_config", s.config_text},
    };
    rc = safetensors_write(req->out, outs, table->count, req->dtype, meta, META_COUNT);
  }
  free(model);
  free(diffusion);
  free(outs);
  vdmc_free_floats(torch);
  run_free(&s);
  return rc;
}
