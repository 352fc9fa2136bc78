// Experiment configuration: a strict YAML loader over a table of documented keys.
// Every key has a type, a range or a set of choices, a default and a one-line
// meaning (config_schema.c); an unknown key, a wrong type or an out-of-range value
// is an error naming file:line:column, the key and what was expected. Overrides
// (`--set optim.lr=2e-4`) go through the same checks.
#ifndef VDMC_CONFIG_H
#define VDMC_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#define CONFIG_MAX_LIST 8
#define CONFIG_STR_LEN 256
#define CONFIG_WHERE_LEN 320
// A resolved config is about 1.5 KB; anything above 1 MiB is the wrong file.
#define CONFIG_MAX_BYTES (1 << 20)
// Root mapping, section mapping, list: 3. Deeper nesting is refused early.
#define CONFIG_MAX_DEPTH 16

typedef struct {
  int n;
  int v[CONFIG_MAX_LIST];
} ConfigIntList;

typedef struct {
  int n;
  double v[CONFIG_MAX_LIST];
} ConfigFloatList;

typedef struct {
  struct {
    char arch[CONFIG_STR_LEN];          // unet | uvit
    int resolution;                     // square image size; must match the dataset
    int in_channels;                    // image channels; must match the dataset
    int norm_groups;
    int base_channels;
    ConfigIntList channel_mult;
    int num_res_blocks;
    ConfigIntList attn_resolutions;
    int head_channels;
    char attention_probs[CONFIG_STR_LEN];  // saved | recomputed: attention's P in backward
    double dropout;
    int resblock_updown;
    int num_classes;
    double lambda_scale;
    int emb_channels;                   // U-ViT only (0: 4 * base_channels)
    int transformer_width, transformer_depth, transformer_heads, transformer_mlp_ratio;
    double transformer_dropout;
    int fourier_features;
    ConfigIntList stage_res_blocks;     // U-ViT only: per conv stage ([]: num_res_blocks each)
  } model;
  struct {
    char schedule[CONFIG_STR_LEN];
    double shift_base;                  // shifted cosine: s = log(shift_base / resolution)
    double lambda_min, lambda_max;
    char weighting[CONFIG_STR_LEN];
    double weighting_bias;              // b of sigmoid(-lambda + b)
    char parameterization[CONFIG_STR_LEN];
    double sigma_data;
    int adaptive;
    double adaptive_decay;
    double label_dropout;
  } diffusion;
  struct {
    double lr, beta1, beta2, eps, weight_decay;
    double warmup_images;
    char lr_decay[CONFIG_STR_LEN];      // none | cosine (to lr_min at the last step)
    double lr_min;
    double grad_clip;
    double ema_halflife_images;
    ConfigFloatList ema_stds;           // power-function EMA profiles tracked (sigma_rel; [] = none)
    int batch_size;                     // global batch over all ranks
    int micro_batch;                    // examples per forward/backward on a rank (0 = all)
    long long steps;
    int max_skipped_steps;
  } optim;
  struct {
    char train[CONFIG_STR_LEN];
    char test[CONFIG_STR_LEN];
    int flip;
  } data;
  struct {
    long long seed;
    int log_every, checkpoint_every, sample_every, keep_checkpoints;
    int tensorboard;  // 1: rank 0 writes TensorBoard event files in RUN/tb/
    long long ema_snapshot_images;      // images between power-function EMA snapshots
    int eval_every;                     // steps between evaluations during training (0 = never)
    long long eval_every_images;        // images between them instead (0 = by eval_every)
    char keep_best[CONFIG_STR_LEN];     // none | bpd | fid: which evaluation RUN/best.h5 is the best of
  } run;
  struct {
    long long bpd_n;                    // test examples of the bits/dim during training
    long long fid_n;                    // samples of the FID during training (0 = no FID)
    char fid_ref[CONFIG_STR_LEN];       // reference statistics (vdmc fid-stats)
    char fid_features[CONFIG_STR_LEN];  // the feature network they were computed with
    char fid_sampler[CONFIG_STR_LEN];   // ddpm | edm | ode | dpmpp-2m | dpmpp-3m-sde
    long long fid_steps;                // sampler steps (0 = the sampler's default)
    double fid_guidance;                // classifier-free guidance weight of the FID samples
  } eval;
  struct {
    char precision[CONFIG_STR_LEN];     // fp32 | bf16: the operands of the model's products
  } train;
  struct {
    double bucket_mb;
    int zero_stage;
    int threads_per_rank;
    char progress[CONFIG_STR_LEN];  // calls | thread: what progresses the gradient buckets (docs/mpi.md)
    char reduce_precision[CONFIG_STR_LEN];  // fp32 | bf16: element type of the gradient sum on the wire (docs/mpi.md)
  } mpi;
} Config;

typedef enum { CFG_INT, CFG_INT64, CFG_FLOAT, CFG_BOOL, CFG_STRING, CFG_CHOICE, CFG_INT_LIST,
               CFG_FLOAT_LIST } ConfigType;

typedef struct {
  const char *path;      // "optim.lr"
  ConfigType type;
  size_t offset;         // into Config
  const char *dflt;      // default, as YAML scalar text (parsed by the same checks)
  double min, max;       // inclusive range for numbers (list elements too)
  const char *choices;   // CFG_CHOICE: "a|b|c"
  const char *doc;
} ConfigKey;

extern const ConfigKey config_keys[];
extern const int config_key_count;

// Where each key's value came from ("default", "file.yaml:3:5", "--set").
typedef struct {
  Config values;
  char where[80][CONFIG_WHERE_LEN];
  char source_name[CONFIG_WHERE_LEN];  // file path or "embedded default"
} ConfigSet;

// Size (CONFIG_MAX_BYTES), nesting (CONFIG_MAX_DEPTH) and one document, checked on
// the event stream before the document is loaded (config_limits.c).
int config_check_limits(const unsigned char *text, size_t len, const char *name);
// Fills defaults; then a YAML file (path) or text (name for messages).
int config_init_defaults(ConfigSet *cs);
int config_load_file(ConfigSet *cs, const char *path);
int config_load_text(ConfigSet *cs, const char *text, const char *name);
// "a.b=value": the value is a YAML scalar or flow list ("[1,2,2]").
int config_apply_override(ConfigSet *cs, const char *assignment);
// Cross-key checks (lambda_min < lambda_max, ...). Run after all overrides.
int config_validate(const ConfigSet *cs);
// Where a key's value came from, for messages of later checks.
const char *config_where(const ConfigSet *cs, const char *path);
// Writes the resolved config as YAML (every key, grouped by section).
int config_write_yaml(const ConfigSet *cs, FILE *out);
// Markdown table of all keys (configs/README.md is generated from it).
void config_write_doc(FILE *out);

// The embedded default (configs/fmnist.yaml, compiled in).
extern const char vdmc_default_config_yaml[];

#endif
