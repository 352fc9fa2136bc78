// The one policy for every file vdmc writes other than checkpoints (sample grids and
// sample files, FID statistics, classifier features, prepared datasets, plots,
// exported safetensors weights, a run's config.yaml; docs/reliability.md "Output files").
//
// A writer writes to a temporary in the target's directory, created exclusively
// (O_EXCL: it never truncates or follows anything that is already there), and
// output_file_end renames it over the target only when everything was written.
// Before that, output_file_begin refuses a target that
//   - exists and is not a regular file (directory, device, FIFO, socket): a rename
//     would replace the special file itself (`--out /dev/full` became a PNG);
//   - is the same file as an input this process has read (output_note_input):
//     `sample --h5 RUN/checkpoints/step-N.h5` would replace the checkpoint it reads;
//   - lies in a directory named `checkpoints`: only the checkpointer writes there.
// A symlink is written through: the file it points to is replaced, the link stays,
// and one line on stderr says so. A dangling symlink is refused.
#ifndef VDMC_CORE_OUTPUT_FILE_H
#define VDMC_CORE_OUTPUT_FILE_H

#define OUTPUT_PATH_LEN 4096

typedef struct {
  char path[OUTPUT_PATH_LEN];      // the file to replace (a symlink's target when writing through)
  char tmp_path[OUTPUT_PATH_LEN + 32];  // PATH.tmp-PID, where the writer writes; create it exclusively
} OutputFile;

// Checks `target` against the policy and fills o. Fails with VDMC_ERR_INPUT and one
// line naming the target and the reason. Creates nothing.
int output_file_begin(OutputFile *o, const char *target);
// status == VDMC_OK: renames tmp_path over path (a failure names both and the
// system's reason). Otherwise, or when the rename fails, removes tmp_path. Returns
// status, or the rename error.
int output_file_end(OutputFile *o, int status);

// The same checks without preparing a write: for a file appended to in place (a
// run's log.jsonl: a FIFO would hang the writer, a device would swallow the log), and
// for commands that check their targets before their work.
int output_file_check(const char *target);

// Records that this process reads `path`, so no output replaces it. Every reader's
// input_file_check (core/input_file.h) calls it; the mpi commands call it for the
// inputs named on their command line before they check their outputs. A path that
// cannot be stat'ed is ignored (its reader reports that).
void output_note_input(const char *path);
// Forgets every noted input (tests).
void output_forget_inputs(void);

#endif
