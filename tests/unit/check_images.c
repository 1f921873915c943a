/* Image files for the CNN: HWC samples presented as CHW (layout=hwc),
 * per-channel statistics, chunked NPZ directories (npzdir:) streamed one
 * part at a time in one ordered pass, the held-out file, the data_norm key
 * of file streams, and every hostile npzdir input with its own status. All
 * files are written here. */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <richlazy/richeta.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config_internal.h"
#include "data_files.h"
#include "data/dataset_priv.h"

static char spec[4096];

/* ---------- HWC files ---------- */

/* X[n][h][w][c] = n*60 + h*15 + w*3 + c: every byte distinct (n < 4). */
enum { HN = 4, HH = 4, HW = 5, HC = 3, HD = HH * HW * HC };
static uint8_t hwc_val(int n, int h, int w, int c) {
  return (uint8_t)(n * 60 + h * 15 + w * 3 + c);
}

static void write_hwc_npz(const char *name, int method) {
  uint8_t x[HN * HD];
  int64_t y[HN];
  for (int n = 0; n < HN; n++) {
    y[n] = n % 2;
    for (int h = 0; h < HH; h++)
      for (int w = 0; w < HW; w++)
        for (int c = 0; c < HC; c++)
          x[((n * HH + h) * HW + w) * HC + c] = hwc_val(n, h, w, c);
  }
  bytes bx = npy_make("|u1", "(4, 4, 5, 3)", x, sizeof x),
        by = npy_make("<i8", "(4,)", y, sizeof y);
  zmember m[2] = {{"X.npy", bx.p, bx.n, method}, {"Y.npy", by.p, by.n, method}};
  bytes z = zip_make(m, 2, true);
  write_file(tpath(name), z.p, z.n);
  free(bx.p);
  free(by.p);
  free(z.p);
}

START_TEST(hwc_layout_puts_each_pixel_where_torch_permute_0312_does) {
  write_hwc_npz("hwc.npz", 8);
  snprintf(spec, sizeof spec, "npz:%s?layout=hwc", tpath("hwc.npz"));
  richeta_dataset *ds = open_ok(spec);
  snprintf(spec, sizeof spec, "npz:%s", tpath("hwc.npz"));
  richeta_dataset *raw = open_ok(spec);
  int64_t dims[4], nd, v;
  ck_assert_int_eq(richeta_dataset_sample_shape(ds, dims, 4, &nd), RICHETA_OK);
  ck_assert_int_eq(nd, 3);
  ck_assert_int_eq(dims[0], HC); /* presented C x H x W */
  ck_assert_int_eq(dims[1], HH);
  ck_assert_int_eq(dims[2], HW);
  richeta_dataset_num_channels(ds, &v);
  ck_assert_int_eq(v, HC);
  richeta_dataset_input_dim(ds, &v);
  ck_assert_int_eq(v, HD);
  /* torch.from_numpy(X).permute(0, 3, 1, 2).reshape(n, -1)[n][c*H*W + h*W + w]
   * is X[n, h, w, c]; without the option the row is X[n] as stored */
  double a[HD], b[HD];
  for (int n = 0; n < HN; n++) {
    ck_assert_int_eq(richeta_dataset_get_input(ds, n, a, HD), RICHETA_OK);
    ck_assert_int_eq(richeta_dataset_get_input(raw, n, b, HD), RICHETA_OK);
    for (int c = 0; c < HC; c++)
      for (int h = 0; h < HH; h++)
        for (int w = 0; w < HW; w++) {
          ck_assert_double_eq(a[(c * HH + h) * HW + w], hwc_val(n, h, w, c));
          ck_assert_double_eq(b[(h * HW + w) * HC + c], hwc_val(n, h, w, c));
        }
  }
  /* one known pixel: X[2, 3, 1, 2] = 120 + 45 + 3 + 2 at 2*20 + 3*5 + 1 */
  richeta_dataset_get_input(ds, 2, a, HD);
  ck_assert_double_eq(a[56], 170);
  /* batches carry the same rows (f64 and f32) */
  double xb[2 * HD], yb[2 * 2];
  float xf[2 * HD], yf[2 * 2];
  int64_t ep;
  ck_assert_int_eq(richeta_dataset_batch_f64(ds, 9, 1, 2, xb, 2 * HD, yb, 4, &ep), RICHETA_OK);
  ck_assert_int_eq(richeta_dataset_batch_f32(ds, 9, 1, 2, xf, 2 * HD, yf, 4, &ep), RICHETA_OK);
  for (int r = 0; r < 2; r++) {
    int64_t idx = rlz_perm_index(9, 0, HN, 2 + r);
    richeta_dataset_get_input(ds, idx, a, HD);
    for (int j = 0; j < HD; j++) {
      ck_assert_double_eq(xb[r * HD + j], a[j]);
      ck_assert_float_eq(xf[r * HD + j], (float)a[j]);
    }
  }
  /* layout=chw is the stored order */
  snprintf(spec, sizeof spec, "npz:%s?layout=chw", tpath("hwc.npz"));
  richeta_dataset *chw = open_ok(spec);
  richeta_dataset_get_input(chw, 3, a, HD);
  richeta_dataset_get_input(raw, 3, b, HD);
  for (int j = 0; j < HD; j++)
    ck_assert_double_eq(a[j], b[j]);
  richeta_dataset_free(chw);
  richeta_dataset_free(raw);
  richeta_dataset_free(ds);
}
END_TEST

START_TEST(hwc_per_channel_statistics_match_a_hand_computation) {
  write_hwc_npz("hwc.npz", 0);
  snprintf(spec, sizeof spec, "npz:%s?layout=hwc", tpath("hwc.npz"));
  richeta_dataset *ds = open_ok(spec);
  double mean[HC], sd[HC];
  for (int c = 0; c < HC; c++) { /* population statistics of X[..., c] */
    double s = 0, q = 0, cnt = HN * HH * HW;
    for (int n = 0; n < HN; n++)
      for (int h = 0; h < HH; h++)
        for (int w = 0; w < HW; w++)
          s += hwc_val(n, h, w, c);
    mean[c] = s / cnt;
    for (int n = 0; n < HN; n++)
      for (int h = 0; h < HH; h++)
        for (int w = 0; w < HW; w++)
          q += (hwc_val(n, h, w, c) - mean[c]) * (hwc_val(n, h, w, c) - mean[c]);
    sd[c] = sqrt(q / cnt);
  }
  ck_assert_int_eq(richeta_dataset_normalize(ds, RICHETA_NORM_PER_CHANNEL), RICHETA_OK);
  double gm[HC], gs[HC];
  int64_t count;
  richeta_norm mode;
  ck_assert_int_eq(richeta_dataset_get_normalization(ds, &mode, gm, gs, HC, &count), RICHETA_OK);
  ck_assert_int_eq(mode, RICHETA_NORM_PER_CHANNEL);
  ck_assert_int_eq(count, HC);
  for (int c = 0; c < HC; c++) {
    ck_assert_double_eq_tol(gm[c], mean[c], 1e-12);
    ck_assert_double_eq_tol(gs[c], sd[c], 1e-12);
  }
  ck_assert_double_ne(gm[0], gm[1]); /* the channels really differ */
  double a[HD];
  richeta_dataset_get_input(ds, 1, a, HD);
  for (int c = 0; c < HC; c++) /* pixel (h, w) = (2, 4) of channel c */
    ck_assert_double_eq_tol(a[c * 20 + 2 * 5 + 4], (hwc_val(1, 2, 4, c) - mean[c]) / sd[c], 1e-12);
  /* the same file without the option: channels are its last axis (size 3),
   * so per-channel statistics agree */
  snprintf(spec, sizeof spec, "npz:%s", tpath("hwc.npz"));
  richeta_dataset *raw = open_ok(spec);
  ck_assert_int_eq(richeta_dataset_normalize(raw, RICHETA_NORM_PER_CHANNEL), RICHETA_OK);
  double rm[HC], rs[HC];
  richeta_dataset_get_normalization(raw, NULL, rm, rs, HC, &count);
  for (int c = 0; c < HC; c++) {
    ck_assert_double_eq_tol(rm[c], mean[c], 1e-12);
    ck_assert_double_eq_tol(rs[c], sd[c], 1e-12);
  }
  /* and a test split takes the statistics over */
  richeta_dataset *test = open_ok(spec);
  ck_assert_int_eq(richeta_dataset_copy_normalization(test, raw), RICHETA_OK);
  double t[HD];
  richeta_dataset_get_input(test, 1, t, HD);
  ck_assert_double_eq_tol(t[(2 * 5 + 4) * 3 + 1], a[20 + 2 * 5 + 4], 1e-12);
  richeta_dataset_free(test);
  richeta_dataset_free(raw);
  richeta_dataset_free(ds);
}
END_TEST

/* CIFAR-10 file of `records` records, pixel j of record r = (r + j) mod 256. */
static void write_cifar_file(const char *path, int records) {
  size_t n = (size_t)records * 3073;
  uint8_t *b = malloc(n);
  for (int r = 0; r < records; r++) {
    b[(size_t)r * 3073] = (uint8_t)(r % 10);
    for (int j = 0; j < 3072; j++)
      b[(size_t)r * 3073 + 1 + j] = (uint8_t)(r + j);
  }
  write_file(path, b, n);
  free(b);
}

START_TEST(layout_options_are_checked) {
  write_cifar_file(tpath("c.bin"), 2);
  snprintf(spec, sizeof spec, "cifar10:%s?layout=hwc", tpath("c.bin"));
  expect_open(spec, RICHETA_ERR_INVALID, "CHW planes already");
  snprintf(spec, sizeof spec, "cifar10:%s?layout=chw", tpath("c.bin"));
  expect_open(spec, RICHETA_OK, NULL);
  uint8_t x[2 * 6] = {0};
  int64_t y[2] = {0, 1};
  write_npy("X.npy", "|u1", "(2, 2, 3)", x, sizeof x);
  write_npy("Y.npy", "<i8", "(2,)", y, sizeof y);
  snprintf(spec, sizeof spec, "npy:%s,%s?layout=hwc", tpath("X.npy"), tpath("Y.npy"));
  expect_open(spec, RICHETA_ERR_MISMATCH, "three axes");
  snprintf(spec, sizeof spec, "npy:%s,%s?layout=nhwc", tpath("X.npy"), tpath("Y.npy"));
  expect_open(spec, RICHETA_ERR_INVALID, "layout 'nhwc'");
  snprintf(spec, sizeof spec, "fashion-mnist?layout=hwc");
  expect_open(spec, RICHETA_ERR_MISMATCH, "three axes");
}
END_TEST

/* ---------- npzdir ---------- */

enum { PH = 2, PW = 2, PC = 3, PD = PH * PW * PC };
/* Pixel (h, w, c) of global sample g. */
static uint8_t part_val(int64_t g, int h, int w, int c) {
  return (uint8_t)((g * 13 + h * 5 + w * 3 + c * 7) % 251);
}

/* Scratch subdirectory (created); rotating buffers like tpath(). */
static const char *dir_path(const char *dir) {
  static char bufs[4][700];
  static int k;
  char *p = bufs[k++ & 3];
  snprintf(p, 700, "%s/%s", tmpdir, dir);
  mkdir(p, 0700);
  return p;
}

/* File `file` in dir: n samples of shape_tail (2, 2, 3 for the pixels
 * below, numbered from g0 so that they encode g) of one-byte type xdescr,
 * int64 labels g % 10, members X/Y (method 0 or 8). */
static void write_part_as(const char *dir, const char *file, int64_t g0, int n, int method,
                          const char *shape_tail, const char *xdescr) {
  int d0 = 0, d1 = 0, d2 = 0;
  ck_assert_int_eq(sscanf(shape_tail, "%d, %d, %d", &d0, &d1, &d2), 3);
  int per = d0 * d1 * d2;
  uint8_t *x = calloc((size_t)n * (size_t)(per > PD ? per : PD), 1);
  int64_t *y = malloc(sizeof(int64_t) * (size_t)n);
  for (int i = 0; i < n; i++) {
    y[i] = (g0 + i) % 10;
    for (int h = 0; h < PH; h++)
      for (int w = 0; w < PW; w++)
        for (int c = 0; c < PC; c++)
          x[(size_t)i * PD + (h * PW + w) * PC + c] = part_val(g0 + i, h, w, c);
  }
  char xs[64], ys[32];
  snprintf(xs, sizeof xs, "(%d, %s)", n, shape_tail);
  snprintf(ys, sizeof ys, "(%d,)", n);
  bytes bx = npy_make(xdescr, xs, x, (size_t)n * (size_t)per),
        by = npy_make("<i8", ys, y, 8 * (size_t)n);
  zmember m[2] = {{"X.npy", bx.p, bx.n, method}, {"Y.npy", by.p, by.n, method}};
  bytes z = zip_make(m, 2, true);
  char path[900];
  snprintf(path, sizeof path, "%s/%s", dir_path(dir), file);
  write_file(path, z.p, z.n);
  free(bx.p);
  free(by.p);
  free(z.p);
  free(x);
  free(y);
}

static void write_part(const char *dir, int k, int64_t g0, int n, int method) {
  char file[64];
  snprintf(file, sizeof file, "part%d.npz", k);
  write_part_as(dir, file, g0, n, method, "2, 2, 3", "|u1");
}

/* Parts of 5, 3 and 4 samples: boundaries at 5 and 8, n = 12. */
static void write_three_parts(const char *dir) {
  write_part(dir, 0, 0, 5, 0);
  write_part(dir, 1, 5, 3, 8);
  write_part(dir, 2, 8, 4, 0);
}

/* Part files of directory dir mapped into this process (/proc/self/maps). */
static int parts_mapped(const char *dir) {
  FILE *f = fopen("/proc/self/maps", "r");
  ck_assert_ptr_nonnull(f);
  char line[2048], seen[8][1024];
  int n = 0;
  while (fgets(line, sizeof line, f)) {
    char *p = strstr(line, dir);
    if (!p || !strstr(p, "part"))
      continue;
    p[strcspn(p, "\n")] = '\0';
    bool dup = false;
    for (int k = 0; k < n; k++)
      dup |= strcmp(seen[k], p) == 0;
    if (!dup && n < 8)
      snprintf(seen[n++], sizeof seen[0], "%s", p);
  }
  fclose(f);
  return n;
}

/* Row r of a CHW (layout=hwc) batch must be global sample g. */
static void check_row(const double *x, const double *y, int r, int64_t g, bool chw) {
  for (int h = 0; h < PH; h++)
    for (int w = 0; w < PW; w++)
      for (int c = 0; c < PC; c++) {
        int j = chw ? (c * PH + h) * PW + w : (h * PW + w) * PC + c;
        ck_assert_msg(x[r * PD + j] == part_val(g, h, w, c), "row %d should be sample %lld", r,
                      (long long)g);
      }
  if (y)
    for (int k = 0; k < 10; k++)
      ck_assert_double_eq(y[r * 10 + k], k == g % 10 ? 1.0 : 0.0);
}

static void stream_in_order(bool mapped) {
  write_three_parts("parts");
  const char *dir = dir_path("parts");
  snprintf(spec, sizeof spec, "npzdir:%s?layout=hwc%s", dir, mapped ? "&budget=0" : "");
  richeta_dataset *ds = open_ok(spec);
  int64_t v;
  richeta_dataset_num_samples(ds, &v);
  ck_assert_int_eq(v, 12);
  richeta_dataset_num_classes(ds, &v);
  ck_assert_int_eq(v, 10);
  /* opening read headers and labels only: nothing resident */
  ck_assert_ptr_nonnull(ds->dir);
  ck_assert_int_eq(ds->dir->resident, -1);
  ck_assert_int_eq(ds->dir->loads, 0);
  ck_assert_int_eq(parts_mapped(dir), 0);
  /* step t holds samples [4t, 4t + 4) mod 12, in order, any seed */
  enum { B = 4 };
  double x[B * PD], y[B * 10];
  const int64_t loads_after[6] = {1, 2, 3, 4, 5, 6}; /* part 0; 0 then 1; 2; then again */
  const int resident_after[6] = {0, 1, 2, 0, 1, 2};
  for (int64_t t = 0; t < 6; t++) {
    int64_t ep = -1;
    ck_assert_int_eq(
        richeta_dataset_batch_f64(ds, (uint64_t)t * 77, t, B, x, B * PD, y, B * 10, &ep),
        RICHETA_OK);
    for (int r = 0; r < B; r++)
      check_row(x, y, r, (t * B + r) % 12, true);
    ck_assert_int_eq(ep, (t * B + B - 1) / 12); /* epochs as for any finite set */
    ck_assert_int_eq(ds->dir->resident, resident_after[t]);
    ck_assert_int_eq(ds->dir->loads, loads_after[t]);
    if (mapped)
      ck_assert_int_le(parts_mapped(dir), 1); /* never two parts at once */
  }
  /* f32 batches are the same rows */
  float xf[B * PD], yf[B * 10];
  ck_assert_int_eq(richeta_dataset_batch_f32(ds, 0, 1, B, xf, B * PD, yf, B * 10, NULL),
                   RICHETA_OK);
  richeta_dataset_batch_f64(ds, 0, 1, B, x, B * PD, y, B * 10, NULL);
  for (int j = 0; j < B * PD; j++)
    ck_assert_float_eq(xf[j], (float)x[j]);
  /* random access works too (labels, single samples): it swaps parts */
  int64_t lab;
  ck_assert_int_eq(richeta_dataset_label(ds, 6, &lab), RICHETA_OK);
  ck_assert_int_eq(lab, 6);
  ck_assert_int_eq(ds->dir->resident, 1);
  double one[PD];
  ck_assert_int_eq(richeta_dataset_get_input(ds, 11, one, PD), RICHETA_OK);
  check_row(one, NULL, 0, 11, true);
  ck_assert_int_eq(rlz_dataset_epoch_of(ds, 2, B), 0);
  ck_assert_int_eq(rlz_dataset_epoch_of(ds, 3, B), 1);
  richeta_dataset_free(ds);
  ck_assert_int_eq(parts_mapped(dir), 0);
}

START_TEST(npzdir_streams_one_ordered_pass_with_one_mapped_part_at_a_time) {
  stream_in_order(true);
}
END_TEST

START_TEST(npzdir_streams_one_ordered_pass_with_one_part_read_at_a_time) { stream_in_order(false); }
END_TEST

START_TEST(npzdir_statistics_come_from_the_first_part) {
  write_three_parts("parts");
  snprintf(spec, sizeof spec, "npzdir:%s?layout=hwc", dir_path("parts"));
  richeta_dataset *ds = open_ok(spec);
  double mean[PC], sd[PC];
  for (int c = 0; c < PC; c++) { /* part 0 = samples 0..4 */
    double s = 0, q = 0;
    for (int g = 0; g < 5; g++)
      for (int h = 0; h < PH; h++)
        for (int w = 0; w < PW; w++)
          s += part_val(g, h, w, c);
    mean[c] = s / 20;
    for (int g = 0; g < 5; g++)
      for (int h = 0; h < PH; h++)
        for (int w = 0; w < PW; w++)
          q += pow(part_val(g, h, w, c) - mean[c], 2);
    sd[c] = sqrt(q / 20);
  }
  ck_assert_int_eq(richeta_dataset_normalize(ds, RICHETA_NORM_PER_CHANNEL), RICHETA_OK);
  double gm[PC], gs[PC];
  int64_t count;
  richeta_dataset_get_normalization(ds, NULL, gm, gs, PC, &count);
  ck_assert_int_eq(count, PC);
  for (int c = 0; c < PC; c++) {
    ck_assert_double_eq_tol(gm[c], mean[c], 1e-12);
    ck_assert_double_eq_tol(gs[c], sd[c], 1e-12);
  }
  double a[PD];
  richeta_dataset_get_input(ds, 9, a, PD); /* a sample of the last part, same statistics */
  for (int c = 0; c < PC; c++)
    ck_assert_double_eq_tol(a[c * 4 + 3], (part_val(9, 1, 1, c) - mean[c]) / sd[c], 1e-12);
  double rm, rsd, s = 0;
  ck_assert_int_eq(richeta_dataset_raw_stats(ds, &rm, &rsd), RICHETA_OK);
  for (int c = 0; c < PC; c++)
    s += mean[c];
  ck_assert_double_eq_tol(rm, s / PC, 1e-12);
  richeta_dataset_free(ds);
}
END_TEST

START_TEST(npzdir_parts_option_holds_later_parts_out) {
  write_three_parts("parts");
  snprintf(spec, sizeof spec, "npzdir:%s?parts=2", dir_path("parts"));
  richeta_dataset *ds = open_ok(spec);
  int64_t v;
  richeta_dataset_num_samples(ds, &v);
  ck_assert_int_eq(v, 8);
  ck_assert_int_eq(ds->dir->nfiles, 2);
  richeta_dataset_free(ds);
  snprintf(spec, sizeof spec, "npzdir:%s?parts=4", dir_path("parts"));
  expect_open(spec, RICHETA_ERR_IO, "parts=4");
  /* CIFAR-5M's names: a common prefix before "part"; other files ignored */
  write_part_as("c5m", "cifar5m_part0.npz", 0, 3, 0, "2, 2, 3", "|u1");
  write_part_as("c5m", "cifar5m_part1.npz", 3, 2, 8, "2, 2, 3", "|u1");
  write_part_as("c5m", "cifar5m_test.npz", 0, 2, 8, "2, 2, 3", "|u1");
  snprintf(spec, sizeof spec, "npzdir:%s", dir_path("c5m"));
  ds = open_ok(spec);
  richeta_dataset_num_samples(ds, &v);
  ck_assert_int_eq(v, 5);
  richeta_dataset_free(ds);
}
END_TEST

/* A file stream over an npzdir: configuration and handle. */
static richeta_stream *image_stream(const char *data, int64_t norm, int64_t B) {
  richeta_config *cfg = NULL;
  ck_assert_int_eq(richeta_config_new(&cfg, NULL), RICHETA_OK);
  ck_assert_int_eq(richeta_config_set_int(cfg, RICHETA_PARAM_TASK, RICHETA_TASK_FILE), RICHETA_OK);
  ck_assert_int_eq(richeta_config_set_string(cfg, RICHETA_PARAM_DATA_PATH, data), RICHETA_OK);
  ck_assert_int_eq(richeta_config_set_int(cfg, RICHETA_PARAM_INPUT_DIM, PD), RICHETA_OK);
  ck_assert_int_eq(richeta_config_set_int(cfg, RICHETA_PARAM_OUTPUT_DIM, 10), RICHETA_OK);
  ck_assert_int_eq(richeta_config_set_int(cfg, RICHETA_PARAM_BATCH, B), RICHETA_OK);
  ck_assert_int_eq(richeta_config_set_int(cfg, RICHETA_PARAM_IMAGE_CHANNELS, PC), RICHETA_OK);
  ck_assert_int_eq(richeta_config_set_int(cfg, RICHETA_PARAM_IMAGE_HEIGHT, PH), RICHETA_OK);
  ck_assert_int_eq(richeta_config_set_int(cfg, RICHETA_PARAM_IMAGE_WIDTH, PW), RICHETA_OK);
  if (norm >= 0)
    ck_assert_int_eq(richeta_config_set_int(cfg, RICHETA_PARAM_DATA_NORM, norm), RICHETA_OK);
  richeta_stream *s = NULL;
  richeta_status st = richeta_stream_new(&s, cfg);
  ck_assert_msg(st == RICHETA_OK, "stream on %s: %s", data, richeta_last_error());
  richeta_config_free(cfg);
  return s;
}

START_TEST(npzdir_stream_reads_the_pass_then_counts_epochs_and_holds_out_the_test_file) {
  write_three_parts("parts");
  write_part_as("held", "test.npz", 100, 3, 8, "2, 2, 3", "|u1");
  char held[800];
  snprintf(held, sizeof held, "%s/test.npz", dir_path("held"));
  snprintf(spec, sizeof spec, "npzdir:%s?layout=hwc&test=%s", dir_path("parts"), held);
  richeta_stream *s = image_stream(spec, RICHETA_NORM_NONE, 4);
  double x[4 * PD], y[4 * 10];
  for (int64_t t = 0; t < 5; t++) {
    ck_assert_int_eq(richeta_stream_batch_f64(s, t, x, y), RICHETA_OK);
    for (int r = 0; r < 4; r++)
      check_row(x, y, r, (t * 4 + r) % 12, true);
    int64_t ep;
    ck_assert_int_eq(richeta_stream_epoch(s, t, &ep), RICHETA_OK);
    ck_assert_int_eq(ep, t >= 3 ? 1 : 0); /* the pass ends after step 2 */
  }
  int64_t n;
  ck_assert_int_eq(richeta_stream_get_int(s, RICHETA_PARAM_EVAL_SIZE, &n), RICHETA_OK);
  ck_assert_int_eq(n, 3); /* the held-out file's size (eval_n is larger) */
  double ex[3 * PD], ey[3 * 10];
  ck_assert_int_eq(richeta_stream_eval_f64(s, 0, 3, ex, ey), RICHETA_OK);
  for (int r = 0; r < 3; r++)
    check_row(ex, NULL, r, 100 + r, true); /* its own samples, in file order, as CHW */
  for (int r = 0; r < 3; r++)
    ck_assert_double_eq(ey[r * 10 + (100 + r) % 10], 1.0);
  richeta_stream_free(s);

  /* data_norm: per-channel statistics of part 0, copied to the held-out file */
  s = image_stream(spec, RICHETA_NORM_PER_CHANNEL, 4);
  snprintf(spec, sizeof spec, "npzdir:%s?layout=hwc", dir_path("parts"));
  richeta_dataset *ds = open_ok(spec);
  richeta_dataset_normalize(ds, RICHETA_NORM_PER_CHANNEL);
  double mean[PC], sd[PC];
  richeta_dataset_get_normalization(ds, NULL, mean, sd, PC, NULL);
  richeta_dataset_free(ds);
  ck_assert_int_eq(richeta_stream_eval_f64(s, 0, 3, ex, ey), RICHETA_OK);
  for (int c = 0; c < PC; c++)
    ck_assert_double_eq_tol(ex[2 * PD + c * 4 + 1], (part_val(102, 0, 1, c) - mean[c]) / sd[c],
                            1e-12);
  richeta_stream_free(s);

  /* the default is today's global standardization */
  snprintf(spec, sizeof spec, "npzdir:%s?layout=hwc&test=%s", dir_path("parts"), held);
  s = image_stream(spec, -1, 4);
  ck_assert_int_eq(richeta_stream_batch_f64(s, 0, x, y), RICHETA_OK);
  snprintf(spec, sizeof spec, "npzdir:%s?layout=hwc", dir_path("parts"));
  ds = open_ok(spec);
  richeta_dataset_normalize(ds, RICHETA_NORM_GLOBAL);
  double a[PD];
  richeta_dataset_get_input(ds, 1, a, PD);
  for (int j = 0; j < PD; j++)
    ck_assert_double_eq(x[PD + j], a[j]);
  richeta_dataset_free(ds);
  richeta_stream_free(s);
}
END_TEST

START_TEST(file_streams_check_the_image_shape_and_the_held_out_file) {
  write_three_parts("parts");
  richeta_config *cfg = NULL;
  richeta_config_new(&cfg, NULL);
  snprintf(spec, sizeof spec,
           "task=file,D=%d,C=10,B=4,image_channels=3,image_height=2,"
           "image_width=2,data=\"npzdir:%s\"",
           PD, dir_path("parts"));
  ck_assert_int_eq(richeta_config_parse(cfg, spec), RICHETA_OK);
  richeta_stream *s = NULL;
  /* stored 2x2x3, the configuration says CHW 3x2x2: the hint names the option */
  richeta_status st = richeta_stream_new(&s, cfg);
  ck_assert_msg(st == RICHETA_ERR_MISMATCH, "status %d: %s", (int)st, richeta_last_error());
  ck_assert_ptr_null(s);
  ck_assert_ptr_nonnull(strstr(richeta_last_error(), "layout=hwc"));
  /* the held-out file may not be a training part */
  snprintf(spec, sizeof spec, "data=\"npzdir:%s?layout=hwc&test=%s/part1.npz\"", dir_path("parts"),
           dir_path("parts"));
  ck_assert_int_eq(richeta_config_parse(cfg, spec), RICHETA_OK);
  ck_assert_int_eq(richeta_stream_new(&s, cfg), RICHETA_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(richeta_last_error(), "part1.npz"));
  /* a missing held-out file is named */
  snprintf(spec, sizeof spec, "data=\"npzdir:%s?layout=hwc&test=%s/none.npz\"", dir_path("parts"),
           dir_path("parts"));
  ck_assert_int_eq(richeta_config_parse(cfg, spec), RICHETA_OK);
  ck_assert_int_eq(richeta_stream_new(&s, cfg), RICHETA_ERR_IO);
  ck_assert_ptr_nonnull(strstr(richeta_last_error(), "none.npz"));
  /* one whose samples differ in shape */
  write_part_as("held", "odd.npz", 0, 2, 0, "3, 2, 2", "|u1");
  snprintf(spec, sizeof spec, "data=\"npzdir:%s?layout=hwc&test=%s/odd.npz\"", dir_path("parts"),
           dir_path("held"));
  ck_assert_int_eq(richeta_config_parse(cfg, spec), RICHETA_OK);
  ck_assert_int_eq(richeta_stream_new(&s, cfg), RICHETA_ERR_MISMATCH);
  /* a bad data_norm value is refused by the configuration */
  ck_assert_int_eq(richeta_config_set_int(cfg, RICHETA_PARAM_DATA_NORM, 4), RICHETA_ERR_RANGE);
  int64_t v;
  ck_assert_int_eq(richeta_config_get_int(cfg, RICHETA_PARAM_DATA_NORM, &v), RICHETA_OK);
  ck_assert_int_eq(v, RICHETA_NORM_GLOBAL);
  richeta_config_free(cfg);
}
END_TEST

START_TEST(data_norm_enters_the_sweep_hash_only_when_not_the_default) {
  richeta_config *cfg = NULL;
  ck_assert_int_eq(richeta_config_new(&cfg, NULL), RICHETA_OK);
  char text[8192];
  ck_assert_int_eq(rlz_config_hash_text(cfg, text, sizeof text, NULL), RICHETA_OK);
  ck_assert_ptr_null(strstr(text, "data_norm")); /* 1.0 stores keep their hashes */
  ck_assert_int_eq(richeta_config_parse(cfg, "data_norm=global"), RICHETA_OK);
  ck_assert_int_eq(rlz_config_hash_text(cfg, text, sizeof text, NULL), RICHETA_OK);
  ck_assert_ptr_null(strstr(text, "data_norm"));
  ck_assert_int_eq(richeta_config_parse(cfg, "data_norm=per_channel"), RICHETA_OK);
  ck_assert_int_eq(rlz_config_hash_text(cfg, text, sizeof text, NULL), RICHETA_OK);
  ck_assert_ptr_nonnull(strstr(text, "data_norm=per_channel"));
  richeta_config_free(cfg);
}
END_TEST

/* Two threads filling batches from one npzdir set: each fill holds the
 * set's lock, so parts swap under neither; every row must be right. */
typedef struct fill_job {
  const richeta_dataset *ds;
  int dir; /* +1: steps upwards, -1: downwards */
  int bad; /* wrong rows or failed fills */
} fill_job;

static void *fill_worker(void *arg) {
  fill_job *j = arg;
  double x[4 * PD];
  for (int k = 0; k < 60; k++) {
    int64_t t = j->dir > 0 ? k : 59 - k;
    if (richeta_dataset_batch_f64(j->ds, 0, t, 4, x, 4 * PD, NULL, 0, NULL) != RICHETA_OK) {
      j->bad++;
      continue;
    }
    for (int r = 0; r < 4; r++) {
      int64_t g = (t * 4 + r) % 12;
      for (int c = 0; c < PC; c++)
        j->bad += x[r * PD + c * 4 + 3] != part_val(g, 1, 1, c);
    }
  }
  return NULL;
}

START_TEST(npzdir_fills_from_two_threads_are_correct) {
  write_three_parts("parts");
  snprintf(spec, sizeof spec, "npzdir:%s?layout=hwc&budget=0", dir_path("parts"));
  richeta_dataset *ds = open_ok(spec);
  fill_job jobs[2] = {{ds, 1, 0}, {ds, -1, 0}};
  pthread_t th[2];
  for (int k = 0; k < 2; k++)
    ck_assert_int_eq(pthread_create(&th[k], NULL, fill_worker, &jobs[k]), 0);
  for (int k = 0; k < 2; k++)
    pthread_join(th[k], NULL);
  ck_assert_int_eq(jobs[0].bad, 0);
  ck_assert_int_eq(jobs[1].bad, 0);
  richeta_dataset_free(ds);
}
END_TEST

/* An allocator that fails its k-th allocation and counts live blocks. */
typedef struct failing {
  long calls, fail_at, live;
} failing;

static void *failing_alloc(void *user, size_t size, size_t alignment) {
  failing *f = user;
  if (f->calls++ == f->fail_at)
    return NULL;
  void *p = NULL;
  if (posix_memalign(&p, alignment < sizeof(void *) ? sizeof(void *) : alignment,
                     size ? size : 1) != 0)
    return NULL;
  f->live++;
  return p;
}

static void failing_free(void *user, void *p) {
  ((failing *)user)->live--;
  free(p);
}

START_TEST(npzdir_fails_cleanly_at_every_allocation) {
  write_three_parts("parts");
  /* a small budget: the deflated part 1 goes through a temporary file */
  snprintf(spec, sizeof spec, "npzdir:%s?layout=hwc&budget=64", dir_path("parts"));
  long k = 0;
  for (;; k++) {
    failing f = {0, k, 0};
    richeta_allocator al = {sizeof al, failing_alloc, failing_free, &f};
    richeta_dataset *ds = NULL;
    richeta_status st = richeta_dataset_open(&ds, spec, &al);
    if (st == RICHETA_OK)
      st = richeta_dataset_normalize(ds, RICHETA_NORM_PER_CHANNEL);
    double x[4 * PD];
    for (int64_t t = 0; st == RICHETA_OK && t < 4; t++)
      st = richeta_dataset_batch_f64(ds, 0, t, 4, x, 4 * PD, NULL, 0, NULL);
    bool failed_here = f.calls > k;
    ck_assert_msg(st == RICHETA_OK || st == RICHETA_ERR_NOMEM,
                  "allocation %ld failing gives status %d: %s", k, (int)st, richeta_last_error());
    ck_assert_msg(st != RICHETA_OK || !failed_here, "allocation %ld failed unnoticed", k);
    richeta_dataset_free(ds);
    ck_assert_msg(f.live == 0, "allocation %ld failing leaks %ld blocks", k, f.live);
    if (!failed_here)
      break;
  }
  ck_assert_int_gt(k, 10); /* the path really allocates */
}
END_TEST

/* ---------- hostile npzdir inputs ---------- */

START_TEST(npzdir_hostile_directories_give_clear_errors_naming_the_file) {
  char d[800];
  /* no such directory, a file, an empty directory */
  snprintf(spec, sizeof spec, "npzdir:%s/none", tmpdir);
  expect_open(spec, RICHETA_ERR_IO, "none");
  write_file(tpath("plain"), "x", 1);
  snprintf(spec, sizeof spec, "npzdir:%s", tpath("plain"));
  expect_open(spec, RICHETA_ERR_IO, "plain");
  snprintf(spec, sizeof spec, "npzdir:%s", dir_path("empty"));
  expect_open(spec, RICHETA_ERR_IO, "no part files");
  /* a missing part */
  write_part("gap", 0, 0, 3, 0);
  write_part("gap", 2, 3, 3, 0);
  snprintf(spec, sizeof spec, "npzdir:%s", dir_path("gap"));
  expect_open(spec, RICHETA_ERR_IO, "part1.npz is missing");
  /* a part whose sample shape or type differs */
  write_part("shape", 0, 0, 3, 0);
  write_part_as("shape", "part1.npz", 3, 3, 0, "2, 2, 4", "|u1");
  snprintf(spec, sizeof spec, "npzdir:%s", dir_path("shape"));
  expect_open(spec, RICHETA_ERR_MISMATCH, "part1.npz");
  write_part("type", 0, 0, 3, 0);
  write_part_as("type", "part1.npz", 3, 3, 0, "2, 2, 3", "|i1");
  snprintf(spec, sizeof spec, "npzdir:%s", dir_path("type"));
  expect_open(spec, RICHETA_ERR_MISMATCH, "int8");
  /* two prefixes */
  write_part("mixed", 0, 0, 3, 0);
  write_part_as("mixed", "a_part0.npz", 0, 3, 0, "2, 2, 3", "|u1");
  snprintf(spec, sizeof spec, "npzdir:%s", dir_path("mixed"));
  expect_open(spec, RICHETA_ERR_FORMAT, "two prefixes");
  /* a part that is not a zip file, one without Y, one whose Y count differs */
  write_part("bad", 0, 0, 3, 0);
  snprintf(d, sizeof d, "%s/part1.npz", dir_path("bad"));
  write_file(d, "not a zip archive at all, just text", 35);
  snprintf(spec, sizeof spec, "npzdir:%s", dir_path("bad"));
  expect_open(spec, RICHETA_ERR_FORMAT, "part1.npz");
  uint8_t x[3 * PD] = {0};
  int64_t y[2] = {0, 1};
  bytes bx = npy_make("|u1", "(3, 2, 2, 3)", x, sizeof x), by = npy_make("<i8", "(2,)", y, 16);
  zmember only_x[1] = {{"X.npy", bx.p, bx.n, 0}};
  bytes z = zip_make(only_x, 1, true);
  write_file(d, z.p, z.n);
  free(z.p);
  expect_open(spec, RICHETA_ERR_FORMAT, "no member Y.npy");
  zmember short_y[2] = {{"X.npy", bx.p, bx.n, 0}, {"Y.npy", by.p, by.n, 0}};
  z = zip_make(short_y, 2, true);
  write_file(d, z.p, z.n);
  free(z.p);
  expect_open(spec, RICHETA_ERR_MISMATCH, "part1.npz");
  /* X's header declares more data than its member holds */
  bytes cut = npy_make("|u1", "(9, 2, 2, 3)", x, sizeof x);
  zmember lying[2] = {{"X.npy", cut.p, cut.n, 8}, {"Y.npy", by.p, by.n, 0}};
  z = zip_make(lying, 2, true);
  write_file(d, z.p, z.n);
  free(z.p);
  expect_open(spec, RICHETA_ERR_FORMAT, "part1.npz[X.npy]");
  free(cut.p);
  free(bx.p);
  free(by.p);
  /* a label out of range */
  int64_t neg[3] = {0, -1, 2};
  bx = npy_make("|u1", "(3, 2, 2, 3)", x, sizeof x);
  by = npy_make("<i8", "(3,)", neg, sizeof neg);
  zmember bad_label[2] = {{"X.npy", bx.p, bx.n, 0}, {"Y.npy", by.p, by.n, 0}};
  z = zip_make(bad_label, 2, true);
  write_file(d, z.p, z.n);
  expect_open(spec, RICHETA_ERR_RANGE, "part1.npz[Y.npy]");
  free(z.p);
  free(bx.p);
  free(by.p);
}
END_TEST

START_TEST(npzdir_bad_options_are_rejected) {
  write_three_parts("parts");
  const char *dir = dir_path("parts");
  static const char *const bad[] = {"?parts=0",    "?parts=abc", "?parts=",      "?parts=1x",
                                    "?layout=whc", "?test=",     "?budget=lots", "?order=random"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    snprintf(spec, sizeof spec, "npzdir:%s%s", dir, bad[i]);
    expect_open(spec, RICHETA_ERR_INVALID, NULL);
  }
  snprintf(spec, sizeof spec, "npzdir:%s,X", dir);
  expect_open(spec, RICHETA_ERR_INVALID, "npzdir:DIR");
  snprintf(spec, sizeof spec, "npzdir:?layout=hwc");
  expect_open(spec, RICHETA_ERR_INVALID, NULL);
  snprintf(spec, sizeof spec, "npz:%s/part0.npz?parts=2", dir);
  expect_open(spec, RICHETA_ERR_INVALID, "npzdir only");
  expect_open("fashion-mnist?test=x.npz", RICHETA_ERR_INVALID, "fashion-mnist:test");
  /* explicit keys that are not members */
  snprintf(spec, sizeof spec, "npzdir:%s,images,labels", dir);
  expect_open(spec, RICHETA_ERR_FORMAT, "no member images.npy");
}
END_TEST

START_TEST(npzdir_parts_broken_after_opening_fail_the_fill_naming_the_file) {
  write_three_parts("parts");
  const char *dir = dir_path("parts");
  snprintf(spec, sizeof spec, "npzdir:%s", dir);
  richeta_dataset *ds = open_ok(spec);
  /* corrupt one pixel of part 2's stored X: its CRC fails when it loads */
  char p2[800];
  snprintf(p2, sizeof p2, "%s/part2.npz", dir);
  FILE *f = fopen(p2, "r+b");
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(fseek(f, 200, SEEK_SET), 0);
  int ch = fgetc(f);
  ck_assert_int_eq(fseek(f, 200, SEEK_SET), 0);
  fputc(ch ^ 0x5a, f);
  fclose(f);
  double x[4 * PD];
  ck_assert_int_eq(richeta_dataset_batch_f64(ds, 0, 0, 4, x, 4 * PD, NULL, 0, NULL), RICHETA_OK);
  ck_assert_int_eq(richeta_dataset_batch_f64(ds, 0, 2, 4, x, 4 * PD, NULL, 0, NULL),
                   RICHETA_ERR_CHECKSUM);
  ck_assert_ptr_nonnull(strstr(richeta_last_error(), "part2.npz"));
  ck_assert_int_eq(ds->dir->resident, -1);
  /* a removed part is an I/O error naming it; the others still load */
  snprintf(p2, sizeof p2, "%s/part1.npz", dir);
  ck_assert_int_eq(unlink(p2), 0);
  ck_assert_int_eq(richeta_dataset_batch_f64(ds, 0, 1, 4, x, 4 * PD, NULL, 0, NULL),
                   RICHETA_ERR_IO);
  ck_assert_ptr_nonnull(strstr(richeta_last_error(), "part1.npz"));
  ck_assert_int_eq(richeta_dataset_batch_f64(ds, 0, 0, 4, x, 4 * PD, NULL, 0, NULL), RICHETA_OK);
  /* a part rewritten with fewer samples */
  write_part("parts", 0, 0, 4, 0);
  ck_assert_int_eq(richeta_dataset_batch_f64(ds, 0, 2, 4, x, 4 * PD, NULL, 0, NULL),
                   RICHETA_ERR_CHECKSUM);
  ck_assert_int_eq(richeta_dataset_batch_f64(ds, 0, 0, 4, x, 4 * PD, NULL, 0, NULL),
                   RICHETA_ERR_MISMATCH);
  ck_assert_ptr_nonnull(strstr(richeta_last_error(), "changed since"));
  richeta_dataset_free(ds);
}
END_TEST

Suite *images_suite(void) {
  Suite *s = suite_create("images");
  TCase *lay = tcase_create("layout");
  tcase_add_checked_fixture(lay, setup, teardown);
  tcase_add_test(lay, hwc_layout_puts_each_pixel_where_torch_permute_0312_does);
  tcase_add_test(lay, hwc_per_channel_statistics_match_a_hand_computation);
  tcase_add_test(lay, layout_options_are_checked);
  suite_add_tcase(s, lay);
  TCase *dir = tcase_create("npzdir");
  tcase_add_checked_fixture(dir, setup, teardown);
  tcase_add_test(dir, npzdir_streams_one_ordered_pass_with_one_mapped_part_at_a_time);
  tcase_add_test(dir, npzdir_streams_one_ordered_pass_with_one_part_read_at_a_time);
  tcase_add_test(dir, npzdir_statistics_come_from_the_first_part);
  tcase_add_test(dir, npzdir_parts_option_holds_later_parts_out);
  tcase_add_test(dir, npzdir_stream_reads_the_pass_then_counts_epochs_and_holds_out_the_test_file);
  tcase_add_test(dir, file_streams_check_the_image_shape_and_the_held_out_file);
  tcase_add_test(dir, npzdir_fills_from_two_threads_are_correct);
  tcase_add_test(dir, data_norm_enters_the_sweep_hash_only_when_not_the_default);
  tcase_add_test(dir, npzdir_fails_cleanly_at_every_allocation);
  suite_add_tcase(s, dir);
  TCase *bad = tcase_create("hostile");
  tcase_add_checked_fixture(bad, setup, teardown);
  tcase_add_test(bad, npzdir_hostile_directories_give_clear_errors_naming_the_file);
  tcase_add_test(bad, npzdir_bad_options_are_rejected);
  tcase_add_test(bad, npzdir_parts_broken_after_opening_fail_the_fill_naming_the_file);
  suite_add_tcase(s, bad);
  return s;
}
