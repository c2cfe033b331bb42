// The quickbooks connector's conformance fixture: a QuickBooks Online
// company served by the real qbo_emulator on loopback, with one customer;
// a source unit is a set of invoices created through the API as a
// QuickBooks user creates them, and a deletion is the API's delete.
#include <filesystem>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "../emulators/emulator_process.h"
#include "arsync/net/http_client.h"
#include "arsync/net/oauth2.h"
#include "conformance_fixture.h"

namespace arsync::conformance {
namespace {

namespace fs = std::filesystem;
constexpr const char* kRealm = "9341453050298464";

// The credential store's contract in memory: the suite's connectors of one
// fixture share it, as one arsyncd's runs share the store.
class MemoryCredentials final : public CredentialHandle {
 public:
  Result<std::optional<std::string>> get(const std::string& name) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = values_.find(name);
    return it == values_.end() ? std::optional<std::string>() : std::optional<std::string>(it->second);
  }
  Status put(const std::string& name, const std::string& value) override {
    std::lock_guard<std::mutex> lock(mu_);
    values_[name] = value;
    return Status::ok();
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::string> values_;
};

class QuickBooksFixture final : public ConformanceFixture {
 public:
  QuickBooksFixture() {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("arsync-conformance-qbo-" + std::to_string(rd()));
    fs::create_directories(dir_ / "company");
    std::ofstream(dir_ / "company" / "customer.json")
        << R"({"Customer":[{"Id":"58","SyncToken":"0","DisplayName":"Müller Maschinenbau GmbH",)"
        << R"("CurrencyRef":{"value":"EUR","name":"Euro"},"Active":true,)"
        << R"("MetaData":{"CreateTime":"2026-10-01T09:00:00-08:00","LastUpdatedTime":"2026-10-01T09:00:00-08:00"}}]})";
  }
  ~QuickBooksFixture() override {
    emulator_.reset();
    fs::remove_all(dir_);
  }

  void create_source(int good, bool with_bad) override {
    (void)with_bad;  // see no_bad_record_reason
    emulator_ = std::make_unique<testing::EmulatorProcess>(
        QBO_EMULATOR_BIN,
        std::vector<std::string>{"--listen", "127.0.0.1:0", "--realm", kRealm, "--access-token", "AT",
                                 "--refresh-token", "RT", "--client-id", "cid", "--client-secret", "secret",
                                 "--fixtures", (dir_ / "company").string()});
    add_records(good);
  }

  void add_records(int n) override {
    for (int i = 0; i < n; ++i) {
      const int k = ++invoices_;
      const nlohmann::json created = call(
          "/invoice?requestid=conformance-" + std::to_string(k),
          R"({"DocNumber":"CF-)" + std::to_string(1000 + k) +
              R"(","CustomerRef":{"value":"58"},"CurrencyRef":{"value":"EUR"},"Line":[{"Amount":)" +
              std::to_string(100 + k) +
              R"(.00,"DetailType":"SalesItemLineDetail","SalesItemLineDetail":{"ItemRef":{"value":"1"}}}]})")
          ["Invoice"];
      keys_.push_back({"Invoice", created["Id"].get<std::string>(), created["SyncToken"].get<std::string>()});
    }
  }

  nlohmann::json settings() const override {
    return {{"realm_id", kRealm},
            {"base_url", emulator_->base_url()},
            {"token_url", emulator_->base_url() + "/oauth2/v1/tokens/bearer"},
            {"client_id", "cid"},
            {"entities", {"Invoice"}},
            {"page_size", 2},
            {"overlap_seconds", 0}};
  }

  void complete_context(ConnectorContext& ctx) override {
    ctx.credentials = &credentials_;
    ctx.secrets = {{"client_secret", "secret"}, {"refresh_token", "RT"}};
  }

  std::vector<RecordKey> expected_keys() const override { return keys_; }

  ExpectedRejection expected_rejection() const override { return {}; }

  std::optional<std::string> no_bad_record_reason() const override {
    return "QuickBooks answers whole JSON pages of well-formed entities; a malformed page fails its "
           "request (retried), and an entity without an Id is rejected on its own "
           "(quickbooks_responses_test: AnEntityWithoutAnIdIsRejectedAndTheOthersKept)";
  }

  // Intuit's query is inclusive of the cursor's instant and every cursor is
  // moved back by overlap_seconds: the last minutes are read again.
  // Intuit's times are whole seconds and the cursor is the server's time
  // rounded down: what changed in that second is read again.
  bool resume_may_repeat() const override { return true; }

  std::optional<std::string> no_deletions_reason() const override { return std::nullopt; }

  RecordKey delete_record(std::size_t index) override {
    const RecordKey key = keys_.at(index);
    call("/invoice?operation=delete", nlohmann::json{{"Id", key.external_id}, {"SyncToken", key.version}}.dump());
    keys_.erase(keys_.begin() + static_cast<std::ptrdiff_t>(index));
    return key;
  }

  std::optional<std::string> no_wake_reason() const override {
    return "QuickBooks wakes a pull through its webhook route on the daemon's HTTP listener, which "
           "this suite does not run (quickbooks_connector_test and quickbooks_webhook_test cover it)";
  }

 private:
  // A call as a QuickBooks user makes it, with the emulator's first token.
  nlohmann::json call(const std::string& target, const std::string& body) {
    net::ClientOptions o;
    o.base_url = emulator_->base_url();
    net::HttpClient http(o);
    Result<net::ClientResponse> r =
        http.send({"POST", std::string("/v3/company/") + kRealm + target,
                   {{"Authorization", "Bearer AT"}, {"Content-Type", "application/json"},
                    {"Accept", "application/json"}},
                   body, true});
    if (!r.is_ok()) throw std::runtime_error("emulator: " + r.status().to_string());
    return nlohmann::json::parse(r.value().body);
  }

  fs::path dir_;
  std::unique_ptr<testing::EmulatorProcess> emulator_;
  MemoryCredentials credentials_;
  int invoices_ = 0;
  std::vector<RecordKey> keys_;
};

}  // namespace

std::unique_ptr<ConformanceFixture> make_quickbooks_fixture() {
  return std::make_unique<QuickBooksFixture>();
}

}  // namespace arsync::conformance
