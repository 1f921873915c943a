/* One test program per module: runs SUITE_FN() and reports in TAP so that
 * meson counts each test case. */
#include <check.h>
#include <stdlib.h>

Suite *SUITE_FN(void);

int main(void) {
  SRunner *sr = srunner_create(SUITE_FN());
  srunner_set_tap(sr, "-");
  srunner_run_all(sr, CK_SILENT);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
