// Noise schedules lambda = f(t) (VDM++ Sec. 2.1, Table 4, App. E.3): the map from
// time t in [0, 1] to log-SNR lambda, its inverse t = f^-1(lambda) and the density
// p(lambda) = -d f^-1 / d lambda that training samples noise levels from, all
// truncated to [lambda_min, lambda_max] as in App. E.3.1 (Eq. 127-132).
//
// Every schedule is described by the distribution of lambda it induces: the
// functions below work with its upper tail P(Lambda > lambda) = f^-1(lambda) and
// lower tail P(Lambda < lambda) = 1 - f^-1(lambda), each evaluated in the form
// that is accurate where it is small, so truncation at tails of 1e-20 (EDM at
// lambda_min = -20) keeps full precision. Float64 throughout.
//
// Shift (Hoogeboom et al. 2023, D.2.1): with s = log(64/d) for resolution d, the
// shifted schedule is f_s(t) = f(t) + 2s, f_s^-1(l) = f^-1(l - 2s),
// p_s(l) = p(l - 2s). "shifted-cosine" is the cosine schedule with this shift; the
// shift applies to every analytic schedule (it is ignored by linear, adaptive and
// learned, which are defined directly on [lambda_min, lambda_max]).
#ifndef VDMC_DIFFUSION_SCHEDULE_H
#define VDMC_DIFFUSION_SCHEDULE_H

typedef enum {
  SCHEDULE_COSINE = 0,    // -2 log tan(pi t / 2)
  SCHEDULE_EDM_TRAIN,     // lambda ~ N(edm_mean, edm_std^2)
  SCHEDULE_EDM_SAMPLE,    // Karras et al. rho-schedule between sigma_min and sigma_max
  SCHEDULE_FM_OT,         // 2 log((1 - t) / t), flow matching OT path (D.3)
  SCHEDULE_LINEAR,        // VDM: gamma = -lambda linear in t (uniform p on the range)
  SCHEDULE_ADAPTIVE,      // App. F: p proportional to binned EMA of w ||eps - eps_hat||^2
  SCHEDULE_LEARNED,       // VDM App. H: monotonic network gamma_eta(t)
  SCHEDULE_KIND_COUNT
} ScheduleKind;

struct AdaptiveSchedule;
struct LearnedSchedule;

typedef struct {
  ScheduleKind kind;
  double lambda_min, lambda_max;  // truncation endpoints: f(1) and f(0)
  double shift;                   // s (lambda shifted by 2s); 0 = none
  double edm_mean, edm_std;       // EDM training: mean/std of lambda (2.4, 2.4)
  double rho, sigma_min, sigma_max;  // EDM sampling (7, 0.002, 80)
  const struct AdaptiveSchedule *adaptive;  // SCHEDULE_ADAPTIVE only (not owned)
  const struct LearnedSchedule *learned;    // SCHEDULE_LEARNED only (not owned)
  // set by schedule_prepare (E.3.1): t0 = f^-1(lambda_max), t1 = f^-1(lambda_min)
  double t0, one_minus_t1, mass;  // mass = t1 - t0
} Schedule;

// Defaults of a kind: lambda range [-20, 20] (EDM sampling: its natural range
// [-2 log sigma_max, -2 log sigma_min]), EDM constants from the paper, no shift.
void schedule_defaults(Schedule *s, ScheduleKind kind);
// Validates the fields and computes the truncation constants. Call after every
// change of the fields (and after an adaptive/learned schedule changed).
int schedule_prepare(Schedule *s);

double schedule_lambda(const Schedule *s, double t);      // truncated f(t), t in [0, 1]
double schedule_time(const Schedule *s, double lambda);   // truncated f^-1(lambda)
double schedule_density(const Schedule *s, double lambda);  // truncated p(lambda), 0 outside
// d lambda / dt at t (negative): -1 / p(f(t)), or the learned network's derivative.
double schedule_dlambda_dt(const Schedule *s, double t);

// Names <-> kinds, shared by the CLI and the config loader. Unknown names fail
// with VDMC_ERR_INPUT and a message listing the accepted names. "shifted-cosine"
// parses to SCHEDULE_COSINE with *shifted = 1 (the shift comes from the
// resolution); every other name sets *shifted = 0. `shifted` may be NULL.
int schedule_kind_parse(const char *name, ScheduleKind *out, int *shifted);
const char *schedule_kind_name(ScheduleKind kind);
// s = log(64 / d) for model resolution d (D.2.1); d must be > 0.
double schedule_shift_for_resolution(double resolution);

#endif
