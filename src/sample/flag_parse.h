// Numeric command-line values with one-line errors naming the flag, shared by
// `vdmc sample`, `vdmc eval`, `vdmc fid-stats` and `vdmc train-classifier`.
#ifndef VDMC_SAMPLE_FLAG_PARSE_H
#define VDMC_SAMPLE_FLAG_PARSE_H

// "--n: 'x' is not an integer" / "--n: 0 is outside [1, 1000000]" (VDMC_ERR_INPUT).
int flag_int(const char *flag, const char *value, long long lo, long long hi, long long *out);
int flag_double(const char *flag, const char *value, double lo, double hi, double *out);
// `vdmc train-classifier`'s wording, one message for both problems:
// "--lr 'x': expected a number in [1e-08, 1]" (VDMC_ERR_INPUT). value must not be NULL.
int flag_number(const char *flag, const char *value, double lo, double hi, double *out);

#endif
