// `vdmc prepare folder SRC --size S --out DIR`: SRC/<class>/<image>.{png,jpg,jpeg};
// classes are the subfolders in sorted (strcmp) order, labels 0..K-1; each image is
// center-cropped to a square and area-resized to S x S RGB.
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/status.h"
#include "io/dataset_write.h"
#include "io/image_file.h"
#include "io/prepare.h"

typedef struct {
  char **names;
  size_t n, cap;
} NameList;

static void names_free(NameList *l) {
  for (size_t i = 0; i < l->n; i++) free(l->names[i]);
  free(l->names);
  memset(l, 0, sizeof *l);
}

static int names_push(NameList *l, const char *name) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 64;
    char **p = realloc(l->names, cap * sizeof *p);
    if (!p) return vdmc_fail(VDMC_ERR_MEMORY, "out of memory listing files");
    l->names = p;
    l->cap = cap;
  }
  if (!(l->names[l->n] = strdup(name))) return vdmc_fail(VDMC_ERR_MEMORY, "out of memory listing files");
  l->n++;
  return VDMC_OK;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int is_image_name(const char *name) {
  const char *dot = strrchr(name, '.');
  return dot && (!strcasecmp(dot, ".png") || !strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg"));
}

// Sorted non-hidden entries of `dir`: subdirectories (want_dirs) or image files;
// *skipped counts other regular files.
static int list_dir(const char *dir, int want_dirs, NameList *out, size_t *skipped) {
  DIR *d = opendir(dir);
  if (!d) return vdmc_fail(VDMC_ERR_IO, "%s: cannot open directory", dir);
  struct dirent *e;
  int status = VDMC_OK;
  while (!status && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[4096];
    struct stat st;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path || stat(path, &st) != 0) continue;
    int isdir = S_ISDIR(st.st_mode);
    if (want_dirs ? isdir : (!isdir && is_image_name(e->d_name))) status = names_push(out, e->d_name);
    else if (!want_dirs && skipped) (*skipped)++;
  }
  closedir(d);
  if (!status) qsort(out->names, out->n, sizeof *out->names, by_name);
  return status;
}

// Lists every image as "class/file" with its label; errors on empty classes.
static int collect_images(const char *src, NameList *classes, NameList *files, int32_t **labels, size_t *skipped) {
  int status = list_dir(src, 1, classes, NULL);
  if (status) return status;
  if (classes->n == 0) return vdmc_fail(VDMC_ERR_INPUT, "%s: no class subfolders (expected SRC/<class>/<images>)", src);
  for (size_t k = 0; k < classes->n && !status; k++) {
    char dir[4096];
    NameList one = {0};
    snprintf(dir, sizeof dir, "%s/%s", src, classes->names[k]);
    size_t before = files->n;
    status = list_dir(dir, 0, &one, skipped);
    for (size_t i = 0; i < one.n && !status; i++) {
      char rel[4096];
      snprintf(rel, sizeof rel, "%s/%s", classes->names[k], one.names[i]);
      status = names_push(files, rel);
    }
    names_free(&one);
    if (!status && files->n == before)
      status = vdmc_fail(VDMC_ERR_INPUT, "%s: class folder has no .png/.jpg/.jpeg images", dir);
    int32_t *l = status ? NULL : realloc(*labels, files->cap * sizeof **labels);
    if (!status && !l) status = vdmc_fail(VDMC_ERR_MEMORY, "out of memory listing files");
    if (!status) {
      *labels = l;
      for (size_t i = before; i < files->n; i++) l[i] = (int32_t)k;
    }
  }
  return status;
}

static int write_images(DatasetWriter *w, const char *src, const NameList *files, const int32_t *labels, size_t s) {
  uint8_t *out = malloc(s * s * 3);
  int status = out ? VDMC_OK : vdmc_fail(VDMC_ERR_MEMORY, "out of memory");
  for (size_t i = 0; i < files->n && !status; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", src, files->names[i]);
    uint8_t *rgb = NULL;
    size_t h = 0, wd = 0;
    if ((status = image_decode_file(path, &rgb, &h, &wd))) break;
    size_t l = h < wd ? h : wd;
    float *tmp = malloc((l * (s * 3 + 1) + s) * sizeof *tmp);
    if (!tmp) status = vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory", path);
    else image_center_crop_resize(out, s, rgb, h, wd, 3, tmp);
    free(tmp);
    free(rgb);
    if (!status) status = dataset_writer_append(w, out, labels + i, 1);
  }
  free(out);
  return status;
}

int prepare_folder(const char *src_dir, size_t size, const char *out_dir) {
  NameList classes = {0}, files = {0};
  int32_t *labels = NULL;
  size_t skipped = 0;
  char trimmed[1024], name[256], out[1100], source[1200];
  snprintf(trimmed, sizeof trimmed, "%s", src_dir);
  for (size_t n = strlen(trimmed); n > 1 && trimmed[n - 1] == '/'; n--) trimmed[n - 1] = '\0';
  const char *slash = strrchr(trimmed, '/');
  snprintf(name, sizeof name, "%s", slash ? slash + 1 : trimmed);
  int status = collect_images(src_dir, &classes, &files, &labels, &skipped);
  if (!status) {
    char file[300];
    snprintf(file, sizeof file, "%s.h5", name);
    status = prepare_output_path(out, sizeof out, out_dir, file);
  }
  if (!status) {
    snprintf(source, sizeof source, "image folder: %s (center crop, area resize to %zu)", src_dir, size);
    DatasetSpec spec = {name, source, files.n, size, size, 3, (int)classes.n};
    DatasetWriter w;
    if (!(status = dataset_writer_create(&w, out, &spec))) {
      status = write_images(&w, src_dir, &files, labels, size);
      if (!status) status = dataset_writer_commit(&w);
      if (status) dataset_writer_abort(&w);
    }
  }
  if (!status)
    printf("wrote %s (%zu images, %zu classes; %zu other files skipped)\n", out, files.n, classes.n, skipped);
  free(labels);
  names_free(&files);
  names_free(&classes);
  return status;
}
