/* Data sets: real Fashion-MNIST files, NPY/NPZ/IDX/CIFAR round trips from
 * files written here, every malformed-input case with its own status, the
 * keyed epoch permutation, epoch counting and normalization. */
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <richlazy/data.h>
#include <richlazy/richeta.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "data/dataset_priv.h"
#include "data_files.h"

/* Small classification set: N samples of 2x3 u8, x[i][j] = i*6+j (mod 256),
 * int64 labels i % 4, written as X.npy / Y.npy. */
static void write_small_npy(int n) {
  uint8_t *x = malloc((size_t)n * 6);
  int64_t *y = malloc(sizeof(int64_t) * (size_t)n);
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < 6; j++)
      x[i * 6 + j] = (uint8_t)(i * 6 + j);
    y[i] = i % 4;
  }
  char shape[64];
  snprintf(shape, sizeof shape, "(%d, 2, 3)", n);
  write_npy("X.npy", "|u1", shape, x, (size_t)n * 6);
  snprintf(shape, sizeof shape, "(%d,)", n);
  write_npy("Y.npy", "<i8", shape, y, sizeof(int64_t) * (size_t)n);
  free(x);
  free(y);
}

static char spec_buf[2048];
static const char *spec2(const char *kind, const char *a, const char *b) {
  snprintf(spec_buf, sizeof spec_buf, "%s:%s,%s", kind, tpath(a), tpath(b));
  return spec_buf;
}

/* ====================== Fashion-MNIST (real files) ====================== */

#define FMNIST "/usr/share/datasets/fashion-mnist"

/* Figures measured once with an independent one-off python3 computation
 * (gzip + struct, population std over every pixel) on Debian's
 * dataset-fashion-mnist files:
 *   train: sum 3431114169, mean 72.940352232143, std 90.021182351305,
 *          label sum 270000, sum_i i*label_i 8087216427, pixels of image 0 sum to 76247
 *   test:  sum 573469082, mean 73.146566581633, std 89.873259078097,
 *          label sum 45000, sum_i i*label_i 225732341, image 0 sums to 33456 */
static void check_fashion(const char *spec, int64_t n, double mean, double sd, int64_t lsum,
                          int64_t wsum, double img0) {
  ck_assert_msg(access(FMNIST "/train-images-idx3-ubyte.gz", R_OK) == 0,
                "install Debian's dataset-fashion-mnist package");
  richeta_dataset *ds = open_ok(spec);
  int64_t v, dims[4], nd;
  ck_assert_int_eq(richeta_dataset_num_samples(ds, &v), RICHETA_OK);
  ck_assert_int_eq(v, n);
  ck_assert_int_eq(richeta_dataset_input_dim(ds, &v), RICHETA_OK);
  ck_assert_int_eq(v, 784);
  ck_assert_int_eq(richeta_dataset_sample_shape(ds, dims, 4, &nd), RICHETA_OK);
  ck_assert_int_eq(nd, 2);
  ck_assert_int_eq(dims[0], 28);
  ck_assert_int_eq(dims[1], 28);
  ck_assert_int_eq(richeta_dataset_num_classes(ds, &v), RICHETA_OK);
  ck_assert_int_eq(v, 10);
  ck_assert_int_eq(richeta_dataset_target_dim(ds, &v), RICHETA_OK);
  ck_assert_int_eq(v, 10);
  double m, s;
  ck_assert_int_eq(richeta_dataset_raw_stats(ds, &m, &s), RICHETA_OK);
  ck_assert_double_eq_tol(m, mean, 1e-9);
  ck_assert_double_eq_tol(s, sd, 1e-9);
  int64_t counts[10] = {0}, ls = 0, ws = 0;
  for (int64_t i = 0; i < n; i++) {
    int64_t lab;
    ck_assert_int_eq(richeta_dataset_label(ds, i, &lab), RICHETA_OK);
    ck_assert(lab >= 0 && lab < 10);
    counts[lab]++;
    ls += lab;
    ws += i * lab;
  }
  for (int c = 0; c < 10; c++)
    ck_assert_int_eq(counts[c], n / 10);
  ck_assert_int_eq(ls, lsum);
  ck_assert_int_eq(ws, wsum);
  double x[784], t = 0;
  ck_assert_int_eq(richeta_dataset_get_input(ds, 0, x, 784), RICHETA_OK);
  for (int j = 0; j < 784; j++)
    t += x[j];
  ck_assert_double_eq(t, img0);
  richeta_dataset_free(ds);
}

START_TEST(fashion_mnist_train_has_documented_counts_and_checksummed_stats) {
  check_fashion("fashion-mnist", 60000, 72.940352232143, 90.021182351305, 270000, 8087216427LL,
                76247);
}
END_TEST

START_TEST(fashion_mnist_test_has_documented_counts_and_checksummed_stats) {
  check_fashion("fashion-mnist:test", 10000, 73.146566581633, 89.873259078097, 45000, 225732341LL,
                33456);
}
END_TEST

START_TEST(fashion_mnist_normalized_train_has_zero_mean_unit_std_and_test_copies_it) {
  richeta_dataset *tr = open_ok("fashion-mnist"), *te = open_ok("fashion-mnist:test");
  ck_assert_int_eq(richeta_dataset_normalize(tr, RICHETA_NORM_GLOBAL), RICHETA_OK);
  ck_assert_int_eq(richeta_dataset_copy_normalization(te, tr), RICHETA_OK);
  double gm, gs;
  int64_t cnt;
  richeta_norm mode;
  ck_assert_int_eq(richeta_dataset_get_normalization(te, &mode, &gm, &gs, 1, &cnt), RICHETA_OK);
  ck_assert_int_eq(mode, RICHETA_NORM_GLOBAL);
  ck_assert_int_eq(cnt, 1);
  ck_assert_double_eq_tol(gm, 72.940352232143, 1e-9);
  ck_assert_double_eq_tol(gs, 90.021182351305, 1e-9);
  /* moments of the normalized training inputs */
  double x[784], s = 0, ss = 0;
  for (int64_t i = 0; i < 60000; i++) {
    ck_assert_int_eq(richeta_dataset_get_input(tr, i, x, 784), RICHETA_OK);
    for (int j = 0; j < 784; j++) {
      s += x[j];
      ss += x[j] * x[j];
    }
  }
  double N = 60000.0 * 784;
  ck_assert_double_eq_tol(s / N, 0.0, 1e-9);
  ck_assert_double_eq_tol(sqrt(ss / N - (s / N) * (s / N)), 1.0, 1e-9);
  /* the test split is shifted by the train statistics, not its own */
  ck_assert_int_eq(richeta_dataset_get_input(te, 0, x, 784), RICHETA_OK);
  ck_assert_double_eq_tol(x[0], (0 - 72.940352232143) / 90.021182351305, 1e-9);
  /* per-feature: every non-constant pixel has mean 0 / std 1 (checked on
   * a few pixels to keep the test quick) */
  ck_assert_int_eq(richeta_dataset_normalize(tr, RICHETA_NORM_PER_FEATURE), RICHETA_OK);
  const int pix[3] = {0, 400, 783};
  double ps[3] = {0}, pss[3] = {0};
  for (int64_t i = 0; i < 60000; i++) {
    richeta_dataset_get_input(tr, i, x, 784);
    for (int k = 0; k < 3; k++) {
      ps[k] += x[pix[k]];
      pss[k] += x[pix[k]] * x[pix[k]];
    }
  }
  for (int k = 0; k < 3; k++) {
    double mu = ps[k] / 60000, var = pss[k] / 60000 - mu * mu;
    ck_assert_double_eq_tol(mu, 0.0, 1e-9);
    ck_assert_double_eq_tol(var, 1.0, 1e-6);
  }
  richeta_dataset_free(tr);
  richeta_dataset_free(te);
}
END_TEST

START_TEST(fashion_mnist_batches_cover_each_sample_once_per_epoch) {
  richeta_dataset *ds = open_ok("fashion-mnist:test");
  /* 10000 = 40 batches of 250: labels of one epoch are exactly 1000 per class */
  int64_t lab[250], counts[10] = {0}, ep = -1;
  for (int s = 0; s < 40; s++) {
    ck_assert_int_eq(rlz_dataset_fill_labels(ds, 7, s, 250, lab), RICHETA_OK);
    for (int r = 0; r < 250; r++)
      counts[lab[r]]++;
  }
  for (int c = 0; c < 10; c++)
    ck_assert_int_eq(counts[c], 1000);
  float *x = malloc(sizeof(float) * 250 * 784), y[250 * 10];
  ck_assert_int_eq(rlz_dataset_fill_f32(ds, 7, 39, 250, 1, x, y, &ep), RICHETA_OK);
  ck_assert_int_eq(ep, 0);
  ck_assert_int_eq(rlz_dataset_fill_f32(ds, 7, 40, 250, 1, x, y, &ep), RICHETA_OK);
  ck_assert_int_eq(ep, 1);
  free(x);
  richeta_dataset_free(ds);
}
END_TEST

/* ============================ round trips ============================ */

START_TEST(npy_u8_inputs_and_int64_labels_round_trip) {
  write_small_npy(10);
  richeta_dataset *ds = open_ok(spec2("npy", "X.npy", "Y.npy"));
  int64_t v, dims[2], nd;
  richeta_dataset_num_samples(ds, &v);
  ck_assert_int_eq(v, 10);
  richeta_dataset_input_dim(ds, &v);
  ck_assert_int_eq(v, 6);
  ck_assert_int_eq(richeta_dataset_sample_shape(ds, dims, 2, &nd), RICHETA_OK);
  ck_assert_int_eq(nd, 2);
  ck_assert_int_eq(dims[1], 3);
  ck_assert_int_eq(richeta_dataset_sample_shape(ds, dims, 1, &nd), RICHETA_ERR_BUFFER_TOO_SMALL);
  richeta_dataset_num_classes(ds, &v);
  ck_assert_int_eq(v, 4);
  double x[6];
  for (int i = 0; i < 10; i++) {
    ck_assert_int_eq(richeta_dataset_get_input(ds, i, x, 6), RICHETA_OK);
    for (int j = 0; j < 6; j++)
      ck_assert_double_eq(x[j], i * 6 + j);
    int64_t lab;
    richeta_dataset_label(ds, i, &lab);
    ck_assert_int_eq(lab, i % 4);
  }
  /* targets are one-hot rows of K */
  double bx[3 * 6], by[3 * 4];
  ck_assert_int_eq(rlz_dataset_fill_range_f64(ds, 2, 3, bx, by), RICHETA_OK);
  for (int r = 0; r < 3; r++)
    for (int c = 0; c < 4; c++)
      ck_assert_double_eq(by[r * 4 + c], c == (2 + r) % 4 ? 1.0 : 0.0);
  ck_assert_int_eq(richeta_dataset_set_num_classes(ds, 3), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_dataset_set_num_classes(ds, 12), RICHETA_OK);
  richeta_dataset_target_dim(ds, &v);
  ck_assert_int_eq(v, 12);
  richeta_dataset_free(ds);
}
END_TEST

START_TEST(npy_header_variants_versions_2_3_quotes_long_suffix_parse) {
  float x[4] = {1.5f, -2.0f, 3.25f, 0.0f};
  double y[4] = {0.5, 1.5, 2.5, 3.5};
  const char *dicts[] = {
      "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2L, 2L)}",
      "{'shape': (2, 2), 'fortran_order': False, 'descr': '<f4'}",
      "  {'descr':'<f4','fortran_order':False,'shape':(2,2,),}  ",
  };
  for (int v = 1; v <= 3; v++) {
    for (int k = 0; k < 3; k++) {
      bytes b = npy_raw(v, dicts[k], x, sizeof x);
      write_file(tpath("X.npy"), b.p, b.n);
      free(b.p);
      /* float Y of shape (2, 2): regression targets of dimension 2 */
      write_npy("Y.npy", "<f8", "(2, 2)", y, sizeof y);
      richeta_dataset *ds = open_ok(spec2("npy", "X.npy", "Y.npy"));
      int64_t t;
      richeta_dataset_num_classes(ds, &t);
      ck_assert_int_eq(t, 0);
      richeta_dataset_target_dim(ds, &t);
      ck_assert_int_eq(t, 2);
      double bx[4], by[4];
      ck_assert_int_eq(rlz_dataset_fill_range_f64(ds, 0, 2, bx, by), RICHETA_OK);
      for (int j = 0; j < 4; j++) {
        ck_assert_double_eq(bx[j], x[j]);
        ck_assert_double_eq(by[j], y[j]);
      }
      int64_t lab;
      ck_assert_int_eq(richeta_dataset_label(ds, 0, &lab), RICHETA_ERR_UNSUPPORTED);
      richeta_dataset_free(ds);
    }
  }
}
END_TEST

static void npz_round_trip(int method, bool numpy_style, const char *xname, const char *yname,
                           const char *keys) {
  uint8_t x[5 * 4];
  uint8_t y[5];
  for (int i = 0; i < 20; i++)
    x[i] = (uint8_t)(i * 7);
  for (int i = 0; i < 5; i++)
    y[i] = (uint8_t)(4 - i);
  bytes bx = npy_make("|u1", "(5, 4)", x, sizeof x), by = npy_make("|u1", "(5,)", y, sizeof y);
  zmember m[3] = {
      {"other.npy", "junk", 4, 0}, {xname, bx.p, bx.n, method}, {yname, by.p, by.n, method}};
  bytes z = zip_make(m, 3, numpy_style);
  write_file(tpath("d.npz"), z.p, z.n);
  snprintf(spec_buf, sizeof spec_buf, "npz:%s%s", tpath("d.npz"), keys);
  richeta_dataset *ds = open_ok(spec_buf);
  int64_t v;
  richeta_dataset_num_samples(ds, &v);
  ck_assert_int_eq(v, 5);
  richeta_dataset_num_classes(ds, &v);
  ck_assert_int_eq(v, 5);
  double r[4];
  for (int i = 0; i < 5; i++) {
    richeta_dataset_get_input(ds, i, r, 4);
    for (int j = 0; j < 4; j++)
      ck_assert_double_eq(r[j], x[i * 4 + j]);
    int64_t lab;
    richeta_dataset_label(ds, i, &lab);
    ck_assert_int_eq(lab, 4 - i);
  }
  richeta_dataset_free(ds);
  free(bx.p);
  free(by.p);
  free(z.p);
}

START_TEST(npz_stored_members_round_trip) { npz_round_trip(0, false, "x.npy", "y.npy", ""); }
END_TEST

START_TEST(npz_deflated_members_round_trip) { npz_round_trip(8, false, "x.npy", "y.npy", ""); }
END_TEST

START_TEST(npz_numpy_style_zip64_local_headers_round_trip) {
  npz_round_trip(8, true, "arr_0.npy", "arr_1.npy", "");
  npz_round_trip(0, true, "arr_0.npy", "arr_1.npy", "");
}
END_TEST

START_TEST(npz_explicit_keys_select_members) {
  npz_round_trip(8, false, "images.npy", "labels.npy", ",images,labels");
}
END_TEST

START_TEST(idx_raw_and_gzip_round_trip_including_float_types) {
  /* f32 big-endian inputs of shape (3, 2), u8 labels */
  const float xs[6] = {1, -2, 0.5f, 4, 8, -16};
  uint8_t be[24];
  for (int i = 0; i < 6; i++) {
    uint32_t u;
    memcpy(&u, &xs[i], 4);
    be[4 * i] = (uint8_t)(u >> 24);
    be[4 * i + 1] = (uint8_t)(u >> 16);
    be[4 * i + 2] = (uint8_t)(u >> 8);
    be[4 * i + 3] = (uint8_t)u;
  }
  uint32_t dx[2] = {3, 2}, dy[1] = {3};
  uint8_t labs[3] = {2, 0, 1};
  bytes bx = idx_make(0x0D, 2, dx, be, sizeof be), by = idx_make(0x08, 1, dy, labs, 3);
  write_file(tpath("x.idx"), bx.p, bx.n);
  write_gz(tpath("y.idx.gz"), by.p, by.n);
  richeta_dataset *ds = open_ok(spec2("idx", "x.idx", "y.idx.gz"));
  double r[2];
  for (int i = 0; i < 3; i++) {
    richeta_dataset_get_input(ds, i, r, 2);
    ck_assert_double_eq(r[0], xs[2 * i]);
    ck_assert_double_eq(r[1], xs[2 * i + 1]);
  }
  int64_t k;
  richeta_dataset_num_classes(ds, &k);
  ck_assert_int_eq(k, 3);
  richeta_dataset_free(ds);
  free(bx.p);
  free(by.p);
}
END_TEST

static void write_cifar(const char *name, int records, int bad_label_at) {
  size_t n = (size_t)records * 3073;
  uint8_t *b = malloc(n);
  for (int r = 0; r < records; r++) {
    b[(size_t)r * 3073] = (uint8_t)(r == bad_label_at ? 10 : r % 10);
    for (int j = 0; j < 3072; j++) /* channel c = j / 1024 has value 10 c + r */
      b[(size_t)r * 3073 + 1 + j] = (uint8_t)(10 * (j / 1024) + r);
  }
  write_file(tpath(name), b, n);
  free(b);
}

START_TEST(cifar10_batches_concatenate_with_channel_normalization) {
  write_cifar("b1.bin", 4, -1);
  write_cifar("b2.bin", 3, -1);
  snprintf(spec_buf, sizeof spec_buf, "cifar10:%s;%s", tpath("b1.bin"), tpath("b2.bin"));
  richeta_dataset *ds = open_ok(spec_buf);
  int64_t v, dims[3];
  richeta_dataset_num_samples(ds, &v);
  ck_assert_int_eq(v, 7);
  richeta_dataset_num_classes(ds, &v);
  ck_assert_int_eq(v, 10);
  richeta_dataset_sample_shape(ds, dims, 3, NULL);
  ck_assert_int_eq(dims[0], 3);
  richeta_dataset_num_channels(ds, &v);
  ck_assert_int_eq(v, 3);
  int64_t lab;
  richeta_dataset_label(ds, 5, &lab); /* record 1 of the second file */
  ck_assert_int_eq(lab, 1);
  double *x = malloc(sizeof(double) * 3072);
  richeta_dataset_get_input(ds, 5, x, 3072);
  ck_assert_double_eq(x[0], 1);
  ck_assert_double_eq(x[2048], 21);
  ck_assert_int_eq(richeta_dataset_normalize(ds, RICHETA_NORM_PER_CHANNEL), RICHETA_OK);
  double mean[3], sd[3];
  int64_t cnt;
  ck_assert_int_eq(richeta_dataset_get_normalization(ds, NULL, mean, sd, 3, &cnt), RICHETA_OK);
  ck_assert_int_eq(cnt, 3);
  /* record values r = 0,1,2,3,0,1,2 plus 10 c */
  double mu = 9.0 / 7, var = 0;
  const int rs[7] = {0, 1, 2, 3, 0, 1, 2};
  for (int i = 0; i < 7; i++)
    var += (rs[i] - mu) * (rs[i] - mu) / 7;
  for (int c = 0; c < 3; c++) {
    ck_assert_double_eq_tol(mean[c], 10 * c + mu, 1e-12);
    ck_assert_double_eq_tol(sd[c], sqrt(var), 1e-12);
  }
  richeta_dataset_get_input(ds, 5, x, 3072);
  ck_assert_double_eq_tol(x[2048], (1 - mu) / sqrt(var), 1e-12);
  free(x);
  richeta_dataset_free(ds);
}
END_TEST

START_TEST(memory_budget_zero_maps_files_and_gives_identical_batches) {
  write_small_npy(50);
  uint8_t x[50 * 6];
  for (int i = 0; i < 300; i++)
    x[i] = (uint8_t)(i * 13);
  uint8_t y[50];
  for (int i = 0; i < 50; i++)
    y[i] = (uint8_t)(i % 3);
  bytes bx = npy_make("|u1", "(50, 6)", x, sizeof x), by = npy_make("|u1", "(50,)", y, 50);
  zmember m[2] = {{"x.npy", bx.p, bx.n, 8}, {"y.npy", by.p, by.n, 8}};
  bytes z = zip_make(m, 2, false);
  write_file(tpath("d.npz"), z.p, z.n);
  uint32_t dims[2] = {50, 6};
  bytes bi = idx_make(0x08, 2, dims, x, sizeof x);
  write_gz(tpath("x.gz"), bi.p, bi.n);
  uint32_t dl[1] = {50};
  bytes bl = idx_make(0x08, 1, dl, y, 50);
  write_file(tpath("y.idx"), bl.p, bl.n);
  char specs[3][1200];
  snprintf(specs[0], 1200, "npy:%s,%s", tpath("X.npy"), tpath("Y.npy"));
  snprintf(specs[1], 1200, "npz:%s", tpath("d.npz"));
  snprintf(specs[2], 1200, "idx:%s,%s", tpath("x.gz"), tpath("y.idx"));
  for (int s = 0; s < 3; s++) {
    char lim[4000];
    snprintf(lim, sizeof lim, "%s?budget=0", specs[s]);
    richeta_dataset *a = open_ok(specs[s]), *b = open_ok(lim);
    /* the budget-0 copy lives in mappings, not the heap */
    ck_assert_int_eq(a->bufs[0].kind, RLZ_BUF_HEAP);
    bool mapped = false;
    for (int i = 0; i < b->nbufs; i++)
      mapped |= b->bufs[i].kind == RLZ_BUF_MMAP;
    ck_assert(mapped);
    double xa[8 * 6], xb[8 * 6], ya[8 * 4], yb[8 * 4];
    for (int step = 0; step < 20; step++) {
      int64_t ea, eb;
      ck_assert_int_eq(rlz_dataset_fill_f64(a, 3, step, 8, 1, xa, ya, &ea), RICHETA_OK);
      ck_assert_int_eq(rlz_dataset_fill_f64(b, 3, step, 8, 1, xb, yb, &eb), RICHETA_OK);
      ck_assert_int_eq(ea, eb);
      ck_assert_mem_eq(xa, xb, sizeof xa);
    }
    richeta_dataset_free(a);
    richeta_dataset_free(b);
  }
  free(bx.p);
  free(by.p);
  free(z.p);
  free(bi.p);
  free(bl.p);
}
END_TEST

/* ========================== malformed input ========================== */

START_TEST(idx_malformed_files_give_their_own_status) {
  uint8_t labs[4] = {0, 1, 2, 3};
  uint8_t px[4 * 4] = {0};
  uint32_t dx[3] = {4, 2, 2}, dy[1] = {4};
  bytes good = idx_make(0x08, 3, dx, px, sizeof px), gl = idx_make(0x08, 1, dy, labs, 4);
  write_file(tpath("y"), gl.p, gl.n);
  const char *spec = spec2("idx", "x", "y");
  char sp[1300];
  strcpy(sp, spec);
  /* truncated at several offsets (inside magic, dims and data) */
  const size_t cuts[] = {0, 2, 4, 7, 16, 17, good.n - 1};
  for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
    write_file(tpath("x"), good.p, cuts[i]);
    expect_open(sp, RICHETA_ERR_FORMAT, "truncated");
    /* gzip-compressed truncation too */
    write_gz(tpath("x"), good.p, cuts[i]);
    expect_open(sp, RICHETA_ERR_FORMAT, "truncated");
  }
  /* a gzip stream cut short */
  write_gz(tpath("x"), good.p, good.n);
  {
    FILE *f = fopen(tpath("x"), "rb");
    uint8_t gz[512];
    size_t gn = fread(gz, 1, sizeof gz, f);
    fclose(f);
    write_file(tpath("x"), gz, gn - 6);
    richeta_dataset *ds = NULL;
    richeta_status st = richeta_dataset_open(&ds, sp, NULL);
    ck_assert_int_eq(st, RICHETA_ERR_FORMAT);
    ck_assert_ptr_null(ds);
  }
  /* bad magic, unknown type byte, zero and too many dimensions */
  bytes b = idx_make(0x08, 3, dx, px, sizeof px);
  b.p[0] = 1;
  write_file(tpath("x"), b.p, b.n);
  expect_open(sp, RICHETA_ERR_FORMAT, "magic");
  b.p[0] = 0;
  b.p[2] = 0x0A;
  write_file(tpath("x"), b.p, b.n);
  expect_open(sp, RICHETA_ERR_FORMAT, "type byte");
  free(b.p);
  uint32_t dz[3] = {4, 0, 2};
  b = idx_make(0x08, 3, dz, px, 0);
  write_file(tpath("x"), b.p, b.n);
  expect_open(sp, RICHETA_ERR_FORMAT, "dimension 1");
  free(b.p);
  uint32_t d9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  b = idx_make(0x08, 9, d9, px, 1);
  write_file(tpath("x"), b.p, b.n);
  expect_open(sp, RICHETA_ERR_UNSUPPORTED, "dimensions");
  free(b.p);
  /* dimensions whose product overflows, raw and gzip */
  uint32_t dbig[4] = {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 2};
  b = idx_make(0x08, 4, dbig, px, 16);
  write_file(tpath("x"), b.p, b.n);
  expect_open(sp, RICHETA_ERR_OVERFLOW, "overflow");
  write_gz(tpath("x"), b.p, b.n);
  expect_open(sp, RICHETA_ERR_OVERFLOW, "overflow");
  free(b.p);
  /* header claims more data than present (raw and gzip: the latter is
   * refused before allocating the claimed 4 GB) */
  uint32_t dmore[3] = {1000, 28, 28};
  b = idx_make(0x08, 3, dmore, px, sizeof px);
  write_file(tpath("x"), b.p, b.n);
  expect_open(sp, RICHETA_ERR_FORMAT, "declares");
  write_gz(tpath("x"), b.p, b.n);
  expect_open(sp, RICHETA_ERR_FORMAT, "declares");
  free(b.p);
  uint32_t dhuge[3] = {0x7FFFFFFFu, 2, 1};
  b = idx_make(0x08, 3, dhuge, px, sizeof px);
  write_gz(tpath("x"), b.p, b.n);
  expect_open(sp, RICHETA_ERR_FORMAT, "compressed bytes can hold");
  free(b.p);
  /* trailing data after the declared size */
  bytes t = idx_make(0x08, 3, dx, px, sizeof px);
  put(&t, "xx", 2);
  write_file(tpath("x"), t.p, t.n);
  expect_open(sp, RICHETA_ERR_FORMAT, "trailing");
  write_gz(tpath("x"), t.p, t.n);
  expect_open(sp, RICHETA_ERR_FORMAT, "past");
  free(t.p);
  /* NaN and Inf in float data */
  uint8_t fl[16] = {0x7F, 0xC0, 0, 0, 0x3F, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  uint32_t df[2] = {4, 1};
  b = idx_make(0x0D, 2, df, fl, 16);
  write_file(tpath("x"), b.p, b.n);
  expect_open(sp, RICHETA_ERR_NONFINITE, "NaN");
  b.p[12] = 0x7F;
  b.p[13] = 0x80;
  write_file(tpath("x"), b.p, b.n);
  expect_open(sp, RICHETA_ERR_NONFINITE, "infinite");
  free(b.p);
  /* int32 labels out of range; sample counts that disagree */
  write_file(tpath("x"), good.p, good.n);
  uint8_t li[16] = {0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 2, 0, 0, 0, 3};
  b = idx_make(0x0C, 1, dy, li, 16);
  write_file(tpath("y"), b.p, b.n);
  expect_open(sp, RICHETA_ERR_RANGE, "label of sample 1");
  li[4] = 0;
  li[5] = 1;
  li[6] = 0;
  li[7] = 0;
  free(b.p);
  b = idx_make(0x0C, 1, dy, li, 16);
  write_file(tpath("y"), b.p, b.n);
  expect_open(sp, RICHETA_ERR_RANGE, "labels must be");
  free(b.p);
  uint32_t d3[1] = {3};
  b = idx_make(0x08, 1, d3, labs, 3);
  write_file(tpath("y"), b.p, b.n);
  expect_open(sp, RICHETA_ERR_MISMATCH, "targets");
  free(b.p);
  free(good.p);
  free(gl.p);
}
END_TEST

START_TEST(fashion_mnist_dir_option_rejects_label_ten) {
  uint32_t dx[3] = {2, 28, 28}, dy[1] = {2};
  uint8_t *px = calloc(2 * 784, 1), labs[2] = {3, 10};
  bytes bx = idx_make(0x08, 3, dx, px, 2 * 784), by = idx_make(0x08, 1, dy, labs, 2);
  write_gz(tpath("t10k-images-idx3-ubyte.gz"), bx.p, bx.n);
  write_gz(tpath("t10k-labels-idx1-ubyte.gz"), by.p, by.n);
  snprintf(spec_buf, sizeof spec_buf, "fashion-mnist:test?dir=%s", tmpdir);
  expect_open(spec_buf, RICHETA_ERR_RANGE, "label 10");
  labs[1] = 9;
  free(by.p);
  by = idx_make(0x08, 1, dy, labs, 2);
  write_gz(tpath("t10k-labels-idx1-ubyte.gz"), by.p, by.n);
  richeta_dataset *ds = open_ok(spec_buf);
  int64_t n;
  richeta_dataset_num_samples(ds, &n);
  ck_assert_int_eq(n, 2);
  richeta_dataset_free(ds);
  snprintf(spec_buf, sizeof spec_buf, "fashion-mnist:train?dir=%s", tmpdir);
  expect_open(spec_buf, RICHETA_ERR_IO, "cannot open");
  free(px);
  free(bx.p);
  free(by.p);
}
END_TEST

/* 6 samples of 2x3 u8 as IDX inputs x.idx and IDX labels NAME (labs). */
static void write_idx_set(const char *name, const uint8_t labs[6]) {
  uint8_t x[36];
  for (int i = 0; i < 36; i++)
    x[i] = (uint8_t)(i * 5);
  uint32_t dx[3] = {6, 2, 3}, dy[1] = {6};
  bytes bx = idx_make(0x08, 3, dx, x, sizeof x), by = idx_make(0x08, 1, dy, labs, 6);
  write_file(tpath("x.idx"), bx.p, bx.n);
  write_file(tpath(name), by.p, by.n);
  free(bx.p);
  free(by.p);
}

static void expect_msg_has(const char *msg, const char *what) {
  ck_assert_msg(strstr(msg, what) != NULL, "message '%s' lacks '%s'", msg, what);
}

/* A class count below a label (set on the data set, or C of a file
 * stream) is refused naming the label file, the sample and the count. */
START_TEST(labels_beyond_the_class_count_name_the_file_and_sample) {
  static const uint8_t labs[6] = {0, 1, 2, 1, 7, 0};
  write_idx_set("y.idx", labs);
  char spec[1200], ypath[600];
  snprintf(ypath, sizeof ypath, "%s", tpath("y.idx"));
  snprintf(spec, sizeof spec, "idx:%s,%s", tpath("x.idx"), ypath);
  richeta_dataset *ds = open_ok(spec);
  ck_assert_int_eq(richeta_dataset_set_num_classes(ds, 5), RICHETA_ERR_RANGE);
  const char *msg = richeta_dataset_last_error(ds);
  expect_msg_has(msg, ypath);
  expect_msg_has(msg, "sample 4 has label 7");
  expect_msg_has(msg, "5 classes");
  ck_assert_int_eq(richeta_dataset_set_num_classes(ds, 8), RICHETA_OK);
  richeta_dataset_free(ds);

  /* NPZ: the message names the archive's label member */
  bytes bx = npy_make("|u1", "(6, 4)", (uint8_t[24]){0}, 24), by = npy_make("|u1", "(6,)", labs, 6);
  zmember m[2] = {{"x.npy", bx.p, bx.n, 0}, {"y.npy", by.p, by.n, 8}};
  bytes z = zip_make(m, 2, false);
  write_file(tpath("d.npz"), z.p, z.n);
  snprintf(spec, sizeof spec, "npz:%s", tpath("d.npz"));
  ds = open_ok(spec);
  ck_assert_int_eq(richeta_dataset_set_num_classes(ds, 3), RICHETA_ERR_RANGE);
  char want[700];
  snprintf(want, sizeof want, "%s[y.npy]: sample 4 has label 7", tpath("d.npz"));
  expect_msg_has(richeta_dataset_last_error(ds), want);
  expect_msg_has(richeta_dataset_last_error(ds), "3 classes");
  richeta_dataset_free(ds);
  free(bx.p);
  free(by.p);
  free(z.p);

  /* a file stream configured for C=5 classes */
  richeta_config *cfg = NULL;
  ck_assert_int_eq(richeta_config_new(&cfg, NULL), RICHETA_OK);
  ck_assert_int_eq(richeta_config_parse(cfg, "task=file,D=6,C=5,B=2,eval_n=2"), RICHETA_OK);
  snprintf(spec, sizeof spec, "idx:%s,%s", tpath("x.idx"), ypath);
  ck_assert_int_eq(richeta_config_set_string(cfg, RICHETA_PARAM_DATA_PATH, spec), RICHETA_OK);
  richeta_stream *st = NULL;
  ck_assert_int_eq(richeta_stream_new(&st, cfg), RICHETA_ERR_RANGE);
  ck_assert_ptr_null(st);
  expect_msg_has(richeta_last_error(), ypath);
  expect_msg_has(richeta_last_error(), "sample 4 has label 7");
  expect_msg_has(richeta_last_error(), "5 classes");

  /* its held-out split (test=) holds a label the training split lacks */
  static const uint8_t train[6] = {0, 1, 2, 3, 4, 0}, held[6] = {0, 1, 2, 3, 4, 9};
  write_idx_set("ytrain.idx", train);
  write_idx_set("ytest.idx", held);
  snprintf(ypath, sizeof ypath, "%s", tpath("ytest.idx"));
  snprintf(spec, sizeof spec, "idx:%s,%s?test=%s,%s", tpath("x.idx"), tpath("ytrain.idx"),
           tpath("x.idx"), ypath);
  ck_assert_int_eq(richeta_config_set_string(cfg, RICHETA_PARAM_DATA_PATH, spec), RICHETA_OK);
  ck_assert_int_eq(richeta_stream_new(&st, cfg), RICHETA_ERR_RANGE);
  expect_msg_has(richeta_last_error(), ypath);
  expect_msg_has(richeta_last_error(), "sample 5 has label 9");
  expect_msg_has(richeta_last_error(), "5 classes");
  richeta_config_free(cfg);
}
END_TEST

/* X.npy from a dict text and data; Y.npy is 2 valid labels. */
static void npy_case(int major, const char *dict, const void *data, size_t n, richeta_status want,
                     const char *what) {
  bytes b = npy_raw(major, dict, data, n);
  write_file(tpath("X.npy"), b.p, b.n);
  free(b.p);
  const int64_t y[2] = {0, 1};
  write_npy("Y.npy", "<i8", "(2,)", y, sizeof y);
  expect_open(spec2("npy", "X.npy", "Y.npy"), want, what);
}

START_TEST(npy_malformed_headers_give_their_own_status) {
  float x[4] = {1, 2, 3, 4};
#define D(descr, fo, shape) "{'descr': '" descr "', 'fortran_order': " fo ", 'shape': " shape ", }"
  npy_case(1, D("<f4", "False", "(2, 2)"), x, 16, RICHETA_OK, NULL);
  /* unsupported: Fortran order, big-endian, dtypes, structured */
  npy_case(1, D("<f4", "True", "(2, 2)"), x, 16, RICHETA_ERR_UNSUPPORTED, "Fortran");
  npy_case(1, D(">f4", "False", "(2, 2)"), x, 16, RICHETA_ERR_UNSUPPORTED, "big-endian");
  npy_case(1, D("<f2", "False", "(2, 4)"), x, 16, RICHETA_ERR_UNSUPPORTED, "dtype");
  npy_case(1, D("<c8", "False", "(2, 1)"), x, 16, RICHETA_ERR_UNSUPPORTED, "dtype");
  npy_case(1, D("|b1", "False", "(2, 8)"), x, 16, RICHETA_ERR_UNSUPPORTED, "dtype");
  npy_case(1, D("<U4", "False", "(2,)"), x, 16, RICHETA_ERR_UNSUPPORTED, "dtype");
  npy_case(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", x, 8,
           RICHETA_ERR_UNSUPPORTED, "structured");
  /* version */
  npy_case(4, D("<f4", "False", "(2, 2)"), x, 16, RICHETA_ERR_VERSION, "version");
  /* bad dict syntax */
  npy_case(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), ", x, 16,
           RICHETA_ERR_FORMAT, "key");
  npy_case(1, "{'descr': '<f4', 'fortran_order': False}", x, 16, RICHETA_ERR_FORMAT, "shape");
  npy_case(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), 'x': 1}", x, 16,
           RICHETA_ERR_FORMAT, "unexpected key");
  npy_case(1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 2)}", x, 16,
           RICHETA_ERR_FORMAT, "duplicate");
  npy_case(1, D("<f4", "Maybe", "(2, 2)"), x, 16, RICHETA_ERR_FORMAT, "fortran_order");
  npy_case(1, D("<f4", "False", "[2, 2]"), x, 16, RICHETA_ERR_FORMAT, "tuple");
  npy_case(1, D("<f4", "False", "(2, -2)"), x, 16, RICHETA_ERR_FORMAT, "shape");
  npy_case(1, D("<f4", "False", "(2 2)"), x, 16, RICHETA_ERR_FORMAT, "shape");
  npy_case(1, D("<f4", "False", "(2, 0)"), x, 0, RICHETA_ERR_FORMAT, "dimension 1");
  npy_case(1, D("4f<", "False", "(2, 2)"), x, 16, RICHETA_ERR_FORMAT, "dtype");
  npy_case(1, "descr: <f4", x, 16, RICHETA_ERR_FORMAT, "dict");
  npy_case(1, "{'descr': '<f4\\'', 'fortran_order': False, 'shape': (2, 2), }", x, 16,
           RICHETA_ERR_FORMAT, "descr");
  npy_case(1, D("<f4", "False", "(2, 2)") "junk", x, 16, RICHETA_ERR_FORMAT, "after");
  /* overflowing dimensions */
  npy_case(1, D("<f4", "False", "(4294967296, 4294967296)"), x, 16, RICHETA_ERR_OVERFLOW,
           "overflow");
  npy_case(1, D("<f4", "False", "(2, 99999999999999999999)"), x, 16, RICHETA_ERR_OVERFLOW,
           "overflow");
  npy_case(1, D("<f4", "False", "(2, 1, 1, 1, 1, 1, 1, 1, 2)"), x, 16, RICHETA_ERR_UNSUPPORTED,
           "dimensions");
  /* header claims more data than present, or less */
  npy_case(1, D("<f4", "False", "(2, 3)"), x, 16, RICHETA_ERR_FORMAT, "truncated");
  npy_case(1, D("<f4", "False", "(2, 1)"), x, 16, RICHETA_ERR_FORMAT, "trailing");
  /* NaN / Inf */
  float bad[4] = {1, NAN, 3, 4};
  npy_case(1, D("<f4", "False", "(2, 2)"), bad, 16, RICHETA_ERR_NONFINITE, "NaN");
  double badd[2] = {INFINITY, 0};
  npy_case(1, D("<f8", "False", "(2, 1)"), badd, 16, RICHETA_ERR_NONFINITE, "infinite");
#undef D
  /* truncated at every offset of a good file: never OK, always FORMAT */
  bytes g = npy_make("<f4", "(2, 2)", x, 16);
  for (size_t cut = 0; cut < g.n; cut += (cut < 16 ? 1 : 7)) {
    write_file(tpath("X.npy"), g.p, cut);
    expect_open(spec2("npy", "X.npy", "Y.npy"), RICHETA_ERR_FORMAT, NULL);
  }
  /* bad magic */
  g.p[1] = 'n';
  write_file(tpath("X.npy"), g.p, g.n);
  expect_open(spec2("npy", "X.npy", "Y.npy"), RICHETA_ERR_FORMAT, "magic");
  free(g.p);
}
END_TEST

START_TEST(npy_labels_out_of_range_and_bad_target_shapes_are_rejected) {
  uint8_t x[3] = {1, 2, 3};
  write_npy("X.npy", "|u1", "(3,)", x, 3);
  int64_t y[3] = {0, -1, 2};
  write_npy("Y.npy", "<i8", "(3,)", y, sizeof y);
  expect_open(spec2("npy", "X.npy", "Y.npy"), RICHETA_ERR_RANGE, "sample 1");
  y[1] = 65536;
  write_npy("Y.npy", "<i8", "(3,)", y, sizeof y);
  expect_open(spec2("npy", "X.npy", "Y.npy"), RICHETA_ERR_RANGE, "65535");
  y[1] = 65535;
  write_npy("Y.npy", "<i8", "(3,)", y, sizeof y);
  richeta_dataset *ds = open_ok(spec2("npy", "X.npy", "Y.npy"));
  int64_t k;
  richeta_dataset_num_classes(ds, &k);
  ck_assert_int_eq(k, 65536);
  richeta_dataset_free(ds);
  int32_t y2[6] = {0, 1, 2, 0, 1, 2};
  write_npy("Y.npy", "<i4", "(3, 2)", y2, sizeof y2);
  expect_open(spec2("npy", "X.npy", "Y.npy"), RICHETA_ERR_UNSUPPORTED, "one class label");
  write_npy("Y.npy", "<i4", "(2, 3)", y2, sizeof y2);
  expect_open(spec2("npy", "X.npy", "Y.npy"), RICHETA_ERR_MISMATCH, "targets");
  /* a scalar is not a data set */
  write_npy("X.npy", "|u1", "()", x, 1);
  expect_open(spec2("npy", "X.npy", "Y.npy"), RICHETA_ERR_FORMAT, "scalar");
}
END_TEST

START_TEST(npz_malformed_archives_give_their_own_status) {
  uint8_t x[4] = {1, 2, 3, 4}, y[2] = {0, 1};
  bytes bx = npy_make("|u1", "(2, 2)", x, 4), by = npy_make("|u1", "(2,)", y, 2);
  zmember m[2] = {{"x.npy", bx.p, bx.n, 8}, {"y.npy", by.p, by.n, 8}};
  bytes z = zip_make(m, 2, false);
  snprintf(spec_buf, sizeof spec_buf, "npz:%s", tpath("d.npz"));
  char sp[1300];
  strcpy(sp, spec_buf);
  write_file(tpath("d.npz"), z.p, z.n);
  expect_open(sp, RICHETA_OK, NULL);
  /* truncated at several offsets */
  const size_t cuts[] = {0, 10, 21, z.n / 2, z.n - 23, z.n - 1};
  for (int i = 0; i < 6; i++) {
    write_file(tpath("d.npz"), z.p, cuts[i]);
    expect_open(sp, RICHETA_ERR_FORMAT, NULL);
  }
  /* not a zip at all */
  write_file(tpath("d.npz"), bx.p, bx.n);
  expect_open(sp, RICHETA_ERR_FORMAT, "magic");
  /* CRC mismatch: flip a stored byte of y's data */
  zmember ms[2] = {{"x.npy", bx.p, bx.n, 0}, {"y.npy", by.p, by.n, 0}};
  bytes s = zip_make(ms, 2, false);
  s.p[30 + 5 + bx.n - 1] ^= 0x01; /* last data byte of x.npy */
  write_file(tpath("d.npz"), s.p, s.n);
  expect_open(sp, RICHETA_ERR_CHECKSUM, "CRC");
  free(s.p);
  /* unsupported compression method and encryption */
  bytes u = zip_make(ms, 2, false);
  size_t cd = u.n - 22 - 2 * (46 + 5);
  u.p[cd + 10] = 12; /* bzip2 in the directory */
  write_file(tpath("d.npz"), u.p, u.n);
  expect_open(sp, RICHETA_ERR_UNSUPPORTED, "method 12");
  u.p[cd + 10] = 0;
  u.p[cd + 8] = 1; /* encrypted flag */
  write_file(tpath("d.npz"), u.p, u.n);
  expect_open(sp, RICHETA_ERR_UNSUPPORTED, "encrypted");
  free(u.p);
  /* missing member */
  bytes one = zip_make(m, 1, false);
  write_file(tpath("d.npz"), one.p, one.n);
  expect_open(sp, RICHETA_ERR_FORMAT, "no member y.npy");
  free(one.p);
  /* deflate data corrupted in the middle */
  bytes c = zip_make(m, 2, false);
  for (size_t i = 34; i < 44; i++)
    c.p[i] ^= 0xA5;
  write_file(tpath("d.npz"), c.p, c.n);
  richeta_dataset *ds = NULL;
  richeta_status st = richeta_dataset_open(&ds, sp, NULL);
  ck_assert(st == RICHETA_ERR_FORMAT || st == RICHETA_ERR_CHECKSUM);
  ck_assert_ptr_null(ds);
  free(c.p);
  /* directory entry declaring a bigger plain size than the data inflates to */
  bytes big = zip_make(m, 2, false);
  size_t cd2 = big.n - 22 - 2 * (46 + 5);
  big.p[cd2 + 24] += 1;
  write_file(tpath("d.npz"), big.p, big.n);
  expect_open(sp, RICHETA_ERR_FORMAT, "inflates to");
  free(big.p);
  /* a member that is itself malformed NPY: named with its archive */
  bytes bad = npy_make("<f4", "(2, 2)", x, 4);
  zmember mb[2] = {{"x.npy", bad.p, bad.n, 8}, {"y.npy", by.p, by.n, 0}};
  bytes zb = zip_make(mb, 2, false);
  write_file(tpath("d.npz"), zb.p, zb.n);
  expect_open(sp, RICHETA_ERR_FORMAT, "[x.npy]");
  free(zb.p);
  free(bad.p);
  free(z.p);
  free(bx.p);
  free(by.p);
}
END_TEST

START_TEST(cifar_malformed_files_give_their_own_status) {
  snprintf(spec_buf, sizeof spec_buf, "cifar10:%s", tpath("c.bin"));
  char sp[1300];
  strcpy(sp, spec_buf);
  write_cifar("c.bin", 3, 2);
  expect_open(sp, RICHETA_ERR_RANGE, "record 2 has label 10");
  write_file(tpath("c.bin"), "", 0);
  expect_open(sp, RICHETA_ERR_FORMAT, "empty");
  uint8_t *b = calloc(3074 * 3, 1);
  write_file(tpath("c.bin"), b, 3073 * 2 + 100);
  expect_open(sp, RICHETA_ERR_FORMAT, "truncated");
  write_file(tpath("c.bin"), b, 3074 * 3);
  expect_open(sp, RICHETA_ERR_UNSUPPORTED, "CIFAR-100");
  free(b);
}
END_TEST

START_TEST(bad_specs_and_arguments_are_rejected) {
  richeta_dataset *ds = (richeta_dataset *)1;
  ck_assert_int_eq(richeta_dataset_open(&ds, NULL, NULL), RICHETA_ERR_NULL);
  ck_assert_ptr_null(ds);
  ck_assert_int_eq(richeta_dataset_open(NULL, "fashion-mnist", NULL), RICHETA_ERR_NULL);
  richeta_allocator bad = {sizeof bad, NULL, NULL, NULL};
  ck_assert_int_eq(richeta_dataset_open(&ds, "fashion-mnist", &bad), RICHETA_ERR_INVALID);
  expect_open("mnist", RICHETA_ERR_INVALID, "unknown kind");
  expect_open("npy:onlyone.npy", RICHETA_ERR_INVALID, "two files");
  expect_open("idx:", RICHETA_ERR_INVALID, "expected");
  expect_open("fashion-mnist:val", RICHETA_ERR_INVALID, "split");
  expect_open("fashion-mnist?budget=12Q", RICHETA_ERR_INVALID, "budget");
  expect_open("fashion-mnist?color=red", RICHETA_ERR_INVALID, "unknown option");
  expect_open("npz:a.npz,x", RICHETA_ERR_INVALID, "npz");
  expect_open("npy:/nonexistent/a.npy,/nonexistent/b.npy", RICHETA_ERR_IO, "/nonexistent/a.npy");
  expect_open("cifar10:/", RICHETA_ERR_IO, "regular file");
  richeta_dataset_free(NULL);
  ck_assert_ptr_nonnull(richeta_dataset_last_error(NULL));
  int64_t v;
  ck_assert_int_eq(richeta_dataset_num_samples(NULL, &v), RICHETA_ERR_NULL);
  write_small_npy(6);
  ds = open_ok(spec2("npy", "X.npy", "Y.npy"));
  ck_assert_int_eq(richeta_dataset_num_samples(ds, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_dataset_normalize(ds, (richeta_norm)9), RICHETA_ERR_INVALID);
  double m[6] = {0}, s[6] = {1, 1, 1, 1, 1, 0};
  ck_assert_int_eq(richeta_dataset_set_normalization(ds, RICHETA_NORM_PER_FEATURE, m, s, 5),
                   RICHETA_ERR_MISMATCH);
  ck_assert_int_eq(richeta_dataset_set_normalization(ds, RICHETA_NORM_PER_FEATURE, m, s, 6),
                   RICHETA_ERR_RANGE);
  s[5] = NAN;
  ck_assert_int_eq(richeta_dataset_set_normalization(ds, RICHETA_NORM_PER_FEATURE, m, s, 6),
                   RICHETA_ERR_NONFINITE);
  ck_assert_int_eq(richeta_dataset_set_channel_axis(ds, 2), RICHETA_ERR_RANGE);
  double x[12], y[8];
  ck_assert_int_eq(richeta_dataset_batch_f64(ds, 0, -1, 2, x, 12, y, 8, NULL), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_dataset_batch_f64(ds, 0, 0, 0, x, 12, y, 8, NULL), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_dataset_batch_f64(ds, 0, 0, 2, x, 11, y, 8, NULL),
                   RICHETA_ERR_BUFFER_TOO_SMALL);
  ck_assert_int_eq(richeta_dataset_batch_f64(ds, 0, 0, 2, x, 12, y, 7, NULL),
                   RICHETA_ERR_BUFFER_TOO_SMALL);
  ck_assert_int_eq(richeta_dataset_batch_f64(ds, 0, INT64_MAX / 2, 4, x, 24, NULL, 0, NULL),
                   RICHETA_ERR_OVERFLOW);
  ck_assert_int_eq(richeta_dataset_batch_f64(ds, 0, 3, 2, x, 12, y, 8, NULL), RICHETA_OK);
  ck_assert_int_eq(richeta_dataset_get_input(ds, 6, x, 12), RICHETA_ERR_RANGE);
  ck_assert_int_eq(rlz_dataset_fill_range_f64(ds, 5, 2, x, y), RICHETA_ERR_RANGE);
  richeta_dataset_free(ds);
}
END_TEST

/* ===================== permutation, epochs, batches ===================== */

START_TEST(permutation_is_a_reproducible_bijection_for_many_n) {
  const int64_t ns[] = {1, 2, 3, 4, 5, 7, 16, 17, 97, 1000, 4099, 60000, 65537};
  for (size_t t = 0; t < sizeof ns / sizeof ns[0]; t++) {
    int64_t n = ns[t];
    uint8_t *seen = calloc((size_t)n, 1);
    for (uint64_t epoch = 0; epoch < 3; epoch++) {
      memset(seen, 0, (size_t)n);
      int64_t fixed = 0;
      for (int64_t p = 0; p < n; p++) {
        int64_t i = rlz_perm_index(42, epoch, n, p);
        ck_assert(i >= 0 && i < n);
        ck_assert_msg(!seen[i], "n=%lld: %lld hit twice", (long long)n, (long long)i);
        seen[i] = 1;
        fixed += i == p;
        ck_assert_int_eq(i, rlz_perm_index(42, epoch, n, p)); /* reproducible */
      }
      if (n >= 1000) /* shuffled, not the identity */
        ck_assert_int_lt(fixed, n / 50);
    }
    free(seen);
  }
  /* different epochs and seeds give different orders */
  int differ_epoch = 0, differ_seed = 0;
  for (int64_t p = 0; p < 100; p++) {
    differ_epoch += rlz_perm_index(1, 0, 60000, p) != rlz_perm_index(1, 1, 60000, p);
    differ_seed += rlz_perm_index(1, 0, 60000, p) != rlz_perm_index(2, 0, 60000, p);
  }
  ck_assert_int_gt(differ_epoch, 95);
  ck_assert_int_gt(differ_seed, 95);
  ck_assert_int_eq(rlz_perm_index(1, 0, 5, 5), -1);
  ck_assert_int_eq(rlz_perm_index(1, 0, 0, 0), -1);
  /* very large n works without overflow */
  int64_t big = INT64_MAX - 5;
  int64_t i = rlz_perm_index(9, 3, big, big - 1);
  ck_assert(i >= 0 && i < big);
}
END_TEST

START_TEST(batches_are_the_same_however_the_run_is_split_and_epochs_are_counted) {
  write_small_npy(10); /* sample i has x[0] = 6 i */
  richeta_dataset *ds = open_ok(spec2("npy", "X.npy", "Y.npy"));
  /* one batch of 12 equals three of 4 (resumed at any step) */
  float big[12 * 6], small[4 * 6];
  float ybig[12 * 4], ysmall[4 * 4];
  int64_t ep;
  ck_assert_int_eq(rlz_dataset_fill_f32(ds, 5, 0, 12, 1, big, ybig, &ep), RICHETA_OK);
  ck_assert_int_eq(ep, 1); /* sample 12 of a 10-sample set is in epoch 1 */
  for (int s = 0; s < 3; s++) {
    ck_assert_int_eq(rlz_dataset_fill_f32(ds, 5, s, 4, 0, small, ysmall, &ep), RICHETA_OK);
    ck_assert_int_eq(ep, (s * 4 + 3) / 10);
    ck_assert_mem_eq(small, big + s * 24, sizeof small);
    ck_assert_mem_eq(ysmall, ybig + s * 16, sizeof ysmall);
  }
  ck_assert_int_eq(rlz_dataset_epoch_of(ds, 2, 4), 1);
  ck_assert_int_eq(rlz_dataset_epoch_of(ds, 1, 4), 0);
  /* each epoch visits every sample exactly once; f32 and f64 agree; labels
   * match the one-hot targets */
  for (int e = 0; e < 4; e++) {
    double x[10 * 6], y[10 * 4];
    int64_t lab[10];
    ck_assert_int_eq(rlz_dataset_fill_f64(ds, 5, e, 10, 1, x, y, &ep), RICHETA_OK);
    ck_assert_int_eq(ep, e);
    ck_assert_int_eq(rlz_dataset_fill_labels(ds, 5, e, 10, lab), RICHETA_OK);
    int seen[10] = {0};
    for (int r = 0; r < 10; r++) {
      int i = (int)(x[r * 6] / 6);
      seen[i]++;
      ck_assert_int_eq(lab[r], i % 4);
      ck_assert_double_eq(y[r * 4 + lab[r]], 1.0);
    }
    for (int i = 0; i < 10; i++)
      ck_assert_int_eq(seen[i], 1);
  }
  /* the public batch call gives the internal one's samples */
  double px[4 * 6], ix[4 * 6];
  ck_assert_int_eq(richeta_dataset_batch_f64(ds, 5, 7, 4, px, 24, NULL, 0, &ep), RICHETA_OK);
  ck_assert_int_eq(rlz_dataset_fill_f64(ds, 5, 7, 4, 1, ix, NULL, NULL), RICHETA_OK);
  ck_assert_mem_eq(px, ix, sizeof px);
  ck_assert_int_eq(ep, 3);
  richeta_dataset_free(ds);
}
END_TEST

START_TEST(per_feature_normalization_of_float_data_gives_zero_mean_unit_std) {
  enum { N = 200, D = 3 };
  double x[N * D];
  int64_t y[N];
  for (int i = 0; i < N; i++) {
    x[i * D] = 1000 + sin(i) * 50; /* large offset: two-pass variance */
    x[i * D + 1] = (double)(i % 7) * 1e-3;
    x[i * D + 2] = 5.0; /* constant: centered, std replaced by 1 */
    y[i] = i % 2;
  }
  write_npy("X.npy", "<f8", "(200, 3)", x, sizeof x);
  write_npy("Y.npy", "<i8", "(200,)", y, sizeof y);
  richeta_dataset *ds = open_ok(spec2("npy", "X.npy", "Y.npy"));
  ck_assert_int_eq(richeta_dataset_normalize(ds, RICHETA_NORM_PER_FEATURE), RICHETA_OK);
  double s[D] = {0}, ss[D] = {0}, r[D];
  for (int i = 0; i < N; i++) {
    richeta_dataset_get_input(ds, i, r, D);
    for (int j = 0; j < D; j++) {
      s[j] += r[j];
      ss[j] += r[j] * r[j];
    }
  }
  for (int j = 0; j < 2; j++) {
    ck_assert_double_eq_tol(s[j] / N, 0, 1e-12);
    ck_assert_double_eq_tol(ss[j] / N, 1, 1e-10);
  }
  ck_assert_double_eq(s[2], 0);
  ck_assert_double_eq(ss[2], 0);
  /* copy to a data set of another input dimension is refused */
  write_small_npy(4);
  richeta_dataset *other = open_ok(spec2("npy", "X.npy", "Y.npy"));
  ck_assert_int_eq(richeta_dataset_copy_normalization(other, ds), RICHETA_ERR_MISMATCH);
  ck_assert_ptr_nonnull(strstr(richeta_dataset_last_error(other), "dimension"));
  /* none restores raw values */
  ck_assert_int_eq(richeta_dataset_normalize(ds, RICHETA_NORM_NONE), RICHETA_OK);
  richeta_dataset_get_input(ds, 3, r, D);
  ck_assert_double_eq(r[2], 5.0);
  richeta_dataset_free(other);
  richeta_dataset_free(ds);
}
END_TEST

/* =========================== memory parsers =========================== */

START_TEST(memory_parsers_never_read_past_a_cut_buffer) {
  /* every prefix of valid files parses to an error, on an exact-size heap
   * copy so that sanitizers and valgrind see any over-read */
  float x[6] = {1, 2, 3, 4, 5, 6};
  bytes n = npy_make("<f4", "(3, 2)", x, sizeof x);
  uint32_t d[2] = {3, 2};
  bytes i = idx_make(0x08, 2, d, x, 6);
  zmember m[1] = {{"x.npy", n.p, n.n, 8}};
  bytes z = zip_make(m, 1, false);
  rlz_err e;
  rlz_array a;
  for (size_t cut = 0; cut <= z.n; cut++) {
    uint8_t *c = malloc(cut ? cut : 1);
    if (cut <= n.n) {
      memcpy(c, n.p, cut);
      richeta_status st = rlz_parse_npy_mem(&e, "m", c, cut, &a);
      ck_assert_int_eq(st, cut == n.n ? RICHETA_OK : RICHETA_ERR_FORMAT);
    }
    if (cut <= i.n) {
      memcpy(c, i.p, cut);
      richeta_status st = rlz_parse_idx_mem(&e, "m", c, cut, &a);
      ck_assert_int_eq(st, cut == i.n ? RICHETA_OK : RICHETA_ERR_FORMAT);
    }
    memcpy(c, z.p, cut);
    rlz_zip_member zm;
    richeta_status st = rlz_zip_find(&e, "m", c, cut, "x.npy", &zm);
    ck_assert_int_eq(st, cut == z.n ? RICHETA_OK : RICHETA_ERR_FORMAT);
    free(c);
  }
  free(n.p);
  free(i.p);
  free(z.p);
}
END_TEST

Suite *data_suite(void); /* called by runner.c */
Suite *data_suite(void) {
  Suite *s = suite_create("data");
  TCase *real = tcase_create("fashion_mnist");
  tcase_set_timeout(real, 120);
  tcase_add_test(real, fashion_mnist_train_has_documented_counts_and_checksummed_stats);
  tcase_add_test(real, fashion_mnist_test_has_documented_counts_and_checksummed_stats);
  tcase_add_test(real, fashion_mnist_normalized_train_has_zero_mean_unit_std_and_test_copies_it);
  tcase_add_test(real, fashion_mnist_batches_cover_each_sample_once_per_epoch);
  suite_add_tcase(s, real);

  TCase *rt = tcase_create("round_trip");
  tcase_add_checked_fixture(rt, setup, teardown);
  tcase_add_test(rt, npy_u8_inputs_and_int64_labels_round_trip);
  tcase_add_test(rt, npy_header_variants_versions_2_3_quotes_long_suffix_parse);
  tcase_add_test(rt, npz_stored_members_round_trip);
  tcase_add_test(rt, npz_deflated_members_round_trip);
  tcase_add_test(rt, npz_numpy_style_zip64_local_headers_round_trip);
  tcase_add_test(rt, npz_explicit_keys_select_members);
  tcase_add_test(rt, idx_raw_and_gzip_round_trip_including_float_types);
  tcase_add_test(rt, cifar10_batches_concatenate_with_channel_normalization);
  tcase_add_test(rt, memory_budget_zero_maps_files_and_gives_identical_batches);
  suite_add_tcase(s, rt);

  TCase *bad = tcase_create("malformed");
  tcase_add_checked_fixture(bad, setup, teardown);
  tcase_add_test(bad, idx_malformed_files_give_their_own_status);
  tcase_add_test(bad, fashion_mnist_dir_option_rejects_label_ten);
  tcase_add_test(bad, labels_beyond_the_class_count_name_the_file_and_sample);
  tcase_add_test(bad, npy_malformed_headers_give_their_own_status);
  tcase_add_test(bad, npy_labels_out_of_range_and_bad_target_shapes_are_rejected);
  tcase_add_test(bad, npz_malformed_archives_give_their_own_status);
  tcase_add_test(bad, cifar_malformed_files_give_their_own_status);
  tcase_add_test(bad, bad_specs_and_arguments_are_rejected);
  tcase_add_test(bad, memory_parsers_never_read_past_a_cut_buffer);
  suite_add_tcase(s, bad);

  TCase *order = tcase_create("order");
  tcase_add_checked_fixture(order, setup, teardown);
  tcase_add_test(order, permutation_is_a_reproducible_bijection_for_many_n);
  tcase_add_test(order, batches_are_the_same_however_the_run_is_split_and_epochs_are_counted);
  tcase_add_test(order, per_feature_normalization_of_float_data_gives_zero_mean_unit_std);
  suite_add_tcase(s, order);
  return s;
}
