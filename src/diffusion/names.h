// Name tables of the diffusion enums (schedule, weighting, parameterization):
// one lookup for parsing (with the error message listing the table) and one for printing.
#ifndef VDMC_DIFFUSION_NAMES_H
#define VDMC_DIFFUSION_NAMES_H

// *out = index of `name` in names[0..n). Otherwise VDMC_ERR_INPUT with
// "unknown <what> '<name>' (expected a, b, ... or z)"; `also` (may be NULL) is
// listed after the table's names (aliases the caller handles itself).
int diffusion_name_parse(const char *name, const char *const *names, int n, const char *what,
                         const char *also, int *out);
// names[k], or "?" when k is out of range.
const char *diffusion_name_of(const char *const *names, int n, int k);

#endif
