/* Before the richeta program does anything: make sure OpenBLAS can start,
 * and runs the kernels this CPU deserves (see startup.h). */
#include "startup.h"

#include "numeric/numeric.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

/* ---- the address-space limit, before OpenBLAS's constructor ------------- */

/* OpenBLAS 0.3.21 (x86-64): each worker thread maps a 128 MiB buffer when
 * the library is loaded, and retries forever when the mapping fails. */
#define BUFFER_BYTES ((128ull << 20) + (64ull << 10))
#define SLACK_BYTES (16ull << 20)
#define OPENBLAS_MAX_THREADS 64

static const char *env_of(char **envp, const char *name) {
  size_t len = strlen(name);
  for (char **e = envp; e && *e; e++)
    if (!strncmp(*e, name, len) && (*e)[len] == '=')
      return *e + len + 1;
  return NULL;
}

/* Threads OpenBLAS will start: its environment variables, else the CPUs
 * this process may run on, at most its compiled maximum. */
static long openblas_threads(char **envp) {
  static const char *const vars[] = {"OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"};
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
    const char *v = env_of(envp, vars[i]);
    long n = v ? strtol(v, NULL, 10) : 0;
    if (n > 0)
      return n < OPENBLAS_MAX_THREADS ? n : OPENBLAS_MAX_THREADS;
  }
  cpu_set_t set;
  long n = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
  return n < 1 ? 1 : n < OPENBLAS_MAX_THREADS ? n : OPENBLAS_MAX_THREADS;
}

static void say(const char *msg) {
  size_t n = strlen(msg);
  while (n > 0) {
    ssize_t w = write(STDERR_FILENO, msg, n);
    if (w <= 0)
      return;
    msg += w;
    n -= (size_t)w;
  }
}

/* Runs from .preinit_array: before any shared library's constructor, so
 * before OpenBLAS starts its threads. Only system calls and snprintf here
 * (libc is not initialised yet; the environment comes as an argument). */
static void check_address_space(int argc, char **argv, char **envp) {
  (void)argc;
  (void)argv;
  struct rlimit rl;
  if (getrlimit(RLIMIT_AS, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
    return;
  long threads = openblas_threads(envp);
  if (threads <= 1)
    return; /* no worker thread, no buffer at start */
  struct rlimit st;
  unsigned long long stack = 8ull << 20;
  if (getrlimit(RLIMIT_STACK, &st) == 0 && st.rlim_cur != RLIM_INFINITY)
    stack = st.rlim_cur;
  unsigned long long need =
      (unsigned long long)(threads - 1) * (BUFFER_BYTES + stack) + SLACK_BYTES;
  /* ask for it: a reservation counts against the limit as OpenBLAS's will */
  void *p = mmap(NULL, need, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p != MAP_FAILED) {
    munmap(p, need);
    return;
  }
  char msg[512];
  snprintf(msg, sizeof msg,
           "richeta: the address-space limit (ulimit -v %llu KiB) leaves less than the %llu MiB "
           "OpenBLAS needs to start its %ld threads (it would hang); raise the limit or set "
           "OPENBLAS_NUM_THREADS=1\n",
           (unsigned long long)(rl.rlim_cur >> 10), need >> 20, threads);
  say(msg);
  _exit(1);
}

__attribute__((section(".preinit_array"),
               used)) static void (*const preinit_check)(int, char **,
                                                         char **) = check_address_space;

/* ---- the kernel choice ------------------------------------------------- */

const char *rlz_cli_coretype_fix(const char *user_coretype, const char *opt_out, const char *chosen,
                                 unsigned cpu) {
  if (user_coretype && *user_coretype)
    return NULL; /* the user chose */
  if (opt_out && *opt_out && strcmp(opt_out, "0") != 0)
    return NULL;
  return rlz_blas_better_core(chosen, cpu);
}

void rlz_cli_fix_coretype(char **argv) {
  const char *chosen = rlz_blas_core_name();
  const char *better = rlz_cli_coretype_fix(
      getenv("OPENBLAS_CORETYPE"), getenv("RICHETA_NO_CORETYPE_FIX"), chosen, rlz_cpu_features());
  if (!better)
    return;
  /* once: the child has OPENBLAS_CORETYPE set, so it does not come here */
  if (setenv("OPENBLAS_CORETYPE", better, 1) == 0 &&
      setenv("RICHETA_CORETYPE_FIXED", chosen, 1) == 0) {
    execv("/proc/self/exe", argv);
    if (argv[0] && strchr(argv[0], '/'))
      execv(argv[0], argv);
  }
  int err = errno;
  unsetenv("OPENBLAS_CORETYPE");
  unsetenv("RICHETA_CORETYPE_FIXED");
  fprintf(stderr,
          "richeta: warning: OpenBLAS runs its %s kernels, this CPU can run %s ones (up to 5x "
          "faster): set OPENBLAS_CORETYPE=%s (re-running richeta with it failed: %s)\n",
          chosen, better, better, strerror(err));
}
