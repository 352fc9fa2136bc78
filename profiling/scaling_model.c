// profiling/scaling_model: predicts weak-scaling efficiency of data-parallel vdmc
// training at 2..256 nodes (docs/scaling.md). Step time = compute + exposed
// communication, the communication timed by mpi/sync_model (the algorithms Open MPI 4.1
// runs for grad_sync's calls, and when their rounds can advance):
//   zero_stage 0: the buckets of grad_sync_plan_buckets, each an in-place
//     MPI_Iallreduce (binomial reduce to rank 0, then binomial broadcast; at P = 2
//     libnbc's ring, which grad_sync chooses there), launched at
//     the poll of backward after its tensors are done. Backward polls after each step
//     of the network and after the embedding (grad_sync_ready_from); the polls are
//     paced by the steps' forward FLOPs (stepnet_step_flops). With mpi.progress calls a
//     round advances only at a poll or in grad_sync_finish's wait; with thread, at any
//     time. Exposed = when the last bucket completes, minus the end of backward.
//   zero_stage 1: MPI_Reduce_scatter_block (a reduce to rank 0 and a scatter at the
//     default config's sizes) and MPI_Allgather of the fp32 weights, after backward.
// A gradient element is 4 bytes, or 2 with mpi.reduce_precision: bf16, with alpha,
// beta from published fabric figures and from this machine's bench_allreduce fit.
// Measured here, not assumed: the compute rate per core (forward+backward FLOPs /
// forward+backward seconds of --compute-run, default --run) and backward's share of it.
// --run (P >= 2) is checked against it: its measured exposed sync (sync_wait of the
// rank that reached the gradient sum last, without load-imbalance wait) beside the
// model's for this machine's fit.
//   usage: scaling_model --run RUN_DIR --calibration BENCH_ALLREDUCE_OUTPUT
//          [--compute-run RUN_DIR] [--cores-per-node N] [--node-batch B] [--out DIR]
//          [--nodes P,P,...] [--link GBIT_S [--link-burst BYTES]] CONFIG.yaml...
// --nodes replaces the node counts 2..256; --link adds a fabric "link" with the local
// fit's alpha and a bandwidth of GBIT_S Gb/s (a link shaped to that rate, as
// profiling/cluster_scaling.sh does) and prints one machine-readable PREDICT line per
// config and node count for it; --link-burst gives that link the token bucket of its
// shaping (tests/cluster/shape_burst.sh prints the fixture's), default none.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/config_args.h"
#include "core/status.h"
#include "io/plot.h"
#include "models/model_from_config.h"
#include "mpi/grad_sync.h"
#include "mpi/sync_model.h"
#include "run_log.h"

enum { MAX_CONFIGS = 8, MAX_NODES = 8, MAX_FABRICS = 4 };

typedef struct {
  const char *name, *source;
  SyncLink link;
} Fabric;

typedef struct {
  const char *path;
  double params, flops, batch;  // parameters, forward FLOPs per image, global batch of the config
  double bucket_bytes;
  int zero_stage;
  int progress_thread;  // mpi.progress: 1 thread, 0 calls
  double grad_bytes;    // bytes per gradient element on the wire: 4 (fp32) or 2 (mpi.reduce_precision bf16)
  int threads;  // mpi.threads_per_rank (0 = from OPENBLAS_NUM_THREADS)
  GradBucket *buckets;  // (n_buckets) grad_sync's plan, in launch order
  int n_buckets;
  // Backward's polls (grad_sync_ready_from after each step, then after the embedding):
  // the share of backward done at each, paced by the steps' forward FLOPs.
  double *call_share;   // (n_calls) ascending, the last 1
  int n_calls;
  double *launch_share; // (n_buckets) the share at the poll that launches bucket i
} ModelCost;

static void model_cost_free(ModelCost *m) {
  free(m->buckets);
  free(m->call_share);
  free(m->launch_share);
}

// Backward runs the steps last to first, then the embedding, and after each calls
// grad_sync_ready_from(the step's first parameter; 0 after the embedding), which
// launches the buckets lying wholly beyond it and tests those in flight. Each step's
// backward time is taken as proportional to its forward FLOPs.
static void plan_polls(ModelCost *m, const StepNet *net) {
  double total = stepnet_flops_per_image(net), done = 0;
  m->n_calls = net->n_steps + 1;
  for (int k = net->n_steps - 1, j = 0; k >= 0; k--, j++) {
    done += stepnet_step_flops(net, k);
    m->call_share[j] = done / total;
  }
  m->call_share[net->n_steps] = 1;  // after the embedding
  for (int i = 0; i < m->n_buckets; i++) {
    int j = 0;  // the first poll whose offset is at or below the bucket's start
    while (j < net->n_steps && net->steps[net->n_steps - 1 - j].param_begin > m->buckets[i].begin) j++;
    m->launch_share[i] = m->call_share[j];
  }
}

// Parameters, FLOPs per image and the sync settings of a config (the library's own counts).
static int model_cost(ModelCost *m, const char *path) {
  char *argv[1] = {(char *)path};
  ConfigSet cs;
  int rc = config_args_resolve(&cs, 1, argv, NULL, NULL);
  if (rc) return rc;
  StepNet net;
  if ((rc = model_create_from_config(&net, &cs, 1))) return rc;
  m->path = path;
  m->params = (double)stepnet_num_params(&net);
  m->flops = stepnet_flops_per_image(&net);
  m->batch = cs.values.optim.batch_size;
  m->bucket_bytes = cs.values.mpi.bucket_mb * 1024 * 1024;
  m->zero_stage = cs.values.mpi.zero_stage;
  m->progress_thread = strcmp(cs.values.mpi.progress, "thread") == 0;
  m->grad_bytes = strcmp(cs.values.mpi.reduce_precision, "bf16") == 0 ? 2 : 4;
  m->threads = cs.values.mpi.threads_per_rank;
  const ParamTable *t = &net.params.table;
  m->buckets = calloc(t->count + 1, sizeof *m->buckets);
  m->call_share = calloc((size_t)net.n_steps + 1, sizeof *m->call_share);
  m->launch_share = calloc(t->count + 1, sizeof *m->launch_share);
  int ok = m->buckets && m->call_share && m->launch_share;
  if (ok) {
    m->n_buckets = grad_sync_plan_buckets(t, t->total, (size_t)(m->bucket_bytes / sizeof(float)), m->buckets);
    plan_polls(m, &net);
  }
  stepnet_free(&net);
  if (!ok) model_cost_free(m);
  return ok ? VDMC_OK : vdmc_fail(VDMC_ERR_MEMORY, "out of memory for the bucket plan of %s", path);
}

// What of the gradient sum is left when backward ends (see the top of the file).
static double exposed_seconds(const ModelCost *m, const SyncLink *l, int P, double t_backward) {
  if (P < 2) return 0;
  if (m->zero_stage)
    return sync_model_reduce_scatter_seconds(m->grad_bytes * m->params, P, l) +
           sync_model_allgather_seconds(4 * m->params, P, l);
  double bytes[m->n_buckets], launch[m->n_buckets], calls[m->n_calls];  // (n_buckets), (n_buckets), (n_calls)
  for (int i = 0; i < m->n_buckets; i++) {
    bytes[i] = m->grad_bytes * (double)(m->buckets[i].end - m->buckets[i].begin);
    launch[i] = t_backward * m->launch_share[i];
  }
  for (int j = 0; j < m->n_calls; j++) calls[j] = t_backward * m->call_share[j];
  SyncProgress p = {calls, m->n_calls, t_backward};
  if (m->progress_thread) p = (SyncProgress){NULL, 0, 0};
  return fmax(0, sync_model_iallreduce_finish(bytes, launch, m->n_buckets, P, l, &p) - t_backward);
}

// The whole gradient sum when nothing of it overlaps backward (zero_stage 1: with the
// all-gather of the fp32 weights).
static double comm_seconds(const ModelCost *m, const SyncLink *l, int P) {
  return exposed_seconds(m, l, P, 0);
}

// "MODEL iallreduce P=2 alpha_s=A beta_Bps=B" from bench_allreduce's output.
static int read_calibration(const char *path, Fabric *f) {
  FILE *fp = fopen(path, "r");
  if (!fp) return vdmc_fail(VDMC_ERR_IO, "%s: cannot open (expected bench_allreduce output)", path);
  char line[512];
  int found = 0;
  while (fgets(line, sizeof line, fp))
    if (!strncmp(line, "MODEL iallreduce ", 17)) {
      const char *a = strstr(line, "alpha_s="), *b = strstr(line, "beta_Bps=");
      found = a && b && sscanf(a, "alpha_s=%lf", &f->link.alpha) == 1 &&
              sscanf(b, "beta_Bps=%lf", &f->link.beta) == 1;
    }
  fclose(fp);
  if (!found || !(f->link.alpha > 0) || !(f->link.beta > 0))
    return vdmc_fail(VDMC_ERR_INPUT, "%s: no 'MODEL iallreduce ... alpha_s=A beta_Bps=B' line with positive A, B", path);
  return VDMC_OK;
}

typedef struct {
  double core_flops;      // forward+backward FLOP/s per core
  double backward_share;  // backward seconds / (forward + backward seconds)
} Measured;

// A run's steady-state record (intervals after the first) and its config's costs.
static int load_run(const char *run_dir, RunLogRecord *avg, ModelCost *m, double *local_batch) {
  char path[4200];
  snprintf(path, sizeof path, "%s/log.jsonl", run_dir);
  RunLog log;
  int rc = run_log_read(&log, path);
  if (rc) return rc;
  const RunLogRecord *last = &log.rec[log.n - 1];
  run_log_average(&log, log.n > 1 ? 1 : 0, avg);
  *local_batch = last->step > 0 ? last->images / last->step / avg->ranks : 0;
  run_log_free(&log);
  snprintf(path, sizeof path, "%s/config.yaml", run_dir);
  if ((rc = model_cost(m, path))) return rc;
  double fb = avg->phase[PHASE_FORWARD].mean + avg->phase[PHASE_BACKWARD].mean;
  if (!(fb > 0) || !(*local_batch >= 1)) {
    model_cost_free(m);
    return vdmc_fail(VDMC_ERR_INPUT, "%s: no forward/backward time or batch in the log", run_dir);
  }
  return VDMC_OK;
}

static int measure_compute(Measured *ms, const char *run_dir) {
  RunLogRecord avg;
  ModelCost m;
  double b;
  int rc = load_run(run_dir, &avg, &m, &b);
  if (rc) return rc;
  int threads = m.threads;
  if (threads < 1) threads = getenv("OPENBLAS_NUM_THREADS") ? atoi(getenv("OPENBLAS_NUM_THREADS")) : 1;
  if (threads < 1) threads = 1;
  double fb = avg.phase[PHASE_FORWARD].mean + avg.phase[PHASE_BACKWARD].mean;
  ms->core_flops = 3 * m.flops * b / fb / threads;
  ms->backward_share = avg.phase[PHASE_BACKWARD].mean / fb;
  model_cost_free(&m);
  printf("compute   %.3g GFLOP/s per core: %s (P = %.0f, %d thread(s)/rank, local batch %.0f, forward+backward "
         "%.3g s/step, backward %.0f%% of it, 3 x %.3g FLOPs/image)\n",
         ms->core_flops / 1e9, run_dir, avg.ranks, threads, b, fb, 100 * ms->backward_share, m.flops);
  return VDMC_OK;
}

// The model beside a P >= 2 run of this machine: its exposed sync against the
// prediction for the local fit and the run's own backward time.
static int check_run(const char *run_dir, const Fabric *local) {
  RunLogRecord avg;
  ModelCost m;
  double b;
  int rc = load_run(run_dir, &avg, &m, &b);
  if (rc) return rc;
  if (avg.ranks < 2) {
    model_cost_free(&m);
    return vdmc_fail(VDMC_ERR_INPUT, "%s: a run on 1 rank has no gradient sum to check the model against", run_dir);
  }
  int P = (int)avg.ranks;
  printf("check     %s (P = %d, mpi.progress %s, %d bucket(s) of %s): last rank's sync_wait %.2f ms (mean over ranks %.2f ms,\n"
         "          the rest is load imbalance); the model with the local fit: %.2f ms exposed of %.2f ms; "
         "buffer in flight before backward ended %.0f%%\n",
         run_dir, P, m.progress_thread ? "thread" : "calls", m.zero_stage ? 1 : m.n_buckets,
         m.grad_bytes == 2 ? "bf16" : "fp32",
         1e3 * avg.phase[PHASE_SYNC_WAIT].min, 1e3 * avg.phase[PHASE_SYNC_WAIT].mean,
         1e3 * exposed_seconds(&m, &local->link, P, avg.phase[PHASE_BACKWARD].mean), 1e3 * comm_seconds(&m, &local->link, P),
         100 * avg.sync_launched_early);
  model_cost_free(&m);
  return VDMC_OK;
}

static int run(int argc, char **argv) {
  const char *run_dir = NULL, *compute_run = NULL, *calib = NULL, *out = ".", *configs[MAX_CONFIGS];
  double cores = 64, node_batch = 0, link_gbits = 0, link_burst = 0;
  int nc = 0, n_nodes = 8, node_counts[MAX_NODES] = {2, 4, 8, 16, 32, 64, 128, 256};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--run") && v) run_dir = v, i++;
    else if (!strcmp(a, "--compute-run") && v) compute_run = v, i++;
    else if (!strcmp(a, "--calibration") && v) calib = v, i++;
    else if (!strcmp(a, "--out") && v) out = v, i++;
    else if (!strcmp(a, "--cores-per-node") && v) cores = atof(v), i++;
    else if (!strcmp(a, "--node-batch") && v) node_batch = atof(v), i++;
    else if (!strcmp(a, "--link") && v) link_gbits = atof(v), i++;
    else if (!strcmp(a, "--link-burst") && v) link_burst = atof(v), i++;
    else if (!strcmp(a, "--nodes") && v) {
      n_nodes = 0;
      for (const char *q = v; *q && n_nodes < MAX_NODES; q += strcspn(q, ","), q += *q == ',')
        if ((node_counts[n_nodes++] = atoi(q)) < 2) return vdmc_fail(VDMC_ERR_INPUT, "--nodes expects counts >= 2: '%s'", v);
      i++;
    }
    else if (a[0] != '-' && nc < MAX_CONFIGS) configs[nc++] = a;
    else return vdmc_fail(VDMC_ERR_INPUT, "unexpected argument '%s' (see the usage at the top of scaling_model.c)", a);
  }
  if (!run_dir || !calib || !nc) return vdmc_fail(VDMC_ERR_INPUT, "usage: scaling_model --run RUN_DIR --calibration FILE CONFIG.yaml...");
  if (!(cores >= 1)) return vdmc_fail(VDMC_ERR_INPUT, "--cores-per-node expects a number >= 1");
  if (link_gbits < 0) return vdmc_fail(VDMC_ERR_INPUT, "--link expects a bandwidth in Gb/s > 0");
  if (!(link_burst >= 0) || (link_burst > 0 && !(link_gbits > 0)))
    return vdmc_fail(VDMC_ERR_INPUT, "--link-burst expects a byte count >= 0, and --link with it");
  // Published figures (docs/scaling.md cites them); the local fit last. Every fabric
  // takes TCP's eager limit (UCX's rendezvous threshold on the published ones is not modelled).
  const double tcp_eager = SYNC_MODEL_TCP_EAGER_BYTES;
  Fabric fabrics[MAX_FABRICS] = {
      {"ib-hdr", "InfiniBand HDR 200 Gb/s: 24 GB/s, 1.2 us MPI latency", {1.2e-6, 24e9, tcp_eager, 0}},
      {"100gbe", "100 GbE with RoCE: 11.5 GB/s, 2 us MPI latency", {2.0e-6, 11.5e9, tcp_eager, 0}},
      {"local", "this machine, bench_allreduce fit", {0, 0, tcp_eager, 0}},
  };
  int rc = read_calibration(calib, &fabrics[2]);
  if (rc) return rc;
  int n_fabrics = 3;
  char link_source[160];
  if (link_gbits > 0) {
    snprintf(link_source, sizeof link_source, "a link shaped to %g Gb/s (token bucket %g bytes), latency from the local fit",
             link_gbits, link_burst);
    fabrics[n_fabrics++] = (Fabric){"link", link_source, {fabrics[2].link.alpha, link_gbits * 1e9 / 8, tcp_eager, link_burst}};
  }
  printf("local fit: alpha %.3g us, beta %.3g GB/s (%s)\n", 1e6 * fabrics[2].link.alpha, fabrics[2].link.beta / 1e9, calib);
  Measured ms = {0};
  if ((rc = measure_compute(&ms, compute_run ? compute_run : run_dir))) return rc;
  if ((rc = check_run(run_dir, &fabrics[2]))) return rc;
  ModelCost m[MAX_CONFIGS];
  double eff[MAX_CONFIGS][MAX_FABRICS][MAX_NODES];
  printf("\nweak scaling: per-node batch fixed (config batch / 64 unless --node-batch), one rank per node with "
         "%.0f cores at the measured per-core rate\n", cores);
  printf("%-24s %9s %9s %6s %10s %-7s", "config", "params", "GFLOP/im", "b/node", "compute_s", "fabric");
  for (int k = 0; k < n_nodes; k++) printf(" %6d", node_counts[k]);
  printf("\n");
  for (int c = 0; c < nc; c++) {
    if ((rc = model_cost(&m[c], configs[c]))) return rc;
    double b = node_batch > 0 ? node_batch : fmax(1, floor(m[c].batch / 64));
    double t_c = 3 * m[c].flops * b / (ms.core_flops * cores);
    for (int f = 0; f < n_fabrics; f++) {
      const char *slash = strrchr(configs[c], '/');
      printf("%-24.*s %8.3gM %9.3g %6.0f %10.3g %-7s", (int)strcspn(slash ? slash + 1 : configs[c], "."),
             slash ? slash + 1 : configs[c], m[c].params / 1e6, m[c].flops / 1e9, b, t_c,
             fabrics[f].name);
      for (int k = 0; k < n_nodes; k++) {
        double tx = exposed_seconds(&m[c], &fabrics[f].link, node_counts[k], t_c * ms.backward_share);
        eff[c][f][k] = t_c / (t_c + tx);
        printf(" %6.3f", eff[c][f][k]);
      }
      printf("\n");
      if (strcmp(fabrics[f].name, "link")) continue;
      for (int k = 0; k < n_nodes; k++) {
        double tc = comm_seconds(&m[c], &fabrics[f].link, node_counts[k]);
        printf("PREDICT config=%s P=%d gbit_s=%g comm_ms=%.3f exposed_ms=%.3f compute_ms=%.3f efficiency=%.4f\n",
               configs[c], node_counts[k], link_gbits, 1e3 * tc,
               1e3 * exposed_seconds(&m[c], &fabrics[f].link, node_counts[k], t_c * ms.backward_share), 1e3 * t_c,
               eff[c][f][k]);
      }
    }
    model_cost_free(&m[c]);
  }
  for (int f = 0; f < n_fabrics; f++) printf("fabric %-7s %s\n", fabrics[f].name, fabrics[f].source);
  double x[MAX_NODES];
  for (int k = 0; k < n_nodes; k++) x[k] = node_counts[k];
  for (int f = 0; f < n_fabrics; f++) {
    PlotSeries s[MAX_CONFIGS];
    for (int c = 0; c < nc; c++) {
      s[c] = (PlotSeries){.x = x, .y = eff[c][f], .n = n_nodes};
      memcpy(s[c].rgb, plot_color(c), 3);
    }
    PlotAxes ax = {.x_min = node_counts[0], .x_max = node_counts[n_nodes - 1] > node_counts[0] ? node_counts[n_nodes - 1] : node_counts[0] + 1, .y_min = 0, .y_max = 1.05, .y_grid = 0.1, .log2_x = 1};
    char path[4200];
    snprintf(path, sizeof path, "%s/scaling_%s.png", out, fabrics[f].name);
    if ((rc = plot_write_png(path, &ax, s, nc))) return rc;
    printf("wrote %s (efficiency over nodes; one line per config in the order given: blue, orange, green, ...)\n", path);
  }
  return VDMC_OK;
}

int main(int argc, char **argv) {
  if (run(argc, argv)) {
    fprintf(stderr, "scaling_model: %s\n", vdmc_error_message());
    return 1;
  }
  return 0;
}
