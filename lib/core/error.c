/* Status strings and error messages (per handle, or per thread before a
 * handle exists). */
#include "core.h"

#include <stdio.h>
#include <string.h>

static _Thread_local char thread_msg[RLZ_ERRMSG_CAP];
static _Thread_local char callback_msg[256];

const char *richeta_status_string(richeta_status status) {
  switch (status) {
  case RICHETA_OK: return "success";
  case RICHETA_ERR_NULL: return "required pointer argument is NULL";
  case RICHETA_ERR_INVALID: return "invalid argument";
  case RICHETA_ERR_RANGE: return "value out of range";
  case RICHETA_ERR_OVERFLOW: return "size overflow";
  case RICHETA_ERR_NOMEM: return "out of memory";
  case RICHETA_ERR_UNSUPPORTED: return "not supported";
  case RICHETA_ERR_IO: return "input/output error";
  case RICHETA_ERR_FORMAT: return "malformed input";
  case RICHETA_ERR_CHECKSUM: return "checksum mismatch";
  case RICHETA_ERR_VERSION: return "incompatible format version";
  case RICHETA_ERR_MISMATCH: return "objects or files do not match";
  case RICHETA_ERR_STATE: return "call not valid in the current state";
  case RICHETA_ERR_NONFINITE: return "NaN or infinite value";
  case RICHETA_ERR_DIVERGED: return "training diverged";
  case RICHETA_ERR_BUFFER_TOO_SMALL: return "buffer too small";
  case RICHETA_ERR_CALLBACK: return "callback reported an error";
  case RICHETA_ERR_ABORTED: return "stopped by callback";
  case RICHETA_ERR_DATABASE: return "results database error";
  case RICHETA_ERR_EXTERNAL: return "external program failed or missing";
  case RICHETA_ERR_INTERNAL: return "internal error";
  }
  return "unknown status";
}

const char *richeta_last_error(void) { return thread_msg; }

const char *rlz_thread_error(void) { return thread_msg; }

void richeta_callback_error(const char *message) {
  snprintf(callback_msg, sizeof callback_msg, "%s", message ? message : "");
}

void rlz_callback_forget(void) { callback_msg[0] = '\0'; }

const char *rlz_callback_message(void) { return callback_msg; }

richeta_status rlz_vfail(rlz_err *e, richeta_status status, const char *fmt, va_list ap) {
  char *dst = e ? e->msg : thread_msg;
  vsnprintf(dst, RLZ_ERRMSG_CAP, fmt, ap);
  if (e) /* also visible to callers that only look at the thread buffer */
    memcpy(thread_msg, e->msg, RLZ_ERRMSG_CAP);
  return status;
}

richeta_status rlz_fail(rlz_err *e, richeta_status status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  rlz_vfail(e, status, fmt, ap);
  va_end(ap);
  return status;
}

void rlz_err_clear(rlz_err *e) {
  if (e)
    e->msg[0] = '\0';
}

void rlz_err_to_thread(const rlz_err *e) {
  if (e)
    memcpy(thread_msg, e->msg, RLZ_ERRMSG_CAP);
}
