// A small RAII wrapper over the libricheta handles: owners free their
// handle, failures throw richeta::error carrying the library's message.
// Header-only; copy it into your project.
#ifndef RICHETA_EXAMPLE_HPP
#define RICHETA_EXAMPLE_HPP

#include <richlazy/richeta.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace richeta {

class error : public std::runtime_error {
public:
  error(richeta_status s, const std::string &msg)
      : std::runtime_error(std::string(richeta_status_string(s)) + ": " + msg), status(s) {}
  richeta_status status;
};

inline void check(richeta_status s, const char *msg) {
  if (s != RICHETA_OK)
    throw error(s, msg ? msg : "");
}

// unique_ptr with the handle's free function as deleter.
template <class T, void (*Free)(T *)> struct deleter {
  void operator()(T *p) const { Free(p); }
};

class config {
public:
  config() {
    richeta_config *c = nullptr;
    check(richeta_config_new(&c, nullptr), richeta_last_error());
    p_.reset(c);
  }
  explicit config(const std::string &spec) : config() { parse(spec); }
  config &parse(const std::string &spec) {
    check(richeta_config_parse(get(), spec.c_str()), richeta_config_last_error(get()));
    return *this;
  }
  config &set(richeta_param p, double v) {
    check(richeta_config_set_double(get(), p, v), richeta_config_last_error(get()));
    return *this;
  }
  richeta_config *get() const { return p_.get(); }

private:
  std::unique_ptr<richeta_config, deleter<richeta_config, richeta_config_free>> p_;
};

struct curve {
  std::vector<int64_t> steps;
  std::vector<double> train_loss, eval_loss, eta;
};

class trainer {
public:
  explicit trainer(const config &cfg) {
    richeta_trainer *t = nullptr;
    check(richeta_trainer_new(&t, cfg.get()), richeta_last_error());
    p_.reset(t);
  }
  // Run to the configured number of steps; returns false if it diverged.
  bool run() {
    check(richeta_trainer_run(get(), INT64_MAX, nullptr), richeta_trainer_last_error(get()));
    int state = 0;
    check(richeta_trainer_state(get(), &state), richeta_trainer_last_error(get()));
    return state != RICHETA_RUN_DIVERGED;
  }
  curve log() const {
    int64_t n = 0;
    check(richeta_trainer_log(get(), nullptr, nullptr, nullptr, nullptr, 0, &n),
          richeta_trainer_last_error(get()));
    curve c;
    c.steps.resize(static_cast<size_t>(n));
    c.train_loss.resize(static_cast<size_t>(n));
    c.eval_loss.resize(static_cast<size_t>(n));
    c.eta.resize(static_cast<size_t>(n));
    check(richeta_trainer_log(get(), c.steps.data(), c.train_loss.data(), c.eval_loss.data(),
                              c.eta.data(), n, &n),
          richeta_trainer_last_error(get()));
    return c;
  }
  void save(const std::string &path) const {
    check(richeta_trainer_save(get(), path.c_str()), richeta_trainer_last_error(get()));
  }
  richeta_trainer *get() const { return p_.get(); }

private:
  std::unique_ptr<richeta_trainer, deleter<richeta_trainer, richeta_trainer_free>> p_;
};

} // namespace richeta

#endif
