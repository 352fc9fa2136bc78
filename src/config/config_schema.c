// The table of every config key: type, default, range/choices and meaning.
// configs/README.md is generated from this table (`vdmc config --doc`), and a test
// checks the two agree, so the documentation cannot drift from the code.
#include <float.h>
#include <stddef.h>

#include "config/config.h"

#define F(field) offsetof(Config, field)
static const double BIG = 1e300;

const ConfigKey config_keys[] = {
    // model
    {"model.arch", CFG_CHOICE, F(model.arch), "unet", 0, 0, "unet", "denoiser architecture"},
    {"model.base_channels", CFG_INT, F(model.base_channels), "32", 1, 4096, NULL,
     "channels of the first U-Net level"},
    {"model.channel_mult", CFG_INT_LIST, F(model.channel_mult), "[1, 2, 2]", 1, 64, NULL,
     "channel multiplier per level (one entry per resolution level)"},
    {"model.num_res_blocks", CFG_INT, F(model.num_res_blocks), "2", 1, 16, NULL,
     "residual blocks per level"},
    {"model.attn_resolutions", CFG_INT_LIST, F(model.attn_resolutions), "[7]", 1, 4096, NULL,
     "feature-map sizes (height) that get self-attention"},
    {"model.head_channels", CFG_INT, F(model.head_channels), "32", 1, 4096, NULL,
     "channels per attention head"},
    {"model.dropout", CFG_FLOAT, F(model.dropout), "0.1", 0, 0.99, NULL,
     "dropout probability inside residual blocks"},
    {"model.resblock_updown", CFG_BOOL, F(model.resblock_updown), "false", 0, 0, NULL,
     "resample inside residual blocks (ADM BigGAN-style) instead of plain conv resampling"},
    {"model.num_classes", CFG_INT, F(model.num_classes), "10", 0, 100000, NULL,
     "class-conditional with this many classes (0 = unconditional); must match the dataset"},
    {"model.lambda_scale", CFG_FLOAT, F(model.lambda_scale), "25", 1e-6, 1e6, NULL,
     "the noise embedding sees lambda_scale * log-SNR"},
    {"model.fourier_features", CFG_BOOL, F(model.fourier_features), "false", 0, 0, NULL,
     "append VDM Fourier-feature input channels (VDM App. C)"},
    // diffusion
    {"diffusion.schedule", CFG_STRING, F(diffusion.schedule), "cosine", 0, 0, NULL,
     "training noise schedule f_lambda(t) (see docs/diffusion.md for the names)"},
    {"diffusion.shift_base", CFG_FLOAT, F(diffusion.shift_base), "64", 1, 1e6, NULL,
     "shifted schedules/weightings use s = log(shift_base / resolution)"},
    {"diffusion.lambda_min", CFG_FLOAT, F(diffusion.lambda_min), "-20", -40, 40, NULL,
     "lowest log-SNR (truncation, E.3.1)"},
    {"diffusion.lambda_max", CFG_FLOAT, F(diffusion.lambda_max), "20", -40, 40, NULL,
     "highest log-SNR (truncation, E.3.1)"},
    {"diffusion.weighting", CFG_STRING, F(diffusion.weighting), "sigmoid", 0, 0, NULL,
     "weighting w(lambda) of the loss (Table 1; see docs/diffusion.md)"},
    {"diffusion.weighting_bias", CFG_FLOAT, F(diffusion.weighting_bias), "2", -40, 40, NULL,
     "b in w = sigmoid(-lambda + b)"},
    {"diffusion.parameterization", CFG_CHOICE, F(diffusion.parameterization), "eps", 0, 0,
     "eps|x|v|F", "what the network predicts (E.2)"},
    {"diffusion.sigma_data", CFG_FLOAT, F(diffusion.sigma_data), "0.5", 1e-6, 100, NULL,
     "data standard deviation of the F (EDM) parameterization"},
    {"diffusion.adaptive", CFG_BOOL, F(diffusion.adaptive), "true", 0, 0, NULL,
     "use the 100-bin adaptive noise schedule (App. F) for training"},
    {"diffusion.adaptive_decay", CFG_FLOAT, F(diffusion.adaptive_decay), "0.999", 0, 0.999999,
     NULL, "EMA decay of the adaptive-schedule bins"},
    {"diffusion.label_dropout", CFG_FLOAT, F(diffusion.label_dropout), "0.1", 0, 1, NULL,
     "probability of replacing the label by the null class (classifier-free guidance)"},
    // optim
    {"optim.lr", CFG_FLOAT, F(optim.lr), "2e-4", 1e-12, 10, NULL, "Adam learning rate after warmup"},
    {"optim.beta1", CFG_FLOAT, F(optim.beta1), "0.9", 0, 0.999999, NULL, "Adam beta1"},
    {"optim.beta2", CFG_FLOAT, F(optim.beta2), "0.999", 0, 0.999999999, NULL, "Adam beta2"},
    {"optim.eps", CFG_FLOAT, F(optim.eps), "1e-8", 1e-30, 1, NULL, "Adam epsilon"},
    {"optim.weight_decay", CFG_FLOAT, F(optim.weight_decay), "0", 0, 10, NULL,
     "decoupled weight decay (matrices only)"},
    {"optim.warmup_images", CFG_FLOAT, F(optim.warmup_images), "20000", 0, BIG, NULL,
     "linear learning-rate warmup length in training images"},
    {"optim.grad_clip", CFG_FLOAT, F(optim.grad_clip), "1", 0, BIG, NULL,
     "clip the global gradient norm to this (0 = off)"},
    {"optim.ema_halflife_images", CFG_FLOAT, F(optim.ema_halflife_images), "50000", 0, BIG, NULL,
     "half-life of the weight EMA in images (ramped up early in training)"},
    {"optim.batch_size", CFG_INT, F(optim.batch_size), "64", 1, 1 << 24, NULL,
     "global batch size over all ranks (must be divisible by the number of ranks)"},
    {"optim.steps", CFG_INT64, F(optim.steps), "3000", 1, 1e15, NULL, "training steps"},
    {"optim.max_skipped_steps", CFG_INT, F(optim.max_skipped_steps), "20", 1, 1000000, NULL,
     "consecutive non-finite steps that end the run"},
    // data
    {"data.train", CFG_STRING, F(data.train), "data/fashion-mnist-train.h5", 0, 0, NULL,
     "training set (vdmc HDF5 dataset; relative paths are relative to the working directory)"},
    {"data.test", CFG_STRING, F(data.test), "data/fashion-mnist-test.h5", 0, 0, NULL,
     "test set for bits/dim evaluation"},
    {"data.flip", CFG_BOOL, F(data.flip), "false", 0, 0, NULL, "random horizontal flips"},
    // run
    {"run.seed", CFG_INT64, F(run.seed), "0", 0, 9007199254740991.0, NULL,
     "seed of every random draw (data order, t, noise, dropout)"},
    {"run.log_every", CFG_INT, F(run.log_every), "50", 1, 1 << 30, NULL,
     "steps between progress lines and log.jsonl records"},
    {"run.checkpoint_every", CFG_INT, F(run.checkpoint_every), "500", 1, 1 << 30, NULL,
     "steps between checkpoints"},
    {"run.sample_every", CFG_INT, F(run.sample_every), "1000", 0, 1 << 30, NULL,
     "steps between sample grids (0 = never)"},
    {"run.keep_checkpoints", CFG_INT, F(run.keep_checkpoints), "3", 1, 1000, NULL,
     "checkpoints kept on disk"},
    // mpi
    {"mpi.bucket_mb", CFG_FLOAT, F(mpi.bucket_mb), "4", 0.001, 4096, NULL,
     "gradient allreduce bucket size in MiB"},
    {"mpi.zero_stage", CFG_INT, F(mpi.zero_stage), "0", 0, 1, NULL,
     "1 = shard Adam state and weight update over ranks (reduce-scatter + all-gather)"},
    {"mpi.threads_per_rank", CFG_INT, F(mpi.threads_per_rank), "0", 0, 1024, NULL,
     "BLAS threads per rank (0 = OPENBLAS_NUM_THREADS or 1)"},
};
const int config_key_count = (int)(sizeof config_keys / sizeof config_keys[0]);
