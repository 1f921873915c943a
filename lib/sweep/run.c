/* richeta_sweep_run: the scheduler. The calling thread owns the store (or
 * whatever sink takes the results) and the scan logic; worker threads only
 * train. Adaptive decisions depend on finished runs alone, so the set of
 * runs does not depend on timing, on the number of workers, or on which
 * process runs which unit (shards, MPI ranks). */
#include "sweep_internal.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config_internal.h"
#include "numeric/numeric.h"
#include <richlazy/sched.h>

typedef struct task {
  int64_t gi, ei, si;
  richeta_config *cfg;
  rlz_run_out out;
  struct task *next;
  struct task *next_started; /* the scheduler's list of runs workers took */
} task;

typedef struct cell_state {
  int64_t remaining; /* seeds not finished yet; -1 before the cell is issued */
  bool ran;          /* no seed diverged or failed (converged or stalled) */
} cell_state;

typedef struct chain {
  int64_t first_conv; /* eta0 index of the first cell that ran through, -1 before */
  int64_t stop;       /* lowest eta0 index the scan goes down to */
} chain;

typedef struct sched {
  richeta_sweep *sw;
  const richeta_sweep_callbacks *cb;
  const rlz_sink *sink;
  const rlz_run *cache; /* runs stored before this call, sorted */
  int64_t ncache;
  int64_t unit; /* -1: the shard's units */
  int64_t ng, ne;
  cell_state *cells;
  chain *chains;
  /* worker pool */
  pthread_mutex_t mu;
  pthread_cond_t cv_work, cv_done;
  task *q_head, *q_tail, *done, *started;
  bool quit;
  int64_t inflight; /* issued tasks not yet taken back from `done` */
  int64_t nworkers;
  /* workers training now, and how many may at once: the threads the BLAS
   * takes concurrently (OpenBLAS crashes beyond its compiled limit); the
   * other workers wait for a slot. 0: no limit. */
  int64_t training, slots;
  /* outcome */
  int64_t finished;
  richeta_status st; /* first failure: stop issuing */
  bool store_failed; /* the store refused a run: commit nothing more */
} sched;

/* Take the head of the queue and up to `want` - 1 more queued tasks of its
 * seed (caller holds the lock; the queue is not empty). */
static int64_t take_group(sched *s, task **grp, int64_t want) {
  task *head = s->q_head;
  int64_t n = 0;
  uint64_t seed = (uint64_t)head->out.r.seed;
  task **link = &s->q_head;
  while (*link && n < want) {
    task *t = *link;
    if ((uint64_t)t->out.r.seed == seed) {
      *link = t->next;
      t->next = NULL;
      grp[n++] = t;
    } else {
      link = &t->next;
    }
  }
  s->q_tail = NULL;
  for (task *t = s->q_head; t; t = t->next)
    s->q_tail = t;
  return n;
}

/* Group size: enough runs to share the work, few enough that every worker
 * gets some of the queue. */
static int64_t group_want(const sched *s, int64_t workers) {
  int64_t queued = 0;
  for (const task *t = s->q_head; t; t = t->next)
    queued++;
  int64_t want = (queued + workers - 1) / workers;
  int64_t cap = s->sw->group_max < 1               ? 1
                : s->sw->group_max > RLZ_GROUP_MAX ? RLZ_GROUP_MAX
                                                   : s->sw->group_max;
  return want < 1 ? 1 : want > cap ? cap : want;
}

typedef struct worker_group {
  sched *s;
  task **grp;
} worker_group;

/* A run of the worker's group has ended: to the scheduler, which stores it
 * at once (a run that ended is never lost to a later kill). */
static void hand_back(void *ctx, int64_t i) {
  worker_group *wg = ctx;
  sched *s = wg->s;
  pthread_mutex_lock(&s->mu);
  wg->grp[i]->next = s->done;
  s->done = wg->grp[i];
  pthread_cond_signal(&s->cv_done);
  pthread_mutex_unlock(&s->mu);
}

static void *worker_main(void *arg) {
  sched *s = arg;
  rlz_runner_fn run = s->sw->runner;
  for (;;) {
    pthread_mutex_lock(&s->mu);
    while ((!s->q_head || (s->slots > 0 && s->training >= s->slots)) && !s->quit)
      pthread_cond_wait(&s->cv_work, &s->mu);
    if (!s->q_head) {
      pthread_mutex_unlock(&s->mu);
      return NULL;
    }
    task *grp[RLZ_GROUP_MAX];
    int64_t active = s->slots > 0 && s->slots < s->nworkers ? s->slots : s->nworkers;
    int64_t n = take_group(s, grp, run ? 1 : group_want(s, active));
    s->training++;
    for (int64_t i = 0; i < n; i++) { /* the scheduler marks them started */
      grp[i]->next_started = s->started;
      s->started = grp[i];
    }
    pthread_cond_signal(&s->cv_done);
    pthread_mutex_unlock(&s->mu);
    worker_group wg = {s, grp};
    if (run) { /* test seam: one run at a time */
      run(s->sw->runner_user, grp[0]->cfg, &s->sw->alloc, &grp[0]->out);
      hand_back(&wg, 0);
    } else {
      const richeta_config *cfgs[RLZ_GROUP_MAX];
      rlz_run_out *outs[RLZ_GROUP_MAX];
      for (int64_t i = 0; i < n; i++) {
        cfgs[i] = grp[i]->cfg;
        outs[i] = &grp[i]->out;
      }
      rlz_sweep_group_runner(cfgs, outs, n, &s->sw->alloc, hand_back, &wg);
    }
    pthread_mutex_lock(&s->mu);
    s->training--;
    if (s->slots > 0)
      pthread_cond_signal(&s->cv_work); /* a slot is free */
    pthread_mutex_unlock(&s->mu);
  }
}

static void task_free(sched *s, task *t) {
  rlz_run_out_release(&s->sw->alloc, &t->out);
  richeta_config_free(t->cfg);
  rlz_free(&s->sw->alloc, t);
}

static const rlz_run *cache_find(const sched *s, double g, double e, int64_t seed) {
  if (s->ncache == 0)
    return NULL;
  rlz_run key = {.gamma = g, .eta0 = e, .seed = seed};
  return bsearch(&key, s->cache, (size_t)s->ncache, sizeof key, rlz_run_cmp);
}

/* Next eta0 index of gamma gi's downward scan after cell ei completed, or -1. */
static int64_t chain_next(sched *s, int64_t gi, int64_t ei) {
  if (s->sw->mode != RICHETA_SWEEP_ADAPTIVE)
    return -1;
  chain *c = &s->chains[gi];
  if (c->first_conv < 0 && s->cells[gi * s->ne + ei].ran) {
    c->first_conv = ei;
    c->stop = rlz_scan_stop(s->sw->grid[RICHETA_SWEEP_AXIS_ETA0].v, ei, s->sw->decades_below);
  }
  int64_t next = ei - 1;
  if (next < 0 || (c->first_conv >= 0 && next < c->stop))
    return -1;
  return next;
}

/* Record one finished run in the cell's tally and tell the caller. */
static void account(sched *s, int64_t gi, int64_t ei, const rlz_run *r, int cached) {
  cell_state *c = &s->cells[gi * s->ne + ei];
  c->remaining--;
  c->ran = c->ran &&
           (r->status == RICHETA_SWEEP_RUN_CONVERGED || r->status == RICHETA_SWEEP_RUN_STALLED);
  s->finished++;
  if (s->cb && s->cb->on_run && s->st == RICHETA_OK) {
    rlz_callback_forget();
    if (s->cb->on_run(s->cb->user, r->gamma, r->eta0, r->seed, r->status, r->final_loss, cached,
                      s->finished) != 0)
      s->st = *rlz_callback_message()
                  ? rlz_fail(&s->sw->err, RICHETA_ERR_ABORTED,
                             "sweep stopped by the run callback: %s", rlz_callback_message())
                  : rlz_fail(&s->sw->err, RICHETA_ERR_ABORTED, "sweep stopped by the run callback");
  }
}

/* Whether unit u (a gamma column when adaptive, a cell when dense) is run
 * by this call. */
static bool owns(const sched *s, int64_t u) {
  if (s->unit >= 0)
    return u == s->unit;
  const richeta_sweep *sw = s->sw;
  return rlz_unit_shard(sw->mode, s->ne, u, sw->shard_count) == sw->shard_index;
}

richeta_status rlz_sweep_run_steps(const richeta_sweep *sw, double gamma, double eta0, int64_t *T) {
  int64_t T0 = rlz_config_int(sw->base, RICHETA_PARAM_STEPS);
  double cap = sw->steps_max > 0 ? sw->steps_max : 100.0 * (double)T0;
  double t = (double)T0;
  if (sw->steps_law == RICHETA_SWEEP_STEPS_ESCAPE) {
    int64_t L = rlz_config_int(sw->base, RICHETA_PARAM_DEPTH);
    double g = gamma > 1 ? gamma : 1;
    t = L > 2 ? t * pow(g, 1.0 - 2.0 / (double)L) : L == 2 ? t * (1.0 + log(g)) : t;
  } else if (sw->steps_law == RICHETA_SWEEP_STEPS_TAU) {
    /* eta: the scheduler's rate at step 0 for this gamma and eta0 */
    richeta_config *c = NULL;
    richeta_sched *sc = NULL;
    double factor = NAN;
    richeta_status st = richeta_config_clone(&c, sw->base);
    if (st == RICHETA_OK)
      st = richeta_config_set_double(c, RICHETA_PARAM_GAMMA, gamma);
    if (st == RICHETA_OK)
      st = richeta_sched_new(&sc, c);
    if (st == RICHETA_OK)
      st = richeta_sched_gamma_factor(sc, &factor);
    richeta_sched_free(sc);
    richeta_config_free(c);
    if (st != RICHETA_OK)
      return st;
    double need = ceil(sw->tau_budget * gamma / (eta0 * factor));
    t = need > t ? need : t;
  }
  if (!(t <= cap)) /* also NaN and inf */
    t = cap;
  *T = (int64_t)llround(t);
  if (*T < 1)
    *T = 1;
  return RICHETA_OK;
}

/* Issue cell (gi, ei): stored seeds are accounted at once, the others are
 * queued. Returns true when the cell is already complete. */
static bool issue_cell(sched *s, int64_t gi, int64_t ei) {
  richeta_sweep *sw = s->sw;
  double g = sw->grid[RICHETA_SWEEP_AXIS_GAMMA].v[gi];
  double e = sw->grid[RICHETA_SWEEP_AXIS_ETA0].v[ei];
  cell_state *c = &s->cells[gi * s->ne + ei];
  c->remaining = sw->nseeds;
  c->ran = true;
  for (int64_t si = 0; si < sw->nseeds && s->st == RICHETA_OK; si++) {
    const rlz_run *hit = cache_find(s, g, e, sw->seeds[si]);
    if (hit) {
      account(s, gi, ei, hit, 1);
      continue;
    }
    task *t = rlz_calloc(&sw->alloc, 1, sizeof *t);
    richeta_status st = t ? richeta_config_clone(&t->cfg, sw->base) : RICHETA_ERR_NOMEM;
    if (st == RICHETA_OK)
      st = richeta_config_set_double(t->cfg, RICHETA_PARAM_GAMMA, g);
    if (st == RICHETA_OK)
      st = richeta_config_set_double(t->cfg, RICHETA_PARAM_ETA0, e);
    if (st == RICHETA_OK)
      st = richeta_config_set_int(t->cfg, RICHETA_PARAM_SEED, sw->seeds[si]);
    int64_t T = 0;
    if (st == RICHETA_OK && sw->steps_law != RICHETA_SWEEP_STEPS_FIXED &&
        (st = rlz_sweep_run_steps(sw, g, e, &T)) == RICHETA_OK)
      st = richeta_config_set_int(t->cfg, RICHETA_PARAM_STEPS, T);
    if (st != RICHETA_OK) {
      s->st = rlz_fail(&sw->err, st,
                       "richeta_sweep_run: cannot make the run's configuration"
                       " (gamma %g, eta0 %g): %s",
                       g, e, t && t->cfg ? richeta_config_last_error(t->cfg) : "out of memory");
      if (t)
        task_free(s, t);
      break;
    }
    t->gi = gi;
    t->ei = ei;
    t->si = si;
    t->out.r.gamma = g;
    t->out.r.eta0 = e;
    t->out.r.seed = sw->seeds[si];
    t->out.r.eta = t->out.r.init_loss = t->out.r.final_loss = t->out.r.best_loss = NAN;
    t->out.r.test_init = t->out.r.test_final = t->out.r.test_best = t->out.r.wall = NAN;
    t->out.r.baseline = t->out.r.catapult = NAN;
    t->out.r.catapult_step = -1;
    pthread_mutex_lock(&s->mu);
    if (s->q_tail)
      s->q_tail->next = t;
    else
      s->q_head = t;
    s->q_tail = t;
    s->inflight++;
    pthread_cond_signal(&s->cv_work);
    pthread_mutex_unlock(&s->mu);
  }
  return c->remaining == 0;
}

/* Issue cells of gamma gi's scan from ei on, as long as they complete at once. */
static void drive_chain(sched *s, int64_t gi, int64_t ei) {
  while (ei >= 0 && s->st == RICHETA_OK) {
    if (!issue_cell(s, gi, ei))
      return;
    ei = chain_next(s, gi, ei);
  }
}

/* The progress test: a finished run whose final loss (held-out when
 * available) is not below progress x its baseline has stalled. The
 * baseline is the initial loss, or the held-out loss of the best constant
 * predictor when lower: a network that only learned the targets' mean (on
 * Fashion-MNIST with MSE, 0.9 of the zero predictor's loss) has not
 * learned the task. */
static void progress_test(const richeta_sweep *sw, rlz_run_out *o) {
  if (!(sw->progress > 0) || o->r.status != RICHETA_SWEEP_RUN_CONVERGED)
    return;
  bool test = isfinite(o->r.test_final) && isfinite(o->r.test_init);
  double fin = test ? o->r.test_final : o->r.final_loss;
  double base = test ? o->r.test_init : o->r.init_loss;
  bool mean = test && o->r.baseline < base; /* false when NaN */
  if (mean)
    base = o->r.baseline;
  if (fin <= sw->progress * base)
    return;
  o->r.status = RICHETA_SWEEP_RUN_STALLED;
  snprintf(o->msg, sizeof o->msg, "no progress: final %s loss %g > %g x %s %g",
           test ? "held-out" : "training", fin, sw->progress,
           mean ? "the constant predictor's" : "initial", base);
}

/* A catapult goes into the run's stored message (after the stall test's
 * reason, if any), in the form readers parse: "catapult xR at step S". */
static void note_catapult(rlz_run_out *o) {
  if (!isfinite(o->r.catapult))
    return;
  size_t len = strlen(o->msg);
  snprintf(o->msg + len, sizeof o->msg - len, "%scatapult x%.3g at step %lld", len ? "; " : "",
           o->r.catapult, (long long)o->r.catapult_step);
}

static void finish_task(sched *s, task *t) {
  richeta_sweep *sw = s->sw;
  if (t->out.err != RICHETA_OK) {
    /* not a result: keep it out of the store so that a rerun redoes it */
    if (s->st == RICHETA_OK || s->st == RICHETA_ERR_ABORTED)
      s->st =
          rlz_fail(&sw->err, t->out.err, "richeta_sweep_run: run gamma %g, eta0 %g, seed %lld: %s",
                   t->out.r.gamma, t->out.r.eta0, (long long)t->out.r.seed, t->out.msg);
    task_free(s, t);
    return;
  }
  progress_test(sw, &t->out);
  note_catapult(&t->out);
  if (!s->store_failed) {
    size_t need = 0;
    richeta_config_to_string(t->cfg, NULL, 0, &need);
    char *text = rlz_malloc(&sw->alloc, need ? need : 1);
    richeta_status st =
        text ? richeta_config_to_string(t->cfg, text, need, NULL) : RICHETA_ERR_NOMEM;
    if (st != RICHETA_OK)
      st = rlz_fail(&sw->err, st, "richeta_sweep_run: cannot write a run's configuration");
    else
      st = s->sink->commit(s->sink->ctx, text, &t->out, &sw->err);
    rlz_free(&sw->alloc, text);
    if (st != RICHETA_OK) {
      s->store_failed = true;
      if (s->st == RICHETA_OK || s->st == RICHETA_ERR_ABORTED)
        s->st = st;
    } else {
      account(s, t->gi, t->ei, &t->out.r, 0);
    }
  }
  if (s->st == RICHETA_OK) {
    cell_state *c = &s->cells[t->gi * s->ne + t->ei];
    if (c->remaining == 0 && s->st == RICHETA_OK)
      drive_chain(s, t->gi, chain_next(s, t->gi, t->ei));
  }
  task_free(s, t);
}

static int64_t online_cores(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n >= 1 ? n : 1;
}

static richeta_status run_pool(sched *s) {
  richeta_sweep *sw = s->sw;
  int64_t total = s->ng * s->ne * sw->nseeds;
  int64_t nw = sw->workers > 0 ? sw->workers : online_cores();
  if (nw > total)
    nw = total;
  if (nw < 1)
    nw = 1;
  s->nworkers = nw;
  s->slots = rlz_blas_max_callers();
  pthread_t *th = rlz_calloc(&sw->alloc, (size_t)nw, sizeof *th);
  if (!th)
    return rlz_fail(&sw->err, RICHETA_ERR_NOMEM, "richeta_sweep_run: out of memory");
  int64_t started = 0;
  for (; started < nw; started++)
    if (pthread_create(&th[started], NULL, worker_main, s) != 0)
      break;
  if (started == 0) {
    rlz_free(&sw->alloc, th);
    return rlz_fail(&sw->err, RICHETA_ERR_INTERNAL, "richeta_sweep_run: cannot start threads");
  }
  /* first cells: the top of each owned gamma's scan, or every owned cell
   * when dense */
  for (int64_t gi = 0; gi < s->ng && s->st == RICHETA_OK; gi++) {
    if (sw->mode == RICHETA_SWEEP_ADAPTIVE) {
      if (owns(s, gi))
        drive_chain(s, gi, s->ne - 1);
    } else {
      for (int64_t ei = s->ne - 1; ei >= 0 && s->st == RICHETA_OK; ei--)
        if (owns(s, gi * s->ne + ei))
          issue_cell(s, gi, ei);
    }
  }
  pthread_mutex_lock(&s->mu);
  while (s->inflight > 0) {
    if (s->st != RICHETA_OK) {
      /* stopping: drop the runs nobody has started */
      while (s->q_head) {
        task *t = s->q_head;
        s->q_head = t->next;
        s->inflight--;
        task_free(s, t);
      }
      s->q_tail = NULL;
      if (s->inflight == 0)
        break;
    }
    while (!s->done && !s->started)
      pthread_cond_wait(&s->cv_done, &s->mu);
    task *list = s->done, *begun = s->started;
    s->done = s->started = NULL;
    pthread_mutex_unlock(&s->mu);
    /* a run is reported started before it is finished (a worker pushes
     * both lists in that order and the tasks are freed only below) */
    for (; begun; begun = begun->next_started)
      if (s->sink->started && !s->store_failed)
        s->sink->started(s->sink->ctx, begun->out.r.gamma, begun->out.r.eta0, begun->out.r.seed);
    while (list) {
      task *t = list;
      list = t->next;
      finish_task(s, t); /* may queue more tasks */
      pthread_mutex_lock(&s->mu);
      s->inflight--;
      pthread_mutex_unlock(&s->mu);
    }
    pthread_mutex_lock(&s->mu);
  }
  s->quit = true;
  pthread_cond_broadcast(&s->cv_work);
  pthread_mutex_unlock(&s->mu);
  for (int64_t i = 0; i < started; i++)
    pthread_join(th[i], NULL);
  rlz_free(&sw->alloc, th);
  return s->st;
}

richeta_status rlz_sweep_exec(richeta_sweep *sw, const rlz_exec *x) {
  sched s = {.sw = sw,
             .cb = x->cb,
             .sink = x->sink,
             .cache = x->cache,
             .ncache = x->ncache,
             .unit = x->unit,
             .st = RICHETA_OK};
  s.ng = sw->grid[RICHETA_SWEEP_AXIS_GAMMA].n;
  s.ne = sw->grid[RICHETA_SWEEP_AXIS_ETA0].n;
  if (sw->shard_index >= sw->shard_count)
    return rlz_fail(&sw->err, RICHETA_ERR_RANGE,
                    "richeta_sweep_run: shard index %lld is not below the shard count %lld",
                    (long long)sw->shard_index, (long long)sw->shard_count);
  size_t ncells = 0;
  if (!rlz_mul_size((size_t)s.ng, (size_t)s.ne, &ncells))
    return rlz_fail(&sw->err, RICHETA_ERR_OVERFLOW, "richeta_sweep_run: grid too large");
  if (x->unit >= rlz_plan_units(sw->mode, s.ng, s.ne))
    return rlz_fail(&sw->err, RICHETA_ERR_RANGE, "sweep: unit %lld outside the grid",
                    (long long)x->unit);
  s.cells = rlz_calloc(&sw->alloc, ncells, sizeof *s.cells);
  s.chains = rlz_calloc(&sw->alloc, (size_t)s.ng, sizeof *s.chains);
  richeta_status st = RICHETA_OK;
  if (!s.cells || !s.chains)
    st = rlz_fail(&sw->err, RICHETA_ERR_NOMEM, "richeta_sweep_run: out of memory");
  if (st == RICHETA_OK) {
    for (int64_t gi = 0; gi < s.ng; gi++)
      s.chains[gi].first_conv = s.chains[gi].stop = -1;
    int prev_threads = richeta_blas_get_threads();
    if (sw->blas_single)
      richeta_blas_set_threads(1);
    pthread_mutex_init(&s.mu, NULL);
    pthread_cond_init(&s.cv_work, NULL);
    pthread_cond_init(&s.cv_done, NULL);
    st = run_pool(&s);
    pthread_cond_destroy(&s.cv_done);
    pthread_cond_destroy(&s.cv_work);
    pthread_mutex_destroy(&s.mu);
    if (sw->blas_single && prev_threads >= 1)
      richeta_blas_set_threads(prev_threads);
  }
  rlz_free(&sw->alloc, s.cells);
  rlz_free(&sw->alloc, s.chains);
  return st;
}

/* The sink of a sweep run in this process: the store, with progress
 * markers owned by this process. */
typedef struct store_sink {
  rlz_store *store;
  const char *hash;
  rlz_owner owner;
} store_sink;

static void store_started(void *ctx, double gamma, double eta0, int64_t seed) {
  store_sink *k = ctx;
  rlz_progress_mark_started(k->store, k->hash, gamma, eta0, seed, &k->owner, rlz_unix_time());
}

static richeta_status store_commit(void *ctx, const char *run_config, const rlz_run_out *o,
                                   rlz_err *e) {
  store_sink *k = ctx;
  return rlz_store_commit(k->store, k->hash, run_config, o, e);
}

richeta_status richeta_sweep_run(richeta_sweep *sw, const char *db_path,
                                 const richeta_sweep_callbacks *cb) {
  if (!sw)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_sweep_run: sweep is NULL");
  if (!db_path)
    return rlz_fail(&sw->err, RICHETA_ERR_NULL, "richeta_sweep_run: db_path is NULL");
  if (cb && cb->struct_size < sizeof(size_t) + sizeof(void (*)(void)))
    return rlz_fail(&sw->err, RICHETA_ERR_INVALID,
                    "richeta_sweep_run: callbacks struct_size %zu too small", cb->struct_size);
  if (sw->shard_index >= sw->shard_count)
    return rlz_fail(&sw->err, RICHETA_ERR_RANGE,
                    "richeta_sweep_run: shard index %lld is not below the shard count %lld",
                    (long long)sw->shard_index, (long long)sw->shard_count);
  richeta_sweep_callbacks cbs = {0};
  if (cb)
    memcpy(&cbs, cb, cb->struct_size < sizeof cbs ? cb->struct_size : sizeof cbs);
  richeta_status st = rlz_sweep_refresh_hash(sw);
  if (st != RICHETA_OK)
    return st;
  store_sink k = {.hash = sw->hash};
  rlz_owner_self(&k.owner, -1);
  st = rlz_store_open_journal(&k.store, db_path, sw->journal, &sw->alloc, &sw->err);
  if (st != RICHETA_OK)
    return st;
  if (sw->durable && (st = rlz_store_set_durable(k.store, 1, &sw->err)) != RICHETA_OK) {
    rlz_store_close(k.store);
    return st;
  }
  rlz_run *cache = NULL;
  int64_t ncache = 0;
  st = rlz_store_register(k.store, sw->hash, sw->config_text,
                          rlz_config_int(sw->base, RICHETA_PARAM_DEPTH), &sw->err);
  if (st == RICHETA_OK)
    st = rlz_progress_prepare(k.store, &sw->err);
  if (st == RICHETA_OK)
    st = rlz_progress_record_plan(k.store, sw, &sw->err);
  int64_t prov = -1;
  if (st == RICHETA_OK)
    st = rlz_provenance_begin(k.store, sw->hash, &prov, &sw->err);
  if (st == RICHETA_OK)
    st = rlz_store_load(k.store, sw->hash, &sw->alloc, &cache, &ncache, &sw->err);
  if (st == RICHETA_OK) {
    rlz_sink sink = {store_started, store_commit, &k};
    rlz_exec x = {cache, ncache, &sink, &cbs, -1};
    st = rlz_sweep_exec(sw, &x);
  }
  /* the handle reflects what is stored, also after a stop */
  rlz_err e2 = {{0}};
  rlz_run *runs = NULL;
  int64_t n = 0;
  richeta_status ls = rlz_store_load(k.store, sw->hash, &sw->alloc, &runs, &n, &e2);
  if (ls == RICHETA_OK) {
    rlz_free(&sw->alloc, sw->runs);
    sw->runs = runs;
    sw->nruns = n;
  } else if (st == RICHETA_OK) {
    st = rlz_fail(&sw->err, ls, "%s", e2.msg);
  }
  richeta_status ps = rlz_provenance_end(k.store, prov, st, &e2);
  if (ps != RICHETA_OK && st == RICHETA_OK)
    st = rlz_fail(&sw->err, ps, "%s", e2.msg);
  rlz_store_close(k.store);
  rlz_free(&sw->alloc, cache);
  if (st == RICHETA_OK)
    rlz_err_clear(&sw->err);
  return st;
}
