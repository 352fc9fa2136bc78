// Weighting functions w(lambda) of the weighted diffusion loss (VDM++ Eq. 5-7,
// Table 1, App. D, Sec. 5.1). Constant factors are dropped (they only rescale
// the loss); each kind knows whether it is monotonic (non-increasing in lambda,
// Theorem 1: then the objective is an ELBO with Gaussian noise augmentation).
//
// Shift (D.2.1): the shifted version is w_s(lambda) = w(lambda - 2s) with
// s = log(64/d), consistent with the shifted cosine schedule p_s(l) = p(l - 2s).
#ifndef VDMC_DIFFUSION_WEIGHTING_H
#define VDMC_DIFFUSION_WEIGHTING_H

typedef enum {
  WEIGHTING_ELBO = 0,       // 1
  WEIGHTING_IDDPM,          // sech(l/2)                       (eps-loss, cosine)
  WEIGHTING_EDM,            // N(l; 2.4, 2.4^2) (e^-l + sd^2)   (sd = sigma_data = 0.5)
  WEIGHTING_EDM_MONOTONIC,  // EDM, constant left of its peak (Sec. 5.1)
  WEIGHTING_V,              // e^{-l/2}                        (v-loss, cosine)
  WEIGHTING_FM_OT,          // e^{-l/2}                        (CFM loss, D.3)
  WEIGHTING_INDI,           // e^-l sech^2(l/4)                (D.4)
  WEIGHTING_P2,             // sech(l/2) / (k + e^l)^gamma     (D.5)
  WEIGHTING_MIN_SNR,        // sech(l/2) min(1, gamma e^-l)    (D.6)
  WEIGHTING_SIGMOID,        // sigmoid(-l + b)                 (Sec. 5.1)
  WEIGHTING_KIND_COUNT
} WeightingKind;

typedef struct {
  WeightingKind kind;
  double shift;               // s (lambda shifted by 2s); 0 = none
  double bias;                // sigmoid: b (default 2)
  double p2_k, p2_gamma;      // P2: k (1), gamma (1; 0.5 also used)
  double min_snr_gamma;       // min-SNR: gamma (5)
  double edm_mean, edm_std;   // EDM: N(l; 2.4, 2.4^2)
  double sigma_data;          // EDM: sigma_data (0.5)
  double edm_peak;            // set by weighting_prepare: argmax of the EDM weighting
} Weighting;

void weighting_defaults(Weighting *w, WeightingKind kind);
int weighting_prepare(Weighting *w);  // validates and finds the EDM peak
double weighting_eval(const Weighting *w, double lambda);
double weighting_dlog(const Weighting *w, double lambda);  // d log w / d lambda
int weighting_is_monotonic(WeightingKind kind);

int weighting_kind_parse(const char *name, WeightingKind *out);
const char *weighting_kind_name(WeightingKind kind);

#endif
