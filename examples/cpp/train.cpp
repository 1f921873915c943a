// Train at gamma = 1e3 with the theory rule through the RAII wrapper, and
// show that bad input surfaces as a C++ exception with the library's message.
#include "richeta.hpp"

#include <iostream>

int main() {
  try {
    richeta::config cfg("D=16,N=64,L=3,B=32,T=300,task=mlp,rule=theory,eta0=0.2");
    cfg.set(RICHETA_PARAM_GAMMA, 1e3);
    richeta::trainer tr(cfg);
    bool ok = tr.run();
    richeta::curve c = tr.log();
    std::cout << "gamma=1e3 " << (ok ? "done" : "diverged") << ": eval loss "
              << c.eval_loss.front() << " -> " << c.eval_loss.back() << "\n";
    if (!ok || !(c.eval_loss.back() < c.eval_loss.front()))
      return 1;
  } catch (const richeta::error &e) {
    std::cerr << "unexpected: " << e.what() << "\n";
    return 1;
  }
  try {
    richeta::config bad;
    bad.set(RICHETA_PARAM_GAMMA, -1.0); // gamma must be > 0
    std::cerr << "gamma=-1 was accepted\n";
    return 1;
  } catch (const richeta::error &e) {
    std::cout << "rejected as expected: " << e.what() << "\n";
    if (e.status != RICHETA_ERR_RANGE)
      return 1;
  }
  return 0;
}
