// The demo as README command 1 runs it, with its QuickBooks part: the real
// arsyncd (--once, twice) over packaging/demo's config and files, the
// QuickBooks company served by the real qbo_emulator, OAuth tokens in the
// credential store under a secrets file. Between the cycles a QuickBooks
// user deletes an invoice; the second cycle must learn it from CDC.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../emulators/emulator_process.h"
#include "arsync/net/http_client.h"
#include "run_command.h"

namespace arsync::testing {
namespace {

namespace fs = std::filesystem;
const std::string kBin = std::string(ARSYNC_BINARY_DIR) + "/daemon/main/";
constexpr const char* kRealm = "4620816365254230280";

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class QuickBooksDemo : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    root_ = fs::temp_directory_path() / ("arsync-qbo-demo-" + std::to_string(rd()));
    fs::copy(fs::path(ARSYNC_SOURCE_DIR) / "packaging" / "demo", root_, fs::copy_options::recursive);
    fs::create_directory_symlink(fs::path(ARSYNC_SOURCE_DIR) / "mappings", root_ / "mappings");
    emulator_ = std::make_unique<EmulatorProcess>(
        QBO_EMULATOR_BIN,
        std::vector<std::string>{"--listen", "127.0.0.1:0", "--realm", kRealm, "--access-token", "demo-access",
                                 "--refresh-token", "demo-refresh", "--client-id", "arsync-demo",
                                 "--client-secret", "demo-secret", "--fixtures", (root_ / "quickbooks").string()});
    std::string config = read(root_ / "arsync.json");
    config = std::regex_replace(config, std::regex("@QBO_PORT@"), std::to_string(emulator_->port()));
    std::ofstream(root_ / "arsync.json") << config;
    std::ofstream(root_ / "secrets.json")
        << R"({"store_key": ")" << std::string(64, 'a')
        << R"(", "systems": {"qbo-us": {"client_secret": "demo-secret", "refresh_token": "demo-refresh"}}})";
    ::chmod((root_ / "secrets.json").c_str(), 0600);
  }
  void TearDown() override {
    emulator_.reset();
    fs::remove_all(root_);
  }
  CmdResult once() {
    return run_split(kBin + "arsyncd --once --config " + (root_ / "arsync.json").string(), root_ / "stderr.txt");
  }
  // As a QuickBooks user would, with the emulator's first access token.
  nlohmann::json call(const std::string& method, const std::string& target, const std::string& body = "") {
    net::ClientOptions o;
    o.base_url = emulator_->base_url();
    net::HttpClient http(o);
    Result<net::ClientResponse> r =
        http.send({method, std::string("/v3/company/") + kRealm + target,
                   {{"Authorization", "Bearer demo-access"}, {"Content-Type", "application/json"}}, body, true});
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    return r.is_ok() ? nlohmann::json::parse(r.value().body) : nlohmann::json();
  }
  // "rule kind key systems" of each open discrepancy line of a summary.
  static std::set<std::string> open_lines(const std::string& out) {
    std::set<std::string> found;
    static const std::regex line(R"(#\d+\s+(\w+)\s+(\w+) (\S+)\s+(\S+)\s)");
    for (std::sregex_iterator it(out.begin(), out.end(), line), end; it != end; ++it) {
      found.insert((*it)[1].str() + " " + (*it)[2].str() + " " + (*it)[3].str() + " " + (*it)[4].str());
    }
    return found;
  }

  fs::path root_;
  std::unique_ptr<EmulatorProcess> emulator_;
};

TEST_F(QuickBooksDemo, PlantedQuickBooksDiscrepanciesAndADeletionLearntFromCdc) {
  const CmdResult first = once();
  const std::set<std::string> open = open_lines(first.out);
  EXPECT_TRUE(open.count("amount_differs invoice 90001238 qbo-us,sap-ecc")) << first.out;
  EXPECT_TRUE(open.count("short_payment invoice 90001234 qbo-us")) << first.out;
  EXPECT_FALSE(open.count("missing_in_system invoice 90001236 qbo-us,sap-ecc")) << "still in QuickBooks";
  EXPECT_NE(first.out.find("qbo-us          6 "), std::string::npos) << "5 invoices and 1 payment:\n" << first.out;
  EXPECT_NE(read(root_ / "stderr.txt").find("system=qbo-us event=pull_done"), std::string::npos);

  const nlohmann::json found = call(
      "GET", "/query?query=" + net::url_encode("select * from Invoice where DocNumber = '90001236'"));
  const nlohmann::json invoice = found["QueryResponse"]["Invoice"][0];
  call("POST", "/invoice?operation=delete",
       nlohmann::json{{"Id", invoice["Id"]}, {"SyncToken", invoice["SyncToken"]}}.dump());

  const CmdResult second = once();
  EXPECT_TRUE(open_lines(second.out).count("missing_in_system invoice 90001236 qbo-us,sap-ecc")) << second.out;
  // The rotated refresh token is in the credential store, not the secrets
  // file's: the second run refreshed with it (the first one is spent).
  EXPECT_EQ(read(root_ / "stderr.txt").find("invalid_grant"), std::string::npos) << read(root_ / "stderr.txt");
}

}  // namespace
}  // namespace arsync::testing
