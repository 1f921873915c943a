// An out-of-tree C++11 program built with `pkg-config --cflags --libs richeta`:
// the headers must be usable from C++ (extern "C" linkage) with RAII owners.
#include <richlazy/richeta.h>

#include <cstdio>
#include <memory>

namespace {
struct ConfigFree {
  void operator()(richeta_config *c) const { richeta_config_free(c); }
};
using Config = std::unique_ptr<richeta_config, ConfigFree>;
} // namespace

int main() {
  richeta_config *raw = nullptr;
  if (richeta_config_new(&raw, nullptr) != RICHETA_OK)
    return 1;
  Config cfg(raw);
  if (richeta_config_set_double(cfg.get(), RICHETA_PARAM_GAMMA, 0.0) != RICHETA_ERR_RANGE)
    return 1; // gamma <= 0 must be refused
  if (richeta_config_set_double(cfg.get(), RICHETA_PARAM_GAMMA, 100.0) != RICHETA_OK)
    return 1;
  double g = 0;
  richeta_config_get_double(cfg.get(), RICHETA_PARAM_GAMMA, &g);
  double factor = 0;
  if (richeta_gamma_rule_theory(g, 4, &factor) != RICHETA_OK || factor < 9.99 || factor > 10.01)
    return 1; // 100^(2/4) = 10
  std::printf("C++ consumer ok: %s, gamma %g, g(gamma) %g\n", richeta_version_string(), g, factor);
  return 0;
}
