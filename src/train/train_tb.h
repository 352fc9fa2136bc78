// TensorBoard event files of a training run (docs/training.md "TensorBoard"): rank 0
// writes, in RUN/tb/, log.jsonl's values as scalars (same names, phases as
// phases/NAME/min|mean|max), each sample grid as an image (the PNG of RUN/samples/)
// and the adaptive schedule's density over lambda as a histogram.
//
// Resume: each process start writes a new file (created at its first event, named so
// that it sorts after every file already there), and never writes a step <= the last
// step an earlier file holds for the same tag. A resumed run that repeats steps
// therefore continues the same curves, and no file is ever written by two processes.
// A failed write is one warning line; TensorBoard output stops for this process and
// training, log.jsonl and checkpoints go on.
#ifndef VDMC_TRAIN_TRAIN_TB_H
#define VDMC_TRAIN_TRAIN_TB_H

#include "train/train_log.h"
#include "train/trainer.h"

// Rank 0 (others get NULL): reads the event files already in RUN/tb/ (one warning line
// per damaged file) and prepares a new one. Errors: RUN/tb cannot be made or listed,
// an event file cannot be read.
int train_tb_open(struct TrainTb **tb, const Trainer *t);
// One log interval: the scalars, and the adaptive schedule's density when it has one.
void train_tb_interval(struct TrainTb *tb, const Trainer *t, const TrainLogLine *line);
// One evaluation (train/train_eval.h): its log.jsonl keys as scalars.
void train_tb_eval(struct TrainTb *tb, const TrainEvalLine *x);
// The sample grid of this step, read back from the PNG trainer_sample_grid wrote.
void train_tb_samples(struct TrainTb *tb, const Trainer *t, const char *png_path);
void train_tb_close(struct TrainTb *tb);  // NULL is fine

#endif
