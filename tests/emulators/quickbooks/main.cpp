// qbo_emulator: a QuickBooks Online company on loopback for tests and
// benchmarks. Parses the command line, seeds the company, serves until
// SIGTERM or SIGINT (exit 0).
//
//   qbo_emulator --listen HOST:PORT --realm ID --access-token T --refresh-token T
//                --client-id ID --client-secret S [--invoices N] [--rate N [--rate-window-ms MS]]
//                [--latency-ms N] [--fixtures DIR] [--access-token-ttl SECONDS]
//                [--auth-code CODE] [--webhook-url URL --verifier-token T]
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>

#include "intuit_time.h"
#include "seed.h"
#include "server.h"
#include "webhooks.h"

namespace qbo = arsync::emulators::quickbooks;

namespace {

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "qbo_emulator: " << why
            << "\nusage: qbo_emulator --listen HOST:PORT --realm ID --access-token T "
               "--refresh-token T --client-id ID --client-secret S [--invoices N] [--rate N [--rate-window-ms MS]] "
               "[--latency-ms N] [--fixtures DIR] [--access-token-ttl SECONDS] [--auth-code CODE] "
               "[--webhook-url URL --verifier-token T]\n";
  std::exit(2);
}

long long number(const std::map<std::string, std::string>& args, const std::string& name,
                 long long fallback) {
  auto it = args.find(name);
  if (it == args.end()) return fallback;
  char* end = nullptr;
  const long long v = std::strtoll(it->second.c_str(), &end, 10);
  if (it->second.empty() || *end != '\0' || v < 0) usage(name + " wants a non-negative integer");
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  static const char* const kKnown[] = {"--listen",        "--realm",          "--access-token",
                                       "--refresh-token", "--client-id",      "--client-secret",
                                       "--invoices",      "--rate",           "--latency-ms",
                                       "--fixtures",      "--access-token-ttl", "--auth-code",
                                       "--webhook-url",   "--verifier-token", "--rate-window-ms"};
  std::map<std::string, std::string> args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    bool known = false;
    for (const char* k : kKnown) known = known || a == k;
    if (!known) usage("unknown argument " + a);
    if (i + 1 >= argc) usage(a + " needs a value");
    args[a] = argv[++i];
  }
  for (const char* required : {"--listen", "--realm", "--client-id", "--client-secret"}) {
    if (!args.count(required)) usage(std::string(required) + " is required");
  }
  const std::string listen = args["--listen"];
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) usage("--listen wants HOST:PORT");
  qbo::ServerConfig config;
  config.host = listen.substr(0, colon);
  const long long port = std::strtoll(listen.c_str() + colon + 1, nullptr, 10);
  if (port < 0 || port > 65535) usage("--listen port out of range");
  config.port = static_cast<uint16_t>(port);
  config.rate_per_minute = static_cast<int>(number(args, "--rate", 0));
  config.latency_ms = static_cast<int>(number(args, "--latency-ms", 0));
  config.rate_window_ms = static_cast<int>(number(args, "--rate-window-ms", 60'000));
  if (config.rate_window_ms < 1) usage("--rate-window-ms wants at least 1");

  qbo::OAuthConfig oauth;
  oauth.client_id = args["--client-id"];
  oauth.client_secret = args["--client-secret"];
  oauth.access_token = args["--access-token"];
  oauth.refresh_token = args["--refresh-token"];
  oauth.auth_code = args["--auth-code"];
  oauth.access_ttl_s = number(args, "--access-token-ttl", 3600);

  // Block the stop signals before any thread starts, so that every server
  // thread inherits the mask and sigwait below is the one to take them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  const int64_t start = qbo::now_ms();
  qbo::Company company(args["--realm"]);
  if (args.count("--fixtures")) {
    const std::string err = qbo::load_fixtures(company, args["--fixtures"]);
    if (!err.empty()) {
      std::cerr << "qbo_emulator: fixtures: " << err << "\n";
      return 1;
    }
  }
  qbo::generate(company, number(args, "--invoices", 0), start);
  company.finish_load();

  qbo::Emulator emulator(config, std::move(company), oauth, start);
  std::unique_ptr<qbo::WebhookSender> webhooks;
  if (args.count("--webhook-url")) {
    if (!args.count("--verifier-token")) usage("--webhook-url needs --verifier-token");
    webhooks = std::make_unique<qbo::WebhookSender>(args["--webhook-url"], args["--verifier-token"]);
    emulator.set_change_listener([&w = *webhooks](const std::string& realm,
                                                  const std::vector<qbo::Change>& changes) {
      w.notify(realm, changes);
    });
  }
  uint16_t bound = 0;
  try {
    bound = emulator.start();
  } catch (const std::exception& e) {
    std::cerr << "qbo_emulator: cannot listen on " << listen << ": " << e.what() << "\n";
    return 1;
  }
  std::printf("listening on http://%s:%u\n", config.host.c_str(), static_cast<unsigned>(bound));
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop, &sig);
  emulator.stop();
  webhooks.reset();
  // Nothing is left to flush; freeing 100,000 entities one by one would only
  // make the exit slow.
  std::fflush(nullptr);
  std::_Exit(0);
}
