// Write-back to QuickBooks Online against the real qbo_emulator process,
// seeded with tests/fixtures/quickbooks/emulator/company.json (invoices 1037,
// 1069, 1070, 1071, credit memo 1026, customers 1, 24, 58).
#include "push.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>

#include "emulator_process.h"

namespace qb = arsync::connectors::quickbooks;
namespace net = arsync::net;
using arsync::DocumentKind;
using arsync::Money;

namespace {

constexpr const char* kRealm = "9341453050298464";

class MemoryCredentials : public arsync::CredentialHandle {
 public:
  arsync::Result<std::optional<std::string>> get(const std::string& name) override {
    std::lock_guard lock(mu_);
    auto it = values_.find(name);
    return it == values_.end() ? std::optional<std::string>() : std::optional<std::string>(it->second);
  }
  arsync::Status put(const std::string& name, const std::string& value) override {
    std::lock_guard lock(mu_);
    values_[name] = value;
    return arsync::Status::ok();
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::string> values_;
};

// Forwards every request to the emulator; `before_write` runs before a POST
// other than a query is forwarded (to change the entity under the writer).
class Proxy {
 public:
  Proxy(std::string host, uint16_t port)
      : host_(std::move(host)), port_(port), socket_(Poco::Net::SocketAddress("127.0.0.1", 0)),
        server_(new Factory(this), socket_, new Poco::Net::HTTPServerParams) {
    server_.start();
  }
  ~Proxy() { server_.stop(); }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(socket_.address().port()); }
  std::function<void(const std::string& target)> before_write;
  std::atomic<int> writes{0};

 private:
  class Handler : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(Proxy* p) : p_(p) {}
    void handleRequest(Poco::Net::HTTPServerRequest& in, Poco::Net::HTTPServerResponse& out) override {
      std::ostringstream body;
      Poco::StreamCopier::copyStream(in.stream(), body);
      const std::string target = in.getURI();
      if (in.getMethod() == "POST" && target.find("/query") == std::string::npos &&
          target.find("/oauth2/") == std::string::npos) {
        ++p_->writes;
        if (p_->before_write) p_->before_write(target);
      }
      Poco::Net::HTTPClientSession s(p_->host_, p_->port_);
      Poco::Net::HTTPRequest req(in.getMethod(), target, Poco::Net::HTTPMessage::HTTP_1_1);
      for (const auto& [name, value] : in) {
        if (name != "Host" && name != "Connection") req.set(name, value);
      }
      const std::string b = body.str();
      if (in.getMethod() == "POST") req.setContentLength(static_cast<std::streamsize>(b.size()));
      s.sendRequest(req) << b;
      Poco::Net::HTTPResponse resp;
      std::ostringstream answer;
      Poco::StreamCopier::copyStream(s.receiveResponse(resp), answer);
      out.setStatus(resp.getStatus());
      out.setContentType(resp.getContentType());
      out.setContentLength(static_cast<std::streamsize>(answer.str().size()));
      out.send() << answer.str();
    }

   private:
    Proxy* p_;
  };
  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(Proxy* p) : p_(p) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
      return new Handler(p_);
    }

   private:
    Proxy* p_;
  };

  std::string host_;
  uint16_t port_;
  Poco::Net::ServerSocket socket_;
  Poco::Net::HTTPServer server_;
};

Money usd(const char* text) { return Money::parse(text, "USD").value(); }

arsync::Application on_invoice(const char* number, const char* amount) {
  arsync::Application a;
  a.target_kind = DocumentKind::kInvoice;
  a.target_number = number;
  a.amount = usd(amount);
  a.discount = usd("0");
  return a;
}

arsync::Operation payment(const std::string& key, const char* total, std::vector<arsync::Application> apps) {
  arsync::Operation op;
  op.idempotency_key = key;
  op.action = "create";
  op.document.kind = DocumentKind::kPayment;
  op.document.customer_key = "1";
  op.document.amount = usd(total);
  op.document.issue_date = arsync::parse_date("2026-11-20").value();
  op.document.reference = "CHK-4471";
  op.document.applications = std::move(apps);
  return op;
}

class PushTest : public ::testing::Test {
 protected:
  PushTest()
      : emu_(QBO_EMULATOR_BIN, {"--listen", "127.0.0.1:0", "--realm", kRealm, "--access-token", "AT",
                                "--refresh-token", "RT", "--client-id", "CID", "--client-secret", "SECRET",
                                "--fixtures", QBO_FIXTURES_DIR}),
        proxy_(emu_.host(), emu_.port()) {
    net::OAuthSettings oauth;
    oauth.token_url = proxy_.base_url() + "/oauth2/v1/tokens/bearer";
    oauth.client_id = "CID";
    oauth.client_secret = "SECRET";
    net::ClientOptions options;
    options.base_url = proxy_.base_url();
    options.max_attempts = 2;
    options.backoff_base = std::chrono::milliseconds(10);
    tokens_ = std::make_unique<net::TokenKeeper>(oauth, &credentials_, &clock_, options);
    EXPECT_TRUE(tokens_->seed("RT").is_ok());
    qb::ApiSettings settings;
    settings.realm_id = kRealm;
    settings.http = options;
    api_ = std::make_unique<qb::QboApi>(settings, tokens_.get(),
                                        std::make_shared<net::RateGovernor>(net::RateLimits{}));
    // Someone else's client, straight to QuickBooks (not through the proxy).
    settings.http.base_url = emu_.base_url();
    direct_ = std::make_unique<qb::QboApi>(settings, tokens_.get(),
                                           std::make_shared<net::RateGovernor>(net::RateLimits{}));
  }

  qb::Entity invoice(const std::string& number) {
    auto page = api_->query("Invoice", "select * from Invoice where DocNumber = '" + number + "'");
    EXPECT_TRUE(page.is_ok()) << page.status().to_string();
    EXPECT_EQ(page.value().list.entities.size(), 1u);
    return page.value().list.entities.at(0);
  }
  long long payments() {
    auto n = api_->count("select count(*) from Payment");
    EXPECT_TRUE(n.is_ok()) << n.status().to_string();
    return n.is_ok() ? n.value() : -1;
  }
  static std::string field(const qb::Entity& e, std::string_view name) {
    return std::string(e.data.root().find(name).text());
  }

  arsync::testing::EmulatorProcess emu_;
  Proxy proxy_;
  arsync::SystemClock clock_;
  MemoryCredentials credentials_;
  std::unique_ptr<net::TokenKeeper> tokens_;
  std::unique_ptr<qb::QboApi> api_;
  std::unique_ptr<qb::QboApi> direct_;
};

TEST_F(PushTest, PaymentLinkedToInvoiceReducesItsBalance) {
  ASSERT_EQ(field(invoice("1070"), "Balance"), "150.0");
  auto r = qb::push(*api_, payment("pay-1", "100.00", {on_invoice("1070", "100.00")}));
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r.value().entity, "Payment");
  EXPECT_FALSE(r.value().id.empty());
  EXPECT_EQ(field(invoice("1070"), "Balance"), "50.0");

  auto read = api_->read("Payment", r.value().id);
  ASSERT_TRUE(read.is_ok()) << read.status().to_string();
  const auto line = read.value().data.root().find("Line").at(0);
  EXPECT_EQ(line.find("LinkedTxn").at(0).find("TxnId").text(), "239");
  EXPECT_EQ(line.find("LinkedTxn").at(0).find("TxnType").text(), "Invoice");
  EXPECT_EQ(field(read.value(), "PaymentRefNum"), "CHK-4471");
  EXPECT_EQ(field(read.value(), "TxnDate"), "2026-11-20");
  EXPECT_EQ(read.value().data.root().find("CustomerRef").find("value").text(), "1");
  EXPECT_EQ(read.value().data.root().find("CurrencyRef").find("value").text(), "USD");
}

TEST_F(PushTest, SameIdempotencyKeyTwiceCreatesOnePayment) {
  const long long before = payments();
  auto op = payment("pay-twice", "20.00", {on_invoice("1071", "20.00")});
  op.document.customer_key = "58";
  auto a = qb::push(*api_, op);
  auto b = qb::push(*api_, op);
  ASSERT_TRUE(a.is_ok()) << a.status().to_string();
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  EXPECT_EQ(a.value().id, b.value().id);
  EXPECT_EQ(payments(), before + 1);
  EXPECT_EQ(field(invoice("1071"), "Balance"), "1180.0");
}

TEST_F(PushTest, LongIdempotencyKeyIsDigestedStably) {
  const std::string key(80, 'k');
  const long long before = payments();
  const auto op = payment(key, "5.00", {on_invoice("1071", "5.00")});
  ASSERT_TRUE(qb::push(*api_, op).is_ok());
  ASSERT_TRUE(qb::push(*api_, op).is_ok());
  EXPECT_EQ(payments(), before + 1);
  EXPECT_EQ(qb::request_id_for(key).size(), 50u);
  EXPECT_EQ(qb::request_id_for(key), qb::request_id_for(std::string(80, 'k')));
  EXPECT_NE(qb::request_id_for(key), qb::request_id_for(std::string(79, 'k') + "j"));
  EXPECT_EQ(qb::request_id_for("short-key"), "short-key");
}

TEST_F(PushTest, AmountsAreWrittenExactly) {
  EXPECT_EQ(qb::json_amount(usd("1100")), "1100.00");
  EXPECT_EQ(qb::json_amount(usd("0.1")), "0.10");
  auto big = payment("pay-exact-1", "1234.56", {on_invoice("1071", "1200.00")});
  big.document.customer_key = "58";
  auto r = qb::push(*api_, big);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  auto read = api_->read("Payment", r.value().id);
  ASSERT_TRUE(read.is_ok());
  EXPECT_EQ(field(read.value(), "TotalAmt"), "1234.56");
  EXPECT_EQ(field(read.value(), "UnappliedAmt"), "34.56");
  EXPECT_EQ(field(invoice("1071"), "Balance"), "0.0");

  auto dime = payment("pay-exact-2", "0.10", {on_invoice("1037", "0.10")});
  dime.document.customer_key = "24";
  r = qb::push(*api_, dime);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  read = api_->read("Payment", r.value().id);
  ASSERT_TRUE(read.is_ok());
  EXPECT_EQ(field(read.value(), "TotalAmt"), "0.1");
  EXPECT_EQ(field(invoice("1037"), "Balance"), "361.97");
}

TEST_F(PushTest, CreditMemoIsCreated) {
  arsync::Operation op;
  op.idempotency_key = "cm-1";
  op.action = "create";
  op.document.kind = DocumentKind::kCreditMemo;
  op.document.customer_key = "24";
  op.document.document_number = "CM-88";
  op.document.amount = usd("1234.56");
  op.document.issue_date = arsync::parse_date("2026-11-21").value();
  auto r = qb::push(*api_, op, qb::PushSettings{"7"});
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r.value().entity, "CreditMemo");
  auto read = api_->read("CreditMemo", r.value().id);
  ASSERT_TRUE(read.is_ok());
  EXPECT_EQ(field(read.value(), "TotalAmt"), "1234.56");
  EXPECT_EQ(field(read.value(), "DocNumber"), "CM-88");
  const auto line = read.value().data.root().find("Line").at(0);
  EXPECT_EQ(line.find("SalesItemLineDetail").find("ItemRef").find("value").text(), "7");
  EXPECT_EQ(read.value().data.root().find("CustomerRef").find("value").text(), "24");
}

TEST_F(PushTest, ApplicationToUnknownInvoiceNamesTheNumber) {
  const long long before = payments();
  auto r = qb::push(*api_, payment("pay-unknown", "10.00", {on_invoice("9999", "10.00")}));
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), arsync::ErrorCode::kNotFound);
  EXPECT_NE(r.status().message().find("9999"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("Invoice"), std::string::npos) << r.status().message();
  EXPECT_EQ(payments(), before);
}

TEST_F(PushTest, NumberWithQuoteIsEscapedInTheLookup) {
  auto r = qb::push(*api_, payment("pay-quote", "10.00", {on_invoice("O'Brien-7", "10.00")}));
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), arsync::ErrorCode::kNotFound) << r.status().to_string();
  EXPECT_NE(r.status().message().find("O'Brien-7"), std::string::npos) << r.status().message();
}

TEST_F(PushTest, ApplicationWithDiscountIsRefused) {
  auto app = on_invoice("1070", "98.00");
  app.discount = usd("2.00");
  const long long before = payments();
  auto s = qb::push_operation(*api_, payment("pay-disc", "98.00", {app}));
  EXPECT_EQ(s.code(), arsync::ErrorCode::kInvalidArgument);
  EXPECT_NE(s.message().find("discount of 2.00"), std::string::npos) << s.message();
  EXPECT_EQ(payments(), before);
}

TEST_F(PushTest, ApplicationToCreditMemoLinksIt) {
  arsync::Application a;
  a.target_kind = DocumentKind::kCreditMemo;
  a.target_number = "1026";
  a.amount = usd("40.00");
  auto op = payment("pay-cm", "0.00", {on_invoice("1037", "40.00"), a});
  op.document.customer_key = "24";
  auto r = qb::push(*api_, op);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  auto read = api_->read("Payment", r.value().id);
  ASSERT_TRUE(read.is_ok());
  EXPECT_EQ(read.value().data.root().find("Line").at(1).find("LinkedTxn").at(0).find("TxnId").text(), "73");
  EXPECT_EQ(field(invoice("1037"), "Balance"), "322.07");
}

class PushUpdateTest : public PushTest {
 protected:
  // A payment of 30.00 on 1070, then an update of it to 60.00.
  arsync::Operation created_then_update() {
    auto r = qb::push(*api_, payment("pay-upd", "30.00", {on_invoice("1070", "30.00")}));
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    id_ = r.value().id;
    auto op = payment("pay-upd-2", "60.00", {on_invoice("1070", "60.00")});
    op.action = "update";
    op.document.external_id = id_;
    return op;
  }
  // Someone else edits the payment (its memo) directly at the emulator.
  void edit_elsewhere() {
    auto cur = direct_->read("Payment", id_);
    ASSERT_TRUE(cur.is_ok()) << cur.status().to_string();
    auto w = direct_->write("Payment",
                            R"({"Id":")" + id_ + R"(","SyncToken":")" + cur.value().sync_token +
                                R"(","sparse":true,"PrivateNote":"edited in QuickBooks"})",
                            "elsewhere-" + std::to_string(++edits_));
    ASSERT_TRUE(w.is_ok()) << w.status().to_string();
  }
  std::string id_;
  int edits_ = 0;
};

TEST_F(PushUpdateTest, UpdateSendsSparseChangeWithSyncToken) {
  const auto op = created_then_update();
  auto r = qb::push(*api_, op);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r.value().id, id_);
  EXPECT_EQ(r.value().sync_token, "1");
  EXPECT_EQ(field(invoice("1070"), "Balance"), "90.0");
}

TEST_F(PushUpdateTest, StaleSyncTokenIsReadAgainAndRetriedOnce) {
  const auto op = created_then_update();
  const int writes_before = proxy_.writes;
  bool edited = false;
  proxy_.before_write = [&](const std::string&) {
    if (!edited) {
      edited = true;
      edit_elsewhere();
    }
  };
  auto r = qb::push(*api_, op);
  proxy_.before_write = nullptr;
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(proxy_.writes - writes_before, 2);
  EXPECT_EQ(r.value().sync_token, "2");  // the other edit, then ours
  auto read = api_->read("Payment", id_);
  ASSERT_TRUE(read.is_ok());
  EXPECT_EQ(field(read.value(), "TotalAmt"), "60.0");
  EXPECT_EQ(field(read.value(), "PrivateNote"), "edited in QuickBooks");
}

TEST_F(PushUpdateTest, StaleSyncTokenTwiceIsConflict) {
  const auto op = created_then_update();
  const int writes_before = proxy_.writes;
  proxy_.before_write = [&](const std::string&) { edit_elsewhere(); };
  auto r = qb::push(*api_, op);
  proxy_.before_write = nullptr;
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), arsync::ErrorCode::kConflict) << r.status().to_string();
  EXPECT_NE(r.status().message().find("stale SyncToken twice"), std::string::npos) << r.status().message();
  EXPECT_EQ(proxy_.writes - writes_before, 2);
  EXPECT_EQ(field(invoice("1070"), "Balance"), "120.0");
}

TEST_F(PushTest, UpdateWithoutExternalIdIsInvalid) {
  auto op = payment("pay-x", "1.00", {});
  op.action = "update";
  auto s = qb::push_operation(*api_, op);
  EXPECT_EQ(s.code(), arsync::ErrorCode::kInvalidArgument);
  EXPECT_NE(s.message().find("external_id"), std::string::npos) << s.message();
}

TEST_F(PushTest, InvoiceIsNotWrittenBack) {
  auto op = payment("inv-x", "1.00", {});
  op.document.kind = DocumentKind::kInvoice;
  EXPECT_EQ(qb::push_operation(*api_, op).code(), arsync::ErrorCode::kInvalidArgument);
}

TEST_F(PushTest, DeleteRemovesThePayment) {
  auto r = qb::push(*api_, payment("pay-del", "10.00", {on_invoice("1070", "10.00")}));
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(field(invoice("1070"), "Balance"), "140.0");
  auto op = payment("pay-del-2", "10.00", {});
  op.action = "delete";
  op.document.external_id = r.value().id;
  const auto deleted = qb::push_operation(*api_, op);
  ASSERT_TRUE(deleted.is_ok()) << deleted.to_string();
  EXPECT_EQ(field(invoice("1070"), "Balance"), "150.0");
}

}  // namespace
