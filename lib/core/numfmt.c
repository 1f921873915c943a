/* Numbers as text: the shortest decimal that reads back to the same double
 * (0.1, not 0.10000000000000001), for messages and outputs that people read
 * and programs parse. */
#include "core.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

const char *rlz_shortest_double(char buf[RLZ_NUM_CAP], double v) {
  if (isnan(v))
    return snprintf(buf, RLZ_NUM_CAP, "nan"), buf;
  if (isinf(v))
    return snprintf(buf, RLZ_NUM_CAP, v > 0 ? "inf" : "-inf"), buf;
  /* %.17g always round-trips; the first shorter precision that does wins */
  for (int prec = 1; prec < 17; prec++) {
    snprintf(buf, RLZ_NUM_CAP, "%.*g", prec, v);
    if (strtod(buf, NULL) == v)
      return buf;
  }
  snprintf(buf, RLZ_NUM_CAP, "%.17g", v);
  return buf;
}
