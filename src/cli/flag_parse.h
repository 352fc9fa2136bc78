// Numeric command-line values with one-line errors naming the flag, shared by
// `vdmc sample`, `vdmc eval`, `vdmc fid-stats` and `vdmc train-classifier`.
#ifndef VDMC_CLI_FLAG_PARSE_H
#define VDMC_CLI_FLAG_PARSE_H

// "--n: 'x' is not an integer" / "--n: 0 is outside [1, 1000000]" (VDMC_ERR_INPUT).
int flag_int(const char *flag, const char *value, long long lo, long long hi, long long *out);
int flag_double(const char *flag, const char *value, double lo, double hi, double *out);
// `vdmc train-classifier`'s wording, one message for both problems:
// "--lr 'x': expected a number in [1e-08, 1]" (VDMC_ERR_INPUT). value must not be NULL.
int flag_number(const char *flag, const char *value, double lo, double hi, double *out);

// Every verb's options go through this one check, so a trailing unknown option is
// reported as unknown, not as a known one missing its value. `known` lists the
// options that take a value, separated by spaces ("--n --steps --out"). When
// argv[*i] is one of them: 1, *value = argv[*i + 1] and *i advanced past it, or -1
// with "--n: missing value" recorded when nothing follows. Otherwise 0 (the
// caller's own flags, positional arguments, or flag_unknown).
int flag_value(int argc, char **argv, int *i, const char *known, const char **value);
// "unknown option '--x' (see vdmc VERB --help)" (VDMC_ERR_INPUT).
int flag_unknown(const char *flag, const char *verb);

#endif
