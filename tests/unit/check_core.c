/* Core: status strings, version macros against the runtime, build info,
 * BLAS thread control and the per-thread error message. */
#include <check.h>
#include <pthread.h>
#include <richlazy/richeta.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Every status code of common.h, in order. */
static const richeta_status all_codes[] = {RICHETA_OK,
                                           RICHETA_ERR_NULL,
                                           RICHETA_ERR_INVALID,
                                           RICHETA_ERR_RANGE,
                                           RICHETA_ERR_OVERFLOW,
                                           RICHETA_ERR_NOMEM,
                                           RICHETA_ERR_UNSUPPORTED,
                                           RICHETA_ERR_IO,
                                           RICHETA_ERR_FORMAT,
                                           RICHETA_ERR_CHECKSUM,
                                           RICHETA_ERR_VERSION,
                                           RICHETA_ERR_MISMATCH,
                                           RICHETA_ERR_STATE,
                                           RICHETA_ERR_NONFINITE,
                                           RICHETA_ERR_DIVERGED,
                                           RICHETA_ERR_BUFFER_TOO_SMALL,
                                           RICHETA_ERR_CALLBACK,
                                           RICHETA_ERR_ABORTED,
                                           RICHETA_ERR_DATABASE,
                                           RICHETA_ERR_EXTERNAL,
                                           RICHETA_ERR_INTERNAL};
#define NCODES (int)(sizeof all_codes / sizeof all_codes[0])

START_TEST(status_codes_have_pinned_values) {
  /* The ABI promise: values never move. */
  for (int i = 0; i < NCODES; i++)
    ck_assert_int_eq((int)all_codes[i], i);
}
END_TEST

START_TEST(every_status_has_a_distinct_nonempty_string) {
  for (int i = 0; i < NCODES; i++) {
    const char *s = richeta_status_string(all_codes[i]);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_gt((int)strlen(s), 3);
    for (int k = 0; k < i; k++)
      ck_assert_str_ne(s, richeta_status_string(all_codes[k]));
  }
}
END_TEST

START_TEST(unknown_status_gets_a_generic_string_not_null) {
  const int odd[] = {-1, 21, 999, 1 << 30};
  for (int i = 0; i < 4; i++) {
    const char *s = richeta_status_string((richeta_status)odd[i]);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_gt((int)strlen(s), 0);
    for (int k = 0; k < NCODES; k++)
      ck_assert_str_ne(s, richeta_status_string(all_codes[k]));
  }
}
END_TEST

START_TEST(version_macros_match_runtime) {
  ck_assert_int_eq(RICHETA_VERSION_NUMBER, richeta_version_number());
  ck_assert_int_eq(RICHETA_VERSION_NUMBER, RICHETA_VERSION_MAJOR * 10000 +
                                               RICHETA_VERSION_MINOR * 100 + RICHETA_VERSION_PATCH);
  ck_assert_str_eq(RICHETA_VERSION_STRING, richeta_version_string());
  char buf[64];
  snprintf(buf, sizeof buf, "%d.%d.%d", RICHETA_VERSION_MAJOR, RICHETA_VERSION_MINOR,
           RICHETA_VERSION_PATCH);
  ck_assert_str_eq(buf, richeta_version_string());
  ck_assert_int_eq(RICHETA_ABI_VERSION, richeta_abi_version());
  ck_assert_int_ge(richeta_abi_version(), 1);
}
END_TEST

START_TEST(build_info_names_version_and_blas) {
  const char *info = richeta_build_info();
  ck_assert_ptr_nonnull(info);
  ck_assert_ptr_nonnull(strstr(info, richeta_version_string()));
  ck_assert_ptr_nonnull(strstr(info, "blas="));
  ck_assert_ptr_nonnull(strstr(info, "blas_int="));
#if defined(RLZ_BLAS_OPENBLAS)
  ck_assert_msg(strcasestr(info, "openblas") != NULL, "build info '%s' lacks OpenBLAS", info);
#elif defined(RLZ_BLAS_NONE)
  ck_assert_msg(strcasestr(info, "reference") != NULL || strcasestr(info, "none") != NULL,
                "build info '%s' does not say the BLAS is the reference one", info);
#endif
}
END_TEST

START_TEST(blas_threads_reject_zero_and_negative) {
  ck_assert_int_eq(richeta_blas_set_threads(0), RICHETA_ERR_RANGE);
  ck_assert_int_gt((int)strlen(richeta_last_error()), 0);
  ck_assert_int_eq(richeta_blas_set_threads(-3), RICHETA_ERR_RANGE);
  ck_assert_int_ge(richeta_blas_get_threads(), 1);
}
END_TEST

START_TEST(blas_threads_round_trip_when_supported) {
  int before = richeta_blas_get_threads();
  richeta_status s = richeta_blas_set_threads(1);
  ck_assert(s == RICHETA_OK || s == RICHETA_ERR_UNSUPPORTED);
  if (s == RICHETA_OK) {
    ck_assert_int_eq(richeta_blas_get_threads(), 1);
    ck_assert_int_eq(richeta_blas_set_threads(before), RICHETA_OK);
    ck_assert_int_eq(richeta_blas_get_threads(), before);
  }
}
END_TEST

static void *fail_in_thread(void *arg) {
  (void)arg;
  richeta_config *c = NULL;
  richeta_config_new(NULL, NULL); /* fails: message on this thread only */
  (void)c;
  return (void *)(strlen(richeta_last_error()) > 0 ? (void *)1 : NULL);
}

START_TEST(last_error_is_per_thread) {
  richeta_config *cfg = NULL;
  ck_assert_int_eq(richeta_config_new(&cfg, NULL), RICHETA_OK); /* nothing failed here */
  char mine[512];
  snprintf(mine, sizeof mine, "%s", richeta_last_error());
  pthread_t th;
  void *ret = NULL;
  ck_assert_int_eq(pthread_create(&th, NULL, fail_in_thread, NULL), 0);
  ck_assert_int_eq(pthread_join(th, &ret), 0);
  ck_assert_ptr_nonnull(ret);                   /* the other thread saw its message */
  ck_assert_str_eq(richeta_last_error(), mine); /* ours did not change */
  richeta_config_free(cfg);
}
END_TEST

START_TEST(null_constructor_argument_sets_thread_message) {
  ck_assert_int_eq(richeta_config_new(NULL, NULL), RICHETA_ERR_NULL);
  ck_assert_int_gt((int)strlen(richeta_last_error()), 0);
}
END_TEST

Suite *core_suite(void); /* called by runner.c */
Suite *core_suite(void) {
  Suite *s = suite_create("core");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, status_codes_have_pinned_values);
  tcase_add_test(tc, every_status_has_a_distinct_nonempty_string);
  tcase_add_test(tc, unknown_status_gets_a_generic_string_not_null);
  tcase_add_test(tc, version_macros_match_runtime);
  tcase_add_test(tc, build_info_names_version_and_blas);
  tcase_add_test(tc, blas_threads_reject_zero_and_negative);
  tcase_add_test(tc, blas_threads_round_trip_when_supported);
  tcase_add_test(tc, last_error_is_per_thread);
  tcase_add_test(tc, null_constructor_argument_sets_thread_message);
  suite_add_tcase(s, tc);
  return s;
}
