/* Start-up of the richeta program, before any command runs.
 *
 * 1. The address-space limit (startup.c, from .preinit_array): OpenBLAS
 *    0.3.21 maps a 128 MiB buffer per worker thread when it is loaded and
 *    spins forever when that fails (`ulimit -v 131072; richeta version`
 *    hung). Before OpenBLAS's constructor runs, the program reserves that
 *    much address space once; when it cannot, it exits 1 with one line
 *    naming the limit and OPENBLAS_NUM_THREADS=1 as the way out.
 * 2. The kernel choice: OpenBLAS 0.3.21 falls back to its Prescott kernels
 *    on CPUs it does not know (Intel family 6 model 207), 5x slower for
 *    sgemm than the SkylakeX kernels the CPU runs. When OPENBLAS_CORETYPE
 *    is unset, RICHETA_NO_CORETYPE_FIX is unset (or 0) and OpenBLAS chose a
 *    core this CPU can beat (rlz_blas_better_core), the program re-executes
 *    itself once with OPENBLAS_CORETYPE set to the better core, and
 *    RICHETA_CORETYPE_FIXED set to OpenBLAS's own choice (shown by
 *    `richeta version`). */
#ifndef RLZ_TOOLS_STARTUP_H
#define RLZ_TOOLS_STARTUP_H

/* The core to re-execute with, or NULL: none when the user set
 * OPENBLAS_CORETYPE (user_coretype) or opted out (opt_out not NULL, "" or
 * "0"), else rlz_blas_better_core(chosen, cpu). Pure, for tests. */
const char *rlz_cli_coretype_fix(const char *user_coretype, const char *opt_out, const char *chosen,
                                 unsigned cpu);
/* Re-execute the program with the better core when rlz_cli_coretype_fix
 * says so (does not return then); on failure, warn once on stderr and go
 * on with the kernels OpenBLAS chose. */
void rlz_cli_fix_coretype(char **argv);

#endif
