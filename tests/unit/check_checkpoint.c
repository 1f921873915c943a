/* Checkpoints: resuming is bit-identical to not stopping; every truncation,
 * flipped bit, wrong version or configuration is refused with the trainer
 * unchanged; writes are atomic. */
#include <check.h>
#include <fcntl.h>
#include <math.h>
#include <richlazy/richeta.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "file_bytes.h"
#include "model/model_internal.h" /* rlz_model_theta0_version */

Suite *checkpoint_suite(void);

#define SPEC "D=5,N=6,L=2,B=8,T=120,eval_n=16,eta0=0.1,momentum=0.5,task=mlp,noise=0.05"
#define TINY "D=2,N=3,L=2,B=4,T=20,eval_n=4,eta0=0.1,momentum=0.5,dtype=f32"

static char dir[64];

static void make_dir(void) {
  strcpy(dir, "/tmp/rlz-ckpt-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "chmod -R u+w %s; rm -rf %s", dir, dir);
  ck_assert_int_eq(system(cmd), 0);
}

static char *path_in(const char *name) {
  static char buf[4][256];
  static int k;
  char *p = buf[k++ % 4];
  snprintf(p, 256, "%s/%s", dir, name);
  return p;
}

static richeta_trainer *trainer_of(const char *spec) {
  richeta_config *cfg = NULL;
  ck_assert_int_eq(richeta_config_new(&cfg, NULL), RICHETA_OK);
  ck_assert_msg(richeta_config_parse(cfg, spec) == RICHETA_OK, "%s",
                richeta_config_last_error(cfg));
  richeta_trainer *t = NULL;
  ck_assert_msg(richeta_trainer_new(&t, cfg) == RICHETA_OK, "%s", richeta_last_error());
  richeta_config_free(cfg);
  return t;
}

/* Everything observable about a run, for bitwise comparisons. */
typedef struct snap {
  int64_t n, step, osteps;
  int state;
  double eta;
  double p[4096], p0[4096];
  int64_t np;
  int64_t ls[64];
  double lt[64], le[64], lr[64];
  int64_t ln;
} snap;

static void take(richeta_trainer *t, snap *s) {
  memset(s, 0, sizeof *s);
  richeta_model *m = richeta_trainer_model(t);
  ck_assert_int_eq(richeta_model_num_params(m, &s->np), RICHETA_OK);
  ck_assert_int_le(s->np, 4096);
  ck_assert_int_eq(richeta_model_get_params(m, s->p, s->np), RICHETA_OK);
  ck_assert_int_eq(richeta_model_get_initial_params(m, s->p0, s->np), RICHETA_OK);
  richeta_trainer_step(t, &s->step);
  richeta_trainer_state(t, &s->state);
  richeta_optim_steps(richeta_trainer_optim(t), &s->osteps);
  richeta_optim_get_eta(richeta_trainer_optim(t), &s->eta);
  ck_assert_int_eq(richeta_trainer_log(t, s->ls, s->lt, s->le, s->lr, 64, &s->ln), RICHETA_OK);
}

static int same(const snap *a, const snap *b) { return memcmp(a, b, sizeof *a) == 0; }

static void fix_crc(unsigned char *b, size_t n) {
  uint32_t c = (uint32_t)crc32(crc32(0L, Z_NULL, 0), b, (uInt)(n - 4));
  for (int i = 0; i < 4; i++)
    b[n - 4 + i] = (unsigned char)(c >> (8 * i));
}

/* the MLP in both precisions, the CNN (the model core's conv, pool and
 * flatten ops), and the ResNet-18 in both precisions (its running
 * statistics: the held-out losses of the log, evaluated with them, must
 * agree to the bit too) */
#define RESNET                                                                                     \
  "arch=resnet18,L=3,N=1,C=2,D=100,image_channels=1,image_height=10,image_width=10,B=8,T=120,"     \
  "eval_n=16,eta0=0.1,momentum=0.5,noise=0.05"
static const char *const resume_specs[] = {
    SPEC ",dtype=f32", SPEC ",dtype=f64,schedule=cosine",
    "arch=cnn,L=4,N=2,C=2,D=100,image_channels=1,image_height=10,image_width=10,B=8,T=120,"
    "eval_n=16,eta0=0.1,momentum=0.5,noise=0.05,dtype=f32",
    RESNET ",dtype=f32", RESNET ",dtype=f64"};

START_TEST(resuming_from_a_checkpoint_is_bit_identical_to_not_stopping) {
  make_dir();
  static snap full, resumed, loaded;
  const char *spec = resume_specs[_i];
  richeta_trainer *a = trainer_of(spec);
  ck_assert_int_eq(richeta_trainer_run(a, 1000, NULL), RICHETA_OK);
  take(a, &full);
  ck_assert_int_eq(full.state, RICHETA_RUN_DONE);
  for (int64_t k = 0; k <= 120; k += 37) {
    richeta_trainer *b = trainer_of(spec);
    ck_assert_int_eq(richeta_trainer_run(b, k, NULL), RICHETA_OK);
    ck_assert_msg(richeta_trainer_save(b, path_in("run.ckpt")) == RICHETA_OK, "%s",
                  richeta_trainer_last_error(b));
    richeta_trainer_free(b);
    /* resume from the file alone */
    richeta_trainer *c = NULL;
    ck_assert_msg(richeta_trainer_resume(&c, path_in("run.ckpt"), NULL) == RICHETA_OK, "%s",
                  richeta_last_error());
    int64_t step;
    richeta_trainer_step(c, &step);
    ck_assert_int_eq(step, k);
    ck_assert_int_eq(richeta_trainer_run(c, 1000, NULL), RICHETA_OK);
    take(c, &resumed);
    ck_assert_msg(same(&full, &resumed), "resume at step %lld differs", (long long)k);
    richeta_trainer_free(c);
    /* load into a fresh trainer of the same configuration */
    richeta_trainer *d = trainer_of(spec);
    ck_assert_int_eq(richeta_trainer_load(d, path_in("run.ckpt")), RICHETA_OK);
    ck_assert_int_eq(richeta_trainer_run(d, 1000, NULL), RICHETA_OK);
    take(d, &loaded);
    ck_assert_msg(same(&full, &loaded), "load at step %lld differs", (long long)k);
    richeta_trainer_free(d);
  }
  /* a finished run round-trips too */
  ck_assert_int_eq(richeta_trainer_save(a, path_in("done.ckpt")), RICHETA_OK);
  richeta_trainer *e = NULL;
  ck_assert_int_eq(richeta_trainer_resume(&e, path_in("done.ckpt"), NULL), RICHETA_OK);
  take(e, &resumed);
  ck_assert(same(&full, &resumed));
  richeta_trainer_free(e);
  richeta_trainer_free(a);
  remove_dir();
}
END_TEST

START_TEST(every_truncation_is_refused_and_leaves_the_trainer_unchanged) {
  make_dir();
  static snap before, after;
  richeta_trainer *a = trainer_of(TINY);
  ck_assert_int_eq(richeta_trainer_run(a, 7, NULL), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_save(a, path_in("t.ckpt")), RICHETA_OK);
  size_t n;
  unsigned char *b = slurp(path_in("t.ckpt"), &n);
  richeta_trainer *t = trainer_of(TINY);
  ck_assert_int_eq(richeta_trainer_run(t, 3, NULL), RICHETA_OK);
  take(t, &before);
  /* shrink one file in place, from n - 1 bytes down to 0 */
  spit(path_in("cut.ckpt"), b, n);
  int fd = open(path_in("cut.ckpt"), O_WRONLY);
  ck_assert_int_ge(fd, 0);
  for (size_t len = n; len-- > 0;) {
    ck_assert_int_eq(ftruncate(fd, (off_t)len), 0);
    richeta_status st = richeta_trainer_load(t, path_in("cut.ckpt"));
    ck_assert_msg(st == RICHETA_ERR_FORMAT || st == RICHETA_ERR_CHECKSUM,
                  "length %zu of %zu gave %d", len, n, (int)st);
    if (len % 7 == 0 || len > n - 8) { /* resume takes the same path: sample it */
      richeta_trainer *r = (richeta_trainer *)b;
      st = richeta_trainer_resume(&r, path_in("cut.ckpt"), NULL);
      ck_assert(st == RICHETA_ERR_FORMAT || st == RICHETA_ERR_CHECKSUM);
      ck_assert_ptr_null(r);
    }
  }
  close(fd);
  take(t, &after);
  ck_assert(same(&before, &after));
  /* a trailing extra byte is refused as well */
  unsigned char *longer = malloc(n + 1);
  memcpy(longer, b, n);
  longer[n] = 0;
  spit(path_in("long.ckpt"), longer, n + 1);
  ck_assert_int_eq(richeta_trainer_load(t, path_in("long.ckpt")), RICHETA_ERR_FORMAT);
  free(longer);
  free(b);
  richeta_trainer_free(t);
  richeta_trainer_free(a);
  remove_dir();
}
END_TEST

START_TEST(flipped_bits_are_caught_by_the_checksum) {
  make_dir();
  static snap before, after;
  richeta_trainer *a = trainer_of(TINY);
  ck_assert_int_eq(richeta_trainer_run(a, 9, NULL), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_save(a, path_in("f.ckpt")), RICHETA_OK);
  size_t n;
  unsigned char *b = slurp(path_in("f.ckpt"), &n);
  richeta_trainer *t = trainer_of(TINY);
  take(t, &before);
  spit(path_in("flip.ckpt"), b, n);
  int fd = open(path_in("flip.ckpt"), O_WRONLY);
  ck_assert_int_ge(fd, 0);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)(b[i] ^ (1u << (i % 8)));
    ck_assert_int_eq(pwrite(fd, &c, 1, (off_t)i), 1);
    richeta_status st = richeta_trainer_load(t, path_in("flip.ckpt"));
    if (i >= 32) /* past the fixed header: only the CRC can tell */
      ck_assert_msg(st == RICHETA_ERR_CHECKSUM, "byte %zu gave %d", i, (int)st);
    else
      ck_assert_msg(st == RICHETA_ERR_FORMAT || st == RICHETA_ERR_VERSION ||
                        st == RICHETA_ERR_CHECKSUM,
                    "header byte %zu gave %d", i, (int)st);
    ck_assert_int_eq(pwrite(fd, &b[i], 1, (off_t)i), 1);
  }
  close(fd);
  take(t, &after);
  ck_assert(same(&before, &after));
  free(b);
  richeta_trainer_free(t);
  richeta_trainer_free(a);
  remove_dir();
}
END_TEST

START_TEST(unknown_version_and_bad_sections_are_refused_even_with_a_valid_crc) {
  make_dir();
  richeta_trainer *a = trainer_of(TINY);
  ck_assert_int_eq(richeta_trainer_save(a, path_in("v.ckpt")), RICHETA_OK);
  size_t n;
  unsigned char *b = slurp(path_in("v.ckpt"), &n);
  unsigned char *c = malloc(n);
  /* version 2 */
  memcpy(c, b, n);
  c[12] = 2;
  fix_crc(c, n);
  spit(path_in("x.ckpt"), c, n);
  ck_assert_int_eq(richeta_trainer_load(a, path_in("x.ckpt")), RICHETA_ERR_VERSION);
  /* section 1's length pointing past the end */
  memcpy(c, b, n);
  c[32 + 16 + 5] = 0x7f;
  fix_crc(c, n);
  spit(path_in("x.ckpt"), c, n);
  ck_assert_int_eq(richeta_trainer_load(a, path_in("x.ckpt")), RICHETA_ERR_FORMAT);
  /* a huge section count */
  memcpy(c, b, n);
  c[19] = 0x80;
  fix_crc(c, n);
  spit(path_in("x.ckpt"), c, n);
  ck_assert_int_eq(richeta_trainer_load(a, path_in("x.ckpt")), RICHETA_ERR_FORMAT);
  /* wrong magic */
  memcpy(c, b, n);
  c[0] = 'X';
  spit(path_in("x.ckpt"), c, n);
  ck_assert_int_eq(richeta_trainer_load(a, path_in("x.ckpt")), RICHETA_ERR_FORMAT);
  /* a missing file */
  ck_assert_int_eq(richeta_trainer_load(a, path_in("nope.ckpt")), RICHETA_ERR_IO);
  richeta_trainer *r = NULL;
  ck_assert_int_eq(richeta_trainer_resume(&r, path_in("nope.ckpt"), NULL), RICHETA_ERR_IO);
  free(b);
  free(c);
  richeta_trainer_free(a);
  remove_dir();
}
END_TEST

START_TEST(a_checkpoint_of_another_configuration_is_a_mismatch) {
  make_dir();
  static snap before, after;
  richeta_trainer *a = trainer_of(TINY);
  ck_assert_int_eq(richeta_trainer_run(a, 4, NULL), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_save(a, path_in("m.ckpt")), RICHETA_OK);
  richeta_trainer *b = trainer_of(TINY ",gamma=2");
  take(b, &before);
  ck_assert_int_eq(richeta_trainer_load(b, path_in("m.ckpt")), RICHETA_ERR_MISMATCH);
  /* the message names the key that differs and both values */
  ck_assert_msg(strstr(richeta_trainer_last_error(b), "gamma: saved 1, this trainer's 2") != NULL,
                "%s", richeta_trainer_last_error(b));
  take(b, &after);
  ck_assert(same(&before, &after));
  richeta_trainer *c = trainer_of("D=2,N=4,L=2,B=4,T=20");
  ck_assert_int_eq(richeta_trainer_load(c, path_in("m.ckpt")), RICHETA_ERR_MISMATCH);
  ck_assert_msg(strstr(richeta_trainer_last_error(c), "more key") != NULL, "%s",
                richeta_trainer_last_error(c));
  ck_assert_int_eq(richeta_trainer_load(c, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_trainer_load(NULL, path_in("m.ckpt")), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_trainer_save(NULL, path_in("m.ckpt")), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_trainer_resume(NULL, path_in("m.ckpt"), NULL), RICHETA_ERR_NULL);
  richeta_trainer_free(a);
  richeta_trainer_free(b);
  richeta_trainer_free(c);
  remove_dir();
}
END_TEST

static int count_tmp_files(void) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "ls %s | grep -c '\\.tmp\\.' > %s/count.txt", dir, dir);
  if (system(cmd) < 0)
    return -1;
  FILE *f = fopen(path_in("count.txt"), "r");
  int k = -1;
  ck_assert_int_eq(fscanf(f, "%d", &k), 1);
  fclose(f);
  return k;
}

START_TEST(failed_saves_leave_the_previous_file_intact) {
  make_dir();
  richeta_trainer *a = trainer_of(TINY);
  ck_assert_int_eq(richeta_trainer_save(a, path_in("keep.ckpt")), RICHETA_OK);
  size_t n0, n1;
  unsigned char *b0 = slurp(path_in("keep.ckpt"), &n0);
  ck_assert_int_eq(richeta_trainer_run(a, 5, NULL), RICHETA_OK);
  /* the destination is a directory */
  ck_assert_int_eq(mkdir(path_in("adir"), 0755), 0);
  ck_assert_int_eq(richeta_trainer_save(a, path_in("adir")), RICHETA_ERR_IO);
  struct stat st;
  ck_assert_int_eq(stat(path_in("adir"), &st), 0);
  ck_assert(S_ISDIR(st.st_mode));
  /* the parent is not a directory */
  ck_assert_int_eq(richeta_trainer_save(a, path_in("keep.ckpt/x")), RICHETA_ERR_IO);
  /* the directory is not writable (root ignores permissions: skip then) */
  if (geteuid() != 0) {
    ck_assert_int_eq(chmod(dir, 0555), 0);
    ck_assert_int_eq(richeta_trainer_save(a, path_in("keep.ckpt")), RICHETA_ERR_IO);
    ck_assert_int_eq(chmod(dir, 0755), 0);
  }
  unsigned char *b1 = slurp(path_in("keep.ckpt"), &n1);
  ck_assert_int_eq(n0, n1);
  ck_assert_int_eq(memcmp(b0, b1, n0), 0);
  ck_assert_int_eq(count_tmp_files(), 0);
  /* the untouched old file still loads */
  richeta_trainer *c = trainer_of(TINY);
  ck_assert_int_eq(richeta_trainer_load(c, path_in("keep.ckpt")), RICHETA_OK);
  int64_t step;
  richeta_trainer_step(c, &step);
  ck_assert_int_eq(step, 0);
  free(b0);
  free(b1);
  richeta_trainer_free(a);
  richeta_trainer_free(c);
  remove_dir();
}
END_TEST

START_TEST(a_checkpoint_records_the_blas_thread_count_it_was_saved_with) {
  make_dir();
  richeta_trainer *t = trainer_of(TINY);
  int saved = -1;
  ck_assert_int_eq(richeta_trainer_saved_blas_threads(t, &saved), RICHETA_OK);
  ck_assert_int_eq(saved, 0); /* not restored from anything */
  ck_assert_int_eq(richeta_trainer_saved_blas_threads(NULL, &saved), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_trainer_saved_blas_threads(t, NULL), RICHETA_ERR_NULL);
  int before = richeta_blas_get_threads();
  int want = richeta_blas_set_threads(1) == RICHETA_OK ? 1 : before;
  ck_assert_int_eq(richeta_trainer_run(t, 5, NULL), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_save(t, path_in("th.ckpt")), RICHETA_OK);
  richeta_blas_set_threads(before);
  richeta_trainer *r = NULL;
  ck_assert_int_eq(richeta_trainer_resume(&r, path_in("th.ckpt"), NULL), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_saved_blas_threads(r, &saved), RICHETA_OK);
  ck_assert_int_eq(saved, want);
  ck_assert_int_eq(richeta_trainer_load(t, path_in("th.ckpt")), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_saved_blas_threads(t, &saved), RICHETA_OK);
  ck_assert_int_eq(saved, want);
  richeta_trainer_free(r);
  richeta_trainer_free(t);
  remove_dir();
}
END_TEST

/* Saving reads theta0 and must leave the results kept for it valid (it
 * took the write accessor, which marks theta0 changed: every save made a
 * centered run recompute its frozen held-out outputs). */
START_TEST(saving_leaves_the_theta0_cache_valid) {
  make_dir();
  richeta_trainer *t = trainer_of(TINY);
  ck_assert_int_eq(richeta_trainer_run(t, 3, NULL), RICHETA_OK);
  uint64_t v = rlz_model_theta0_version(richeta_trainer_model(t));
  ck_assert_int_eq(richeta_trainer_save(t, path_in("v.ckpt")), RICHETA_OK);
  ck_assert_uint_eq(rlz_model_theta0_version(richeta_trainer_model(t)), v);
  /* loading writes theta0: the version moves */
  ck_assert_int_eq(richeta_trainer_load(t, path_in("v.ckpt")), RICHETA_OK);
  ck_assert_uint_ne(rlz_model_theta0_version(richeta_trainer_model(t)), v);
  richeta_trainer_free(t);
  remove_dir();
}
END_TEST

Suite *checkpoint_suite(void) {
  Suite *su = suite_create("checkpoint");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, resuming_from_a_checkpoint_is_bit_identical_to_not_stopping, 0,
                      (int)(sizeof resume_specs / sizeof resume_specs[0]));
  tcase_add_test(tc, every_truncation_is_refused_and_leaves_the_trainer_unchanged);
  tcase_add_test(tc, flipped_bits_are_caught_by_the_checksum);
  tcase_add_test(tc, unknown_version_and_bad_sections_are_refused_even_with_a_valid_crc);
  tcase_add_test(tc, a_checkpoint_of_another_configuration_is_a_mismatch);
  tcase_add_test(tc, failed_saves_leave_the_previous_file_intact);
  tcase_add_test(tc, a_checkpoint_records_the_blas_thread_count_it_was_saved_with);
  tcase_add_test(tc, saving_leaves_the_theta0_cache_valid);
  suite_add_tcase(su, tc);
  return su;
}
