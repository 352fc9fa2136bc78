// One data-parallel training step of the feature classifier: forward, cross-entropy
// (mean over the global batch), backward, gradient sum over ranks, Adam.
// Legend: b local batch, B global batch.
#ifndef VDMC_TRAIN_CLASSIFIER_TRAIN_H
#define VDMC_TRAIN_CLASSIFIER_TRAIN_H

#include <mpi.h>

#include "models/classifier.h"
#include "optim/adam.h"

typedef struct {
  float *grads, *m, *v;   // flat buffers like params
  AdamConfig adam;
  double lr;
  long step;              // Adam steps taken
} ClassifierOpt;

int classifier_opt_init(ClassifierOpt *o, const Classifier *m, double lr);
void classifier_opt_free(ClassifierOpt *o);

// x (b,H,W,C), labels (b); every rank of comm (MPI_COMM_NULL: no reduction) calls it
// with its b examples of a global batch of B. *loss: this rank's share of the mean
// loss; *correct: this rank's argmax hits (either may be NULL).
int classifier_train_step(Classifier *m, float *params, ClassifierOpt *o, const float *x,
                          const int32_t *labels, int b, int B, MPI_Comm comm, double *loss,
                          int *correct);

#endif
