#include "diffusion/names.h"

#include <stdio.h>
#include <string.h>

#include "core/status.h"

int diffusion_name_parse(const char *name, const char *const *names, int n, const char *what,
                         const char *also, int *out) {
  for (int k = 0; name && k < n; k++)
    if (!strcmp(name, names[k])) {
      *out = k;
      return VDMC_OK;
    }
  char list[512] = "";
  size_t used = 0;
  for (int k = 0; k < n && used < sizeof list; k++)
    used += snprintf(list + used, sizeof list - used, "%s%s", names[k],
                     k + 2 < n || (k + 2 == n && also) ? ", " : (k + 1 < n ? " or " : ""));
  if (also && used < sizeof list) snprintf(list + used, sizeof list - used, " or %s", also);
  return vdmc_fail(VDMC_ERR_INPUT, "unknown %s '%s' (expected %s)", what, name ? name : "(null)", list);
}

const char *diffusion_name_of(const char *const *names, int n, int k) { return k >= 0 && k < n ? names[k] : "?"; }
