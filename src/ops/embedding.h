// Conditioning inputs: sinusoidal embedding of a scalar noise level and a class
// embedding table whose last row is the "null" class used by classifier-free guidance.
#ifndef VDMC_OPS_EMBEDDING_H
#define VDMC_OPS_EMBEDDING_H

// out (B, E), E even: out[b, i] = cos(x[b] * f_i), out[b, E/2 + i] = sin(x[b] * f_i),
// f_i = exp(-ln(max_period) * i / (E/2)) for i in [0, E/2)  (ADM timestep_embedding).
void sinusoidal_embedding_forward(float *out, const float *x /* (B) */, int B, int E,
                                  double max_period);
// dx[b] += sum_i dout[b, i] * d out[b, i] / d x[b].
void sinusoidal_embedding_backward(float *dx, const float *dout, const float *x, int B, int E,
                                   double max_period);

// out (B, E) = table[labels[b]]; labels in [0, K] where row K is the null class.
void class_embedding_forward(float *out, const int *labels /* (B) */,
                             const float *table /* (K+1, E) */, int B, int E);
void class_embedding_backward(float *dtable, const float *dout, const int *labels, int B, int E);

#endif
