// Checks shared by the model tests (unit.unet, unit.uvit); both models run on the U-Net
// step machine (models/unet.h).
//  - model_check_fixture: parity with a reference fixture written by
//    tests/reference/gen_unet.py:write_model_fixture (batch 3, square R x R images):
//    output, loss, every parameter gradient (max rel. err <= 1e-4 per tensor, the worst
//    printed), no all-zero gradient tensor, dx, dlambda, batch 1 = example 0, backward
//    accumulates, and a 10-step Adam loss trajectory (<= 1e-4).
//  - model_check_fd: central finite differences of the named parameter tensors, x and
//    lambda on a batch of 2 (labels 1, 3) with dropout on.
#ifndef VDMC_TEST_MODEL_CHECK_H
#define VDMC_TEST_MODEL_CHECK_H

#include "models/unet.h"

void model_check_fixture(StepNet *u, const char *file, int R, int Cin, int Cout);
void model_check_fd(StepNet *u, const char *const *names, int n_names, int R, int C);

#endif
