/* Allocation-failure injection through the per-handle allocator hooks.
 *
 * A counting allocator fails exactly the k-th allocation after it is armed.
 * For every path (create, train, checkpoint save/load/resume, stream open,
 * data set open, curve sets, sweeps) each k = 1, 2, ... is tried until the
 * call succeeds without reaching k: every failing call must return
 * RICHETA_ERR_NOMEM, set its out-pointer to NULL, leave the handle it was
 * called on usable (the same call succeeds once memory is back), and leak
 * nothing (outstanding allocations return to zero after freeing). The
 * number of failure points covered is printed on stderr.
 *
 * The training loop must allocate nothing at all: run and step calls are
 * checked with the counter armed to count only. */
#include <check.h>
#include <pthread.h>
#include <richlazy/richeta.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if __has_include(<richlazy/data.h>)
#include <richlazy/data.h>
#define HAVE_DATA 1
#endif
#if __has_include(<richlazy/timewarp.h>)
#include <richlazy/timewarp.h>
#define HAVE_TIMEWARP 1
#endif
#if __has_include(<richlazy/sweep.h>)
#include <richlazy/sweep.h>
#define HAVE_SWEEP 1
#endif

/* ---- the counting allocator (sweeps call it from worker threads) ---- */

typedef struct oom_state {
  pthread_mutex_t mu;
  long armed;       /* 1: count and possibly fail */
  long fail_at;     /* fail the fail_at-th allocation after arming (0: never) */
  long count;       /* allocations since arming */
  long injected;    /* failures injected since arming */
  long outstanding; /* live blocks, whatever the arming */
} oom_state;

static oom_state st = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0, 0};

static void *oom_alloc(void *user, size_t size, size_t alignment) {
  oom_state *s = user;
  pthread_mutex_lock(&s->mu);
  int fail = 0;
  if (s->armed) {
    s->count++;
    if (s->fail_at > 0 && s->count == s->fail_at) {
      fail = 1;
      s->injected++;
    }
  }
  void *p = NULL;
  if (!fail) {
    if (alignment < sizeof(void *))
      alignment = sizeof(void *);
    if (posix_memalign(&p, alignment, size ? size : 1) != 0)
      p = NULL;
    if (p)
      s->outstanding++;
  }
  pthread_mutex_unlock(&s->mu);
  return p;
}

static void oom_free(void *user, void *ptr) {
  oom_state *s = user;
  pthread_mutex_lock(&s->mu);
  s->outstanding--;
  pthread_mutex_unlock(&s->mu);
  free(ptr);
}

static const richeta_allocator hooks = {sizeof(richeta_allocator), oom_alloc, oom_free, &st};

static void arm(long k) {
  pthread_mutex_lock(&st.mu);
  st.armed = 1;
  st.fail_at = k;
  st.count = 0;
  st.injected = 0;
  pthread_mutex_unlock(&st.mu);
}

static void disarm(void) {
  pthread_mutex_lock(&st.mu);
  st.armed = 0;
  st.fail_at = 0;
  pthread_mutex_unlock(&st.mu);
}

static long outstanding(void) {
  pthread_mutex_lock(&st.mu);
  long n = st.outstanding;
  pthread_mutex_unlock(&st.mu);
  return n;
}

/* ---- the injection loop ---- */

/* One path under test. setup() builds what the call needs with failures
 * off; call() is the call under test; after_fail() checks that a failed
 * call left everything usable (may be NULL); cleanup() frees the call's
 * results; teardown() frees what setup() made. */
typedef struct oom_case {
  const char *name;
  void (*setup)(void *ctx);
  richeta_status (*call)(void *ctx);
  void (*after_fail)(void *ctx);
  void (*cleanup)(void *ctx);
  void (*teardown)(void *ctx);
} oom_case;

#define MAX_POINTS 20000

static long run_case(const oom_case *c, void *ctx, size_t ctx_size) {
  long points = 0;
  for (long k = 1; k <= MAX_POINTS; k++) {
    memset(ctx, 0, ctx_size);
    ck_assert_int_eq(outstanding(), 0);
    if (c->setup)
      c->setup(ctx);
    arm(k);
    richeta_status s = c->call(ctx);
    long injected = st.injected;
    disarm();
    if (injected == 0) {
      ck_assert_msg(s == RICHETA_OK, "%s: status %d (%s) without any injected failure", c->name,
                    (int)s, richeta_status_string(s));
      if (c->cleanup)
        c->cleanup(ctx);
      if (c->teardown)
        c->teardown(ctx);
      ck_assert_msg(outstanding() == 0, "%s: %ld blocks leaked on success", c->name, outstanding());
      fprintf(stderr, "# oom %-24s %ld failure points covered (%ld allocations)\n", c->name, points,
              k - 1);
      return points;
    }
    ck_assert_msg(s == RICHETA_ERR_NOMEM, "%s: allocation %ld failed but status is %d (%s)",
                  c->name, k, (int)s, richeta_status_string(s));
    if (c->after_fail)
      c->after_fail(ctx);
    if (c->cleanup)
      c->cleanup(ctx);
    if (c->teardown)
      c->teardown(ctx);
    ck_assert_msg(outstanding() == 0, "%s: allocation %ld failed and %ld blocks leaked", c->name, k,
                  outstanding());
    points++;
  }
  ck_abort_msg("%s: still failing after %d allocations", c->name, MAX_POINTS);
  return points;
}

/* ---- shared fixtures ---- */

typedef struct ctx {
  richeta_config *cfg;
  richeta_config *cfg2;
  richeta_model *model;
  richeta_optim *optim;
  richeta_sched *sched;
  richeta_stream *stream;
  richeta_trainer *trainer;
  richeta_trainer *trainer2;
  void *other;
  char before[4096];
  char path[256];
  char dir[256];
} ctx;

static char tmpdir[64];

static void make_tmpdir(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/richeta-oom-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void) {
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  ck_assert_int_eq(system(cmd), 0);
}

/* Small but complete: two hidden layers, held-out set, logging. */
static const char *small_spec = "D=6,N=12,C=2,L=3,B=8,T=40,eval_n=32,gamma=0.5,eta0=0.05,"
                                "momentum=0.5,act=tanh,task=mlp,teacher_N=8,seed=3,data_seed=4";

static richeta_config *small_config(void) {
  richeta_config *cfg = NULL;
  ck_assert_int_eq(richeta_config_new(&cfg, &hooks), RICHETA_OK);
  richeta_status s = richeta_config_parse(cfg, small_spec);
  ck_assert_msg(s == RICHETA_OK, "parse: %s", richeta_config_last_error(cfg));
  return cfg;
}

static void free_all(void *p) {
  ctx *c = p;
  richeta_trainer_free(c->trainer2);
  richeta_trainer_free(c->trainer);
  richeta_optim_free(c->optim);
  richeta_sched_free(c->sched);
  richeta_stream_free(c->stream);
  richeta_model_free(c->model);
  richeta_config_free(c->cfg2);
  richeta_config_free(c->cfg);
  c->trainer = c->trainer2 = NULL;
  c->optim = NULL;
  c->sched = NULL;
  c->stream = NULL;
  c->model = NULL;
  c->cfg = c->cfg2 = NULL;
}

static void setup_cfg(void *p) { ((ctx *)p)->cfg = small_config(); }

static void setup_model(void *p) {
  ctx *c = p;
  c->cfg = small_config();
  ck_assert_int_eq(richeta_model_new(&c->model, c->cfg), RICHETA_OK);
}

static void setup_trainer(void *p) {
  ctx *c = p;
  c->cfg = small_config();
  ck_assert_int_eq(richeta_trainer_new(&c->trainer, c->cfg), RICHETA_OK);
}

/* ---- configuration ---- */

static richeta_status call_config_new(void *p) {
  ctx *c = p;
  c->cfg = (richeta_config *)&c->cfg; /* must be overwritten */
  richeta_status s = richeta_config_new(&c->cfg, &hooks);
  if (s != RICHETA_OK)
    ck_assert_ptr_null(c->cfg);
  return s;
}

static richeta_status call_config_clone(void *p) {
  ctx *c = p;
  c->cfg2 = (richeta_config *)&c->cfg2;
  richeta_status s = richeta_config_clone(&c->cfg2, c->cfg);
  if (s != RICHETA_OK)
    ck_assert_ptr_null(c->cfg2);
  return s;
}

static void setup_cfg_snapshot(void *p) {
  ctx *c = p;
  setup_cfg(p);
  ck_assert_int_eq(richeta_config_to_string(c->cfg, c->before, sizeof c->before, NULL), RICHETA_OK);
}

static const char *parse_spec = "gamma=2,N=20,act=relu,data=/nonexistent/path,rule=theory,"
                                "schedule=cosine,warmup=5";

static richeta_status call_config_parse(void *p) {
  return richeta_config_parse(((ctx *)p)->cfg, parse_spec);
}

/* A failed parse changes nothing, and the same parse then succeeds. */
static void config_unchanged_then_parse(void *p) {
  ctx *c = p;
  char now[4096];
  ck_assert_int_eq(richeta_config_to_string(c->cfg, now, sizeof now, NULL), RICHETA_OK);
  ck_assert_str_eq(now, c->before);
  ck_assert_int_eq(richeta_config_parse(c->cfg, parse_spec), RICHETA_OK);
}

static richeta_status call_config_set_string(void *p) {
  return richeta_config_set_string(((ctx *)p)->cfg, RICHETA_PARAM_DATA_PATH, "npy:a.npy,b.npy");
}

static void config_set_string_again(void *p) {
  ctx *c = p;
  char now[4096];
  ck_assert_int_eq(richeta_config_to_string(c->cfg, now, sizeof now, NULL), RICHETA_OK);
  ck_assert_str_eq(now, c->before);
  ck_assert_int_eq(call_config_set_string(p), RICHETA_OK);
}

static void setup_cfg_file(void *p) {
  ctx *c = p;
  setup_cfg_snapshot(p);
  snprintf(c->path, sizeof c->path, "%s/spec.txt", tmpdir);
  FILE *f = fopen(c->path, "w");
  ck_assert_ptr_nonnull(f);
  fputs("# comment\ngamma=3\nN=10, act=gelu\n", f);
  fclose(f);
}

static richeta_status call_config_load(void *p) {
  ctx *c = p;
  return richeta_config_load(c->cfg, c->path);
}

static void config_unchanged_then_load(void *p) {
  ctx *c = p;
  char now[4096];
  ck_assert_int_eq(richeta_config_to_string(c->cfg, now, sizeof now, NULL), RICHETA_OK);
  ck_assert_str_eq(now, c->before);
  ck_assert_int_eq(richeta_config_load(c->cfg, c->path), RICHETA_OK);
}

static richeta_status call_config_save(void *p) {
  ctx *c = p;
  snprintf(c->path, sizeof c->path, "%s/saved.txt", tmpdir);
  return richeta_config_save(c->cfg, c->path);
}

static void config_save_again(void *p) { ck_assert_int_eq(call_config_save(p), RICHETA_OK); }

START_TEST(config_calls_fail_cleanly_at_every_allocation) {
  make_tmpdir();
  ctx c;
  long total = 0;
  const oom_case cases[] = {
      {"config_new", NULL, call_config_new, NULL, free_all, NULL},
      {"config_clone", setup_cfg, call_config_clone, NULL, free_all, NULL},
      {"config_parse", setup_cfg_snapshot, call_config_parse, config_unchanged_then_parse, free_all,
       NULL},
      {"config_set_string", setup_cfg_snapshot, call_config_set_string, config_set_string_again,
       free_all, NULL},
      {"config_load", setup_cfg_file, call_config_load, config_unchanged_then_load, free_all, NULL},
      {"config_save", setup_cfg, call_config_save, config_save_again, free_all, NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    total += run_case(&cases[i], &c, sizeof c);
  fprintf(stderr, "# oom config total: %ld failure points\n", total);
  ck_assert_int_gt(total, 4);
  remove_tmpdir();
}
END_TEST

/* ---- model, optimizer, scheduler, streams ---- */

static richeta_status call_model_new(void *p) {
  ctx *c = p;
  c->model = (richeta_model *)&c->model;
  richeta_status s = richeta_model_new(&c->model, c->cfg);
  if (s != RICHETA_OK)
    ck_assert_ptr_null(c->model);
  return s;
}

static richeta_status call_optim_new(void *p) {
  ctx *c = p;
  c->optim = (richeta_optim *)&c->optim;
  richeta_status s = richeta_optim_new(&c->optim, c->model, c->cfg);
  if (s != RICHETA_OK)
    ck_assert_ptr_null(c->optim);
  return s;
}

/* After a failed optimizer creation the model still works. */
static void model_still_usable(void *p) {
  ctx *c = p;
  double x[6] = {0.1, -0.2, 0.3, 0.4, -0.5, 0.6}, out[2];
  ck_assert_int_eq(richeta_model_forward_f64(c->model, x, 1, out), RICHETA_OK);
}

static richeta_status call_sched_new(void *p) {
  ctx *c = p;
  c->sched = (richeta_sched *)&c->sched;
  richeta_status s = richeta_sched_new(&c->sched, c->cfg);
  if (s != RICHETA_OK)
    ck_assert_ptr_null(c->sched);
  return s;
}

static richeta_status call_stream_new(void *p) {
  ctx *c = p;
  c->stream = (richeta_stream *)&c->stream;
  richeta_status s = richeta_stream_new(&c->stream, c->cfg);
  if (s != RICHETA_OK)
    ck_assert_ptr_null(c->stream);
  return s;
}

static void setup_cfg_linear(void *p) {
  ctx *c = p;
  c->cfg = small_config();
  ck_assert_int_eq(richeta_config_parse(c->cfg, "task=linear,noise=0.1"), RICHETA_OK);
}

static int fill_const(void *user, int64_t step, int64_t batch, int64_t d, int64_t cdim, double *x,
                      double *y) {
  (void)user;
  for (int64_t i = 0; i < batch * d; i++)
    x[i] = 0.01 * (double)(i % 7) - 0.02 + 1e-3 * (double)step;
  for (int64_t i = 0; i < batch * cdim; i++)
    y[i] = 0.5;
  return 0;
}

static richeta_status call_stream_new_callback(void *p) {
  ctx *c = p;
  const richeta_stream_callbacks cb = {sizeof cb, fill_const, NULL};
  c->stream = (richeta_stream *)&c->stream;
  richeta_status s = richeta_stream_new_callback(&c->stream, c->cfg, &cb);
  if (s != RICHETA_OK)
    ck_assert_ptr_null(c->stream);
  return s;
}

START_TEST(handle_constructors_fail_cleanly_at_every_allocation) {
  ctx c;
  long total = 0;
  const oom_case cases[] = {
      {"model_new", setup_cfg, call_model_new, NULL, free_all, NULL},
      {"optim_new", setup_model, call_optim_new, model_still_usable, free_all, NULL},
      {"sched_new", setup_cfg, call_sched_new, NULL, free_all, NULL},
      {"stream_new(mlp)", setup_cfg, call_stream_new, NULL, free_all, NULL},
      {"stream_new(linear)", setup_cfg_linear, call_stream_new, NULL, free_all, NULL},
      {"stream_new_callback", setup_cfg, call_stream_new_callback, NULL, free_all, NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    total += run_case(&cases[i], &c, sizeof c);
  fprintf(stderr, "# oom handles total: %ld failure points\n", total);
  ck_assert_int_gt(total, 5);
}
END_TEST

/* ---- trainer ---- */

static richeta_status call_trainer_new(void *p) {
  ctx *c = p;
  c->trainer = (richeta_trainer *)&c->trainer;
  richeta_status s = richeta_trainer_new(&c->trainer, c->cfg);
  if (s != RICHETA_OK)
    ck_assert_ptr_null(c->trainer);
  return s;
}

static void setup_cfg_stream(void *p) {
  ctx *c = p;
  c->cfg = small_config();
  ck_assert_int_eq(richeta_stream_new(&c->stream, c->cfg), RICHETA_OK);
}

static richeta_status call_trainer_new_with_stream(void *p) {
  ctx *c = p;
  c->trainer = (richeta_trainer *)&c->trainer;
  richeta_status s = richeta_trainer_new_with_stream(&c->trainer, c->cfg, c->stream);
  if (s != RICHETA_OK)
    ck_assert_ptr_null(c->trainer);
  return s;
}

/* A trained trainer with a checkpoint on disk. */
static void setup_trained(void *p) {
  ctx *c = p;
  setup_trainer(p);
  ck_assert_int_eq(richeta_trainer_run(c->trainer, 17, NULL), RICHETA_OK);
  snprintf(c->path, sizeof c->path, "%s/ck.bin", tmpdir);
  ck_assert_int_eq(richeta_trainer_save(c->trainer, c->path), RICHETA_OK);
}

/* The directory holds exactly the expected file names (no temporaries). */
static int dir_entries(const char *dir) {
  char cmd[400];
  snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 1", dir);
  return system(cmd) == 0;
}

static richeta_status call_trainer_save(void *p) {
  ctx *c = p;
  return richeta_trainer_save(c->trainer, c->path);
}

/* A failed save leaves the previous checkpoint loadable and no temporary
 * file behind; the save then succeeds. */
static void save_failed_previous_intact(void *p) {
  ctx *c = p;
  ck_assert_msg(dir_entries(tmpdir), "a failed save left a file behind in %s", tmpdir);
  richeta_trainer *t = NULL;
  ck_assert_int_eq(richeta_trainer_resume(&t, c->path, NULL), RICHETA_OK);
  int64_t step = -1;
  ck_assert_int_eq(richeta_trainer_step(t, &step), RICHETA_OK);
  ck_assert_int_eq(step, 17);
  richeta_trainer_free(t);
  ck_assert_int_eq(richeta_trainer_save(c->trainer, c->path), RICHETA_OK);
}

static void setup_fresh_and_checkpoint(void *p) {
  ctx *c = p;
  setup_trained(p);
  ck_assert_int_eq(richeta_trainer_new(&c->trainer2, c->cfg), RICHETA_OK);
}

static richeta_status call_trainer_load(void *p) {
  ctx *c = p;
  return richeta_trainer_load(c->trainer2, c->path);
}

/* A failed load leaves the target trainer at its previous state and usable. */
static void load_failed_trainer_usable(void *p) {
  ctx *c = p;
  int64_t step = -1;
  ck_assert_int_eq(richeta_trainer_step(c->trainer2, &step), RICHETA_OK);
  ck_assert_int_eq(step, 0);
  ck_assert_int_eq(richeta_trainer_load(c->trainer2, c->path), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_step(c->trainer2, &step), RICHETA_OK);
  ck_assert_int_eq(step, 17);
  ck_assert_int_eq(richeta_trainer_run(c->trainer2, 5, NULL), RICHETA_OK);
}

static richeta_status call_trainer_resume(void *p) {
  ctx *c = p;
  c->trainer2 = (richeta_trainer *)&c->trainer2;
  richeta_status s = richeta_trainer_resume(&c->trainer2, c->path, &hooks);
  if (s != RICHETA_OK)
    ck_assert_ptr_null(c->trainer2);
  return s;
}

START_TEST(trainer_and_checkpoints_fail_cleanly_at_every_allocation) {
  make_tmpdir();
  ctx c;
  long total = 0;
  const oom_case cases[] = {
      {"trainer_new", setup_cfg, call_trainer_new, NULL, free_all, NULL},
      {"trainer_new_with_stream", setup_cfg_stream, call_trainer_new_with_stream, NULL, free_all,
       NULL},
      {"trainer_save", setup_trained, call_trainer_save, save_failed_previous_intact, free_all,
       NULL},
      {"trainer_load", setup_fresh_and_checkpoint, call_trainer_load, load_failed_trainer_usable,
       free_all, NULL},
      {"trainer_resume", setup_trained, call_trainer_resume, NULL, free_all, NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    total += run_case(&cases[i], &c, sizeof c);
  fprintf(stderr, "# oom trainer total: %ld failure points\n", total);
  ck_assert_int_gt(total, 5);
  remove_tmpdir();
}
END_TEST

/* DESIGN 2.2: the training step allocates nothing (workspaces are sized at
 * creation). Counted through the hooks, with every allocation failing. */
START_TEST(training_allocates_nothing_after_creation) {
  ctx c;
  memset(&c, 0, sizeof c);
  setup_trainer(&c);
  ck_assert_int_eq(richeta_model_new(&c.model, c.cfg), RICHETA_OK);
  ck_assert_int_eq(richeta_optim_new(&c.optim, c.model, c.cfg), RICHETA_OK);
  ck_assert_int_eq(richeta_sched_new(&c.sched, c.cfg), RICHETA_OK);
  ck_assert_int_eq(richeta_stream_new(&c.stream, c.cfg), RICHETA_OK);
  int64_t np = 0;
  ck_assert_int_eq(richeta_model_num_params(c.model, &np), RICHETA_OK);
  double x[8 * 6], y[8 * 2], out[8 * 2], loss = 0, acc = 0;
  double *grad = malloc((size_t)np * sizeof *grad);
  double *params = malloc((size_t)np * sizeof *params);
  ck_assert_ptr_nonnull(grad);
  ck_assert_ptr_nonnull(params);
  int64_t steps[64], count = 0;
  double tl[64], el[64], eta[64];

  arm(1); /* any allocation fails, and is counted */
  ck_assert_int_eq(richeta_trainer_run(c.trainer, 25, NULL), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_run(c.trainer, 1000, NULL), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_log(c.trainer, steps, tl, el, eta, 64, &count), RICHETA_OK);
  for (int64_t t = 0; t < 20; t++) {
    ck_assert_int_eq(richeta_sched_apply(c.sched, c.optim, t), RICHETA_OK);
    ck_assert_int_eq(richeta_stream_batch_f64(c.stream, t, x, y), RICHETA_OK);
    ck_assert_int_eq(richeta_optim_step_f64(c.optim, x, y, 8, &loss), RICHETA_OK);
  }
  ck_assert_int_eq(richeta_model_forward_f64(c.model, x, 8, out), RICHETA_OK);
  ck_assert_int_eq(richeta_model_loss_grad_f64(c.model, x, y, 8, &loss, grad, np), RICHETA_OK);
  ck_assert_int_eq(richeta_model_evaluate_f64(c.model, x, y, 8, &loss, &acc), RICHETA_OK);
  ck_assert_int_eq(richeta_model_get_params(c.model, params, np), RICHETA_OK);
  ck_assert_int_eq(richeta_model_set_params(c.model, params, np), RICHETA_OK);
  ck_assert_int_eq(richeta_model_recenter(c.model), RICHETA_OK);
  /* a batch larger than B is processed in chunks, still without allocating */
  double xb[20 * 6], ob[20 * 2];
  for (int i = 0; i < 20 * 6; i++)
    xb[i] = 0.01 * i;
  ck_assert_int_eq(richeta_model_forward_f64(c.model, xb, 20, ob), RICHETA_OK);
  long n = st.count;
  disarm();
  ck_assert_msg(n == 0, "the training loop made %ld allocations", n);
  int state = -1;
  ck_assert_int_eq(richeta_trainer_state(c.trainer, &state), RICHETA_OK);
  ck_assert_int_eq(state, RICHETA_RUN_DONE);
  free(grad);
  free(params);
  free_all(&c);
  ck_assert_int_eq(outstanding(), 0);
}
END_TEST

/* ---- data sets ---- */

#ifdef HAVE_DATA
/* Minimal NPY v1.0 file: 'descr', C order, shape. */
static void write_npy(const char *path, const char *descr, const char *shape, const void *data,
                      size_t bytes) {
  char header[128];
  int n = snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                   descr, shape);
  int total = 10 + n + 1;
  int pad = (64 - total % 64) % 64;
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0, 0};
  unsigned hl = (unsigned)(n + pad + 1);
  pre[8] = (unsigned char)(hl & 0xff);
  pre[9] = (unsigned char)(hl >> 8);
  fwrite(pre, 1, 10, f);
  fwrite(header, 1, (size_t)n, f);
  for (int i = 0; i < pad; i++)
    fputc(' ', f);
  fputc('\n', f);
  fwrite(data, 1, bytes, f);
  fclose(f);
}

static void setup_npy_files(void *p) {
  ctx *c = p;
  float x[12 * 6];
  int64_t yl[12];
  for (int i = 0; i < 12 * 6; i++)
    x[i] = (float)(i % 11) * 0.1f - 0.4f;
  for (int i = 0; i < 12; i++)
    yl[i] = i % 3;
  char xp[300], yp[300];
  snprintf(xp, sizeof xp, "%s/x.npy", tmpdir);
  snprintf(yp, sizeof yp, "%s/y.npy", tmpdir);
  write_npy(xp, "<f4", "(12, 6)", x, sizeof x);
  write_npy(yp, "<i8", "(12,)", yl, sizeof yl);
  snprintf(c->before, sizeof c->before, "npy:%s,%s", xp, yp);
}

/* IDX: big-endian magic (0, 0, type 0x08 = u8, rank), then the dimensions. */
static void write_idx(const char *path, int rank, const int *dims, const unsigned char *data,
                      size_t bytes) {
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  unsigned char magic[4] = {0, 0, 0x08, (unsigned char)rank};
  fwrite(magic, 1, 4, f);
  for (int i = 0; i < rank; i++) {
    unsigned char d[4] = {(unsigned char)(dims[i] >> 24), (unsigned char)(dims[i] >> 16),
                          (unsigned char)(dims[i] >> 8), (unsigned char)dims[i]};
    fwrite(d, 1, 4, f);
  }
  fwrite(data, 1, bytes, f);
  fclose(f);
}

static void setup_idx_files(void *p) {
  ctx *c = p;
  unsigned char img[10 * 3 * 4], lab[10];
  for (size_t i = 0; i < sizeof img; i++)
    img[i] = (unsigned char)(i * 37 % 251);
  for (int i = 0; i < 10; i++)
    lab[i] = (unsigned char)(i % 4);
  char ip[300], lp[300];
  snprintf(ip, sizeof ip, "%s/img.idx", tmpdir);
  snprintf(lp, sizeof lp, "%s/lab.idx", tmpdir);
  const int idims[3] = {10, 3, 4}, ldims[1] = {10};
  write_idx(ip, 3, idims, img, sizeof img);
  write_idx(lp, 1, ldims, lab, sizeof lab);
  snprintf(c->before, sizeof c->before, "idx:%s,%s", ip, lp);
}

static richeta_status call_dataset_open(void *p) {
  ctx *c = p;
  richeta_dataset *ds = (richeta_dataset *)&c->other;
  richeta_status s = richeta_dataset_open(&ds, c->before, &hooks);
  if (s != RICHETA_OK) {
    ck_assert_ptr_null(ds);
    return s;
  }
  c->other = ds;
  /* normalization allocates its statistics: part of the path */
  s = richeta_dataset_normalize(ds, RICHETA_NORM_PER_FEATURE);
  return s;
}

static void dataset_cleanup(void *p) {
  ctx *c = p;
  richeta_dataset_free(c->other);
  c->other = NULL;
}

/* Training from a file stream: config task=file. */
static void setup_cfg_file_task(void *p) {
  ctx *c = p;
  setup_npy_files(p);
  c->cfg = small_config();
  ck_assert_int_eq(richeta_config_parse(c->cfg, "task=file,C=3,eval_n=0"), RICHETA_OK);
  ck_assert_int_eq(richeta_config_set_string(c->cfg, RICHETA_PARAM_DATA_PATH, c->before),
                   RICHETA_OK);
}

START_TEST(dataset_open_fails_cleanly_at_every_allocation) {
  make_tmpdir();
  ctx c;
  long total = 0;
  const oom_case cases[] = {
      {"dataset_open(npy)", setup_npy_files, call_dataset_open, NULL, dataset_cleanup, NULL},
      {"dataset_open(idx)", setup_idx_files, call_dataset_open, NULL, dataset_cleanup, NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    total += run_case(&cases[i], &c, sizeof c);
  /* the file stream is optional in this build: only checked when it opens */
  memset(&c, 0, sizeof c);
  setup_cfg_file_task(&c);
  richeta_stream *probe = NULL;
  richeta_status ps = richeta_stream_new(&probe, c.cfg);
  richeta_stream_free(probe);
  free_all(&c);
  if (ps == RICHETA_OK) {
    const oom_case fcase = {
        "stream_new(file)", setup_cfg_file_task, call_stream_new, NULL, free_all, NULL};
    total += run_case(&fcase, &c, sizeof c);
  } else {
    fprintf(stderr, "# oom stream_new(file) skipped: status %d\n", (int)ps);
  }
  fprintf(stderr, "# oom data total: %ld failure points\n", total);
  ck_assert_int_gt(total, 2);
  remove_tmpdir();
}
END_TEST
#endif

/* ---- curve sets ---- */

#ifdef HAVE_TIMEWARP
static richeta_status call_curveset(void *p) {
  ctx *c = p;
  richeta_curveset *cs = (richeta_curveset *)&c->other;
  richeta_status s = richeta_curveset_new(&cs, &hooks);
  if (s != RICHETA_OK) {
    ck_assert_ptr_null(cs);
    return s;
  }
  c->other = cs;
  double t[40], l[40];
  for (int g = 0; g < 3; g++) {
    double gamma = 1.0 + 2.0 * g;
    for (int i = 0; i < 40; i++) {
      t[i] = (double)(i + 1) * 10.0;
      double tau = t[i] / (gamma * 50.0);
      l[i] = 1.0 / (1.0 + tau * tau * tau) + 1e-3;
    }
    char label[16];
    snprintf(label, sizeof label, "g%d", g);
    s = richeta_curveset_add(cs, t, l, 40, gamma, 0.1, 0.1 * gamma, 3, label, NULL);
    if (s != RICHETA_OK)
      return s;
  }
  double scales[3], q = 0, e = 0, se = 0, pf = 0, lvl = 0, te = 0, spread = 0;
  double drops[8], levels[8], tau[16], lo[16];
  int64_t nd = 0;
  s = richeta_curveset_plateau(cs, 1, &lvl);
  if (s == RICHETA_ERR_NOMEM)
    return s;
  s = richeta_curveset_escape(cs, 1, 0.5, &te);
  if (s == RICHETA_ERR_NOMEM)
    return s;
  s = richeta_curveset_staircase(cs, 1, drops, levels, 8, &nd);
  if (s == RICHETA_ERR_NOMEM)
    return s;
  s = richeta_curveset_align_empirical(cs, 0, scales, 3);
  if (s != RICHETA_OK)
    return s;
  s = richeta_curveset_fit_scales(cs, RICHETA_TW_THEORY, &e, &se, &pf);
  if (s == RICHETA_ERR_NOMEM)
    return s;
  s = richeta_curveset_spread(cs, RICHETA_TW_THEORY, &spread);
  if (s != RICHETA_OK)
    return s;
  s = richeta_curveset_collapse_quality(cs, RICHETA_TW_THEORY, &q);
  if (s != RICHETA_OK)
    return s;
  return richeta_curveset_resample(cs, 0, RICHETA_TW_THEORY, 0.5, 5.0, 16, tau, lo);
}

static void curveset_cleanup(void *p) {
  ctx *c = p;
  richeta_curveset_free(c->other);
  c->other = NULL;
}

START_TEST(curveset_fails_cleanly_at_every_allocation) {
  ctx c;
  const oom_case cs = {"curveset", NULL, call_curveset, NULL, curveset_cleanup, NULL};
  long total = run_case(&cs, &c, sizeof c);
  ck_assert_int_gt(total, 0);
}
END_TEST
#endif

/* ---- sweeps ---- */

#ifdef HAVE_SWEEP
static richeta_sweep *make_sweep(richeta_config *cfg, richeta_status *s) {
  richeta_sweep *sw = NULL;
  *s = richeta_sweep_new(&sw, cfg);
  if (*s != RICHETA_OK) {
    ck_assert_ptr_null(sw);
    return NULL;
  }
  const double gammas[2] = {0.5, 2.0};
  const int64_t seeds[2] = {1, 2};
  if ((*s = richeta_sweep_set_grid_list(sw, RICHETA_SWEEP_AXIS_GAMMA, gammas, 2)) != RICHETA_OK ||
      (*s = richeta_sweep_set_grid(sw, RICHETA_SWEEP_AXIS_ETA0, "0.01:1:1")) != RICHETA_OK ||
      (*s = richeta_sweep_set_seeds(sw, seeds, 2)) != RICHETA_OK ||
      (*s = richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_WORKERS, 1)) != RICHETA_OK ||
      (*s = richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_MODE, RICHETA_SWEEP_DENSE)) !=
          RICHETA_OK) {
    richeta_sweep_free(sw);
    return NULL;
  }
  return sw;
}

static void setup_sweep_cfg(void *p) {
  ctx *c = p;
  c->cfg = small_config();
  ck_assert_int_eq(richeta_config_parse(c->cfg, "T=12,eval_n=8"), RICHETA_OK);
  snprintf(c->path, sizeof c->path, "%s/sweep.db", tmpdir);
  unlink(c->path);
}

/* Build the sweep and its grids. */
static richeta_status call_sweep_build(void *p) {
  ctx *c = p;
  richeta_status s;
  c->other = make_sweep(c->cfg, &s);
  return s;
}

static void sweep_cleanup(void *p) {
  ctx *c = p;
  richeta_sweep_free(c->other);
  c->other = NULL;
  free_all(p);
}

static void setup_sweep_built(void *p) {
  ctx *c = p;
  setup_sweep_cfg(p);
  richeta_status s;
  c->other = make_sweep(c->cfg, &s);
  ck_assert_int_eq(s, RICHETA_OK);
}

static richeta_status call_sweep_run(void *p) {
  ctx *c = p;
  return richeta_sweep_run(c->other, c->path, NULL);
}

/* A sweep whose run failed for memory can be run again: it finishes, and
 * the store holds every cell exactly once. */
static void sweep_rerun_completes(void *p) {
  ctx *c = p;
  ck_assert_int_eq(richeta_sweep_run(c->other, c->path, NULL), RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_load(c->other, c->path), RICHETA_OK);
  int64_t count = 0;
  int32_t status[64];
  ck_assert_int_eq(richeta_sweep_runs(c->other, NULL, NULL, NULL, status, NULL, 64, &count),
                   RICHETA_OK);
  ck_assert_int_eq(count, 2 * 3 * 2);
  for (int64_t i = 0; i < count; i++)
    ck_assert_msg(status[i] != RICHETA_SWEEP_RUN_FAILED, "run %d stored as failed", (int)i);
}

static void setup_sweep_stored(void *p) {
  ctx *c = p;
  setup_sweep_built(p);
  ck_assert_int_eq(richeta_sweep_run(c->other, c->path, NULL), RICHETA_OK);
}

static richeta_status call_sweep_load_and_eta_star(void *p) {
  ctx *c = p;
  richeta_status s = richeta_sweep_load(c->other, c->path);
  if (s != RICHETA_OK)
    return s;
  double g[4], em[4], eo[4], ol[4];
  int32_t fl[4];
  int64_t n = 0;
  return richeta_sweep_eta_star(c->other, g, em, eo, ol, fl, 4, &n);
}

static richeta_status call_sweep_open(void *p) {
  ctx *c = p;
  richeta_sweep *sw = (richeta_sweep *)&c->cfg2;
  richeta_status s = richeta_sweep_open(&sw, c->path, NULL, &hooks);
  if (s != RICHETA_OK) {
    ck_assert_ptr_null(sw);
    return s;
  }
  richeta_sweep_free(c->other);
  c->other = sw;
  return s;
}

START_TEST(sweep_fails_cleanly_at_every_allocation) {
  make_tmpdir();
  ctx c;
  long total = 0;
  const oom_case cases[] = {
      {"sweep_new+grids", setup_sweep_cfg, call_sweep_build, NULL, sweep_cleanup, NULL},
      {"sweep_load+eta_star", setup_sweep_stored, call_sweep_load_and_eta_star, NULL, sweep_cleanup,
       NULL},
      {"sweep_open", setup_sweep_stored, call_sweep_open, NULL, sweep_cleanup, NULL},
      /* last: a run that fails for memory must fail the sweep (NOMEM), not be
       * stored as a 'failed' cell that a rerun then skips */
      {"sweep_run", setup_sweep_built, call_sweep_run, sweep_rerun_completes, sweep_cleanup, NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    total += run_case(&cases[i], &c, sizeof c);
  fprintf(stderr, "# oom sweep total: %ld failure points\n", total);
  ck_assert_int_gt(total, 3);
  remove_tmpdir();
}
END_TEST
#endif

Suite *oom_suite(void) {
  Suite *s = suite_create("oom");
  TCase *tc = tcase_create("oom");
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, config_calls_fail_cleanly_at_every_allocation);
  tcase_add_test(tc, handle_constructors_fail_cleanly_at_every_allocation);
  tcase_add_test(tc, trainer_and_checkpoints_fail_cleanly_at_every_allocation);
  tcase_add_test(tc, training_allocates_nothing_after_creation);
#ifdef HAVE_DATA
  tcase_add_test(tc, dataset_open_fails_cleanly_at_every_allocation);
#endif
#ifdef HAVE_TIMEWARP
  tcase_add_test(tc, curveset_fails_cleanly_at_every_allocation);
#endif
#ifdef HAVE_SWEEP
  tcase_add_test(tc, sweep_fails_cleanly_at_every_allocation);
#endif
  suite_add_tcase(s, tc);
  return s;
}
