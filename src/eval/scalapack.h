// Declarations of the BLACS and ScaLAPACK routines vdmc calls (the Debian
// libscalapack-openmpi package ships no C header). Fortran routines take every
// argument by pointer; CHARACTER arguments are followed, after the last listed
// argument, by their hidden lengths (gfortran ABI: size_t per character argument).
// Descriptors are int[9] (DLEN_ = 9) filled by descinit_.
#ifndef VDMC_EVAL_SCALAPACK_H
#define VDMC_EVAL_SCALAPACK_H

#include <mpi.h>
#include <stddef.h>

#define SCALAPACK_DLEN 9

// BLACS C interface: a system handle for an MPI communicator, then a process grid on it.
int Csys2blacs_handle(MPI_Comm comm);
void Cfree_blacs_system_handle(int handle);
void Cblacs_gridinit(int *context, const char *order, int nprow, int npcol);
void Cblacs_gridinfo(int context, int *nprow, int *npcol, int *myrow, int *mycol);
void Cblacs_gridexit(int context);

// Local rows/columns of an n-long dimension in blocks of nb on nprocs processes.
int numroc_(const int *n, const int *nb, const int *iproc, const int *isrcproc,
            const int *nprocs);
void descinit_(int *desc, const int *m, const int *n, const int *mb, const int *nb,
               const int *irsrc, const int *icsrc, const int *context, const int *lld, int *info);
// Symmetric eigendecomposition (divide and conquer); only jobz = 'V' is implemented.
// w (n) is replicated on every process. lwork = -1: workspace query.
void pdsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *ia,
              const int *ja, const int *desca, double *w, double *z, const int *iz, const int *jz,
              const int *descz, double *work, const int *lwork, int *iwork, const int *liwork,
              int *info, size_t jobz_len, size_t uplo_len);
// C = alpha op(A) op(B) + beta C on distributed matrices.
void pdgemm_(const char *transa, const char *transb, const int *m, const int *n, const int *k,
             const double *alpha, const double *a, const int *ia, const int *ja, const int *desca,
             const double *b, const int *ib, const int *jb, const int *descb, const double *beta,
             double *c, const int *ic, const int *jc, const int *descc, size_t transa_len,
             size_t transb_len);

#endif
