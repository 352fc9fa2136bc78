// h5_array_diff: the largest difference between two float32 1-D datasets of HDF5
// files (checkpoints, post-hoc EMA snapshots), for tests/cli/posthoc_ema.sh: CI has no
// h5py. Prints "max_abs A max_ref B" (B = max |second|) and exits 0, or 1 on error.
//   h5_array_diff FILE_A DATASET_A FILE_B DATASET_B
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static float *read_floats(const char *path, const char *name, hsize_t *n) {
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return NULL;
  float *buf = NULL;
  hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
  if (d >= 0) {
    hid_t s = H5Dget_space(d);
    if (H5Sget_simple_extent_ndims(s) == 1 && H5Sget_simple_extent_dims(s, n, NULL) == 1 &&
        (buf = malloc((*n ? *n : 1) * sizeof *buf)) &&
        H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
      free(buf);
      buf = NULL;
    }
    H5Sclose(s);
    H5Dclose(d);
  }
  H5Fclose(f);
  return buf;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: h5_array_diff FILE_A DATASET_A FILE_B DATASET_B\n");
    return 1;
  }
  hsize_t na = 0, nb = 0;
  float *a = read_floats(argv[1], argv[2], &na), *b = read_floats(argv[3], argv[4], &nb);
  if (!a || !b || na != nb) {
    fprintf(stderr, "h5_array_diff: cannot read both datasets with the same length\n");
    return 1;
  }
  double worst = 0, ref = 0;
  for (hsize_t i = 0; i < na; i++) {
    double d = fabs((double)a[i] - (double)b[i]);
    worst = isnan(d) || d > worst ? (isnan(d) ? INFINITY : d) : worst;
    ref = fmax(ref, fabs((double)b[i]));
  }
  printf("max_abs %.6e max_ref %.6e\n", worst, ref);
  free(a);
  free(b);
  return 0;
}
