// QuickBooks response bodies as Intuit sends them (tests/fixtures/quickbooks)
// through the connector's parsers and the shipped mappings: exact amounts
// from JSON numbers, paging facts, CDC deletions, both Fault shapes, the
// cursor, and the linked document numbers added to payments.
#include "responses.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "arsync/mapping/mapping.h"
#include "sync_cursor.h"

namespace arsync::connectors::quickbooks {
namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(ARSYNC_SOURCE_DIR) + "/tests/fixtures/quickbooks/" + name, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const mapping::Mapping& shipped(const std::string& entity) {
  static const mapping::MappingSet set = [] {
    Result<mapping::MappingSet> s = mapping::MappingSet::load_dir(std::string(ARSYNC_SOURCE_DIR) + "/mappings/quickbooks");
    if (!s.is_ok()) throw std::runtime_error(s.status().to_string());
    return std::move(s).value();
  }();
  const mapping::Mapping* m = set.find(entity);
  if (m == nullptr) throw std::runtime_error("no shipped mapping for " + entity);
  return *m;
}

Document map(const std::string& entity, const Entity& e) {
  Result<Document> d = shipped(entity).apply(e.data, {"qbo-eu", entity, e.id, e.sync_token, "test"});
  if (!d.is_ok()) throw std::runtime_error(d.status().to_string());
  return std::move(d).value();
}

TEST(QboQueryResponse, EntitiesKeepTheirIdsTokensAndTimesInOrder) {
  Result<QueryPage> page = parse_query_response(fixture("query_invoices.json"), "Invoice", "page 1");
  ASSERT_TRUE(page.is_ok()) << page.status().to_string();
  const EntityList& l = page.value().list;
  ASSERT_EQ(l.entities.size(), 2u);
  EXPECT_EQ(l.entities[0].id, "130");
  EXPECT_EQ(l.entities[1].sync_token, "3");
  EXPECT_EQ(l.row_times, (std::vector<std::string>{"2026-11-01T09:02:15-07:00", "2026-11-04T16:12:09-07:00"}));
  EXPECT_EQ(page.value().time, "2026-11-05T10:01:42.112-08:00");
  EXPECT_NE(l.entities[0].json.find("\"TotalAmt\":1190.00"), std::string::npos) << "numbers keep their text";
}

TEST(QboQueryResponse, AmountsFromJsonNumbersMapToExactMinorUnits) {
  Result<QueryPage> page = parse_query_response(fixture("query_invoices.json"), "Invoice", "page 1");
  ASSERT_TRUE(page.is_ok());
  const Document first = map("Invoice", page.value().list.entities[0]);
  EXPECT_EQ(first.amount.minor_units(), 119000);
  EXPECT_EQ(first.amount.currency().code(), "EUR");
  EXPECT_EQ(first.tax_amount.minor_units(), 19000);
  EXPECT_EQ(first.open_amount.minor_units(), 119000);
  EXPECT_EQ(first.match_key, "90001234");
  EXPECT_EQ(first.document_number, "0090001234");
  EXPECT_EQ(first.customer_key, "21");
  EXPECT_EQ(first.status, DocumentStatus::kOpen);
  EXPECT_EQ(format_date(*first.due_date), "2026-12-01");
  // 12345678901234567.89 has more digits than a double holds.
  const Document second = map("Invoice", page.value().list.entities[1]);
  EXPECT_EQ(second.amount.minor_units(), 1234567890123456789LL);
  EXPECT_EQ(second.open_amount.minor_units(), 0);
  EXPECT_EQ(second.status, DocumentStatus::kPaid) << "a zero balance is paid";
}

TEST(QboQueryResponse, APagePastTheEndIsEmptyNotAnError) {
  Result<QueryPage> page =
      parse_query_response(R"({"QueryResponse":{},"time":"2026-11-05T10:01:42.112-08:00"})", "Invoice", "p");
  ASSERT_TRUE(page.is_ok()) << page.status().to_string();
  EXPECT_EQ(page.value().list.rows(), 0u);
}

TEST(QboQueryResponse, RowsOfAnotherEntityOrNoQueryResponseAreErrors) {
  Result<QueryPage> other = parse_query_response(R"({"QueryResponse":{"Payment":[{"Id":"1"}]}})", "Invoice", "p");
  ASSERT_FALSE(other.is_ok());
  EXPECT_NE(other.status().message().find("holds 'Payment' rows, expected 'Invoice'"), std::string::npos);
  Result<QueryPage> none = parse_query_response(R"({"Invoice":{"Id":"1"}})", "Invoice", "p");
  EXPECT_FALSE(none.is_ok());
}

TEST(QboQueryResponse, TruncatedJsonIsAParseErrorNamingTheSource) {
  const std::string body = fixture("query_invoices.json");
  Result<QueryPage> page = parse_query_response(body.substr(0, body.size() / 2), "Invoice", "query Invoice page 7");
  ASSERT_FALSE(page.is_ok());
  EXPECT_EQ(page.status().code(), ErrorCode::kParseError);
  EXPECT_NE(page.status().to_string().find("query Invoice page 7"), std::string::npos) << page.status().to_string();
}

TEST(QboQueryResponse, AnEntityWithoutAnIdIsRejectedAndTheOthersKept) {
  Result<QueryPage> page = parse_query_response(
      R"({"QueryResponse":{"Invoice":[{"DocNumber":"1"},{"Id":"2","SyncToken":"0"}],"startPosition":1,"maxResults":2}})",
      "Invoice", "p");
  ASSERT_TRUE(page.is_ok());
  ASSERT_EQ(page.value().list.bad.size(), 1u);
  EXPECT_EQ(page.value().list.bad[0].error.where().field, "Id");
  EXPECT_EQ(page.value().list.bad[0].json, R"({"DocNumber":"1"})");
  ASSERT_EQ(page.value().list.entities.size(), 1u);
  EXPECT_EQ(page.value().list.rows(), 2u) << "a bad row still takes its place in the page";
}

// A byte that is not UTF-8 (0xE9: "Café" in ISO-8859-1) costs its entity,
// not the page: the others are read, and the bad one is rejected naming the
// field, with its bytes kept as received.
TEST(QboQueryResponse, AnEntityWithBytesThatAreNotUtf8IsRejectedAndTheOthersKept) {
  const std::string body = "{\"QueryResponse\":{\"Invoice\":["
                           "{\"Id\":\"1\",\"SyncToken\":\"0\",\"DocNumber\":\"1001\"},"
                           "{\"Id\":\"2\",\"SyncToken\":\"3\",\"CustomerRef\":{\"value\":\"7\",\"name\":\"Caf\xE9 \xFF\xFEOK\"}},"
                           "{\"Id\":\"3\",\"SyncToken\":\"0\",\"Line\":[{\"Amount\":5},{\"Description\":\"\xC3\"}]},"
                           "{\"Id\":\"4\",\"SyncToken\":\"0\",\"DocNumber\":\"1004\"}],"
                           "\"startPosition\":1,\"maxResults\":4}}";
  Result<QueryPage> page = parse_query_response(body, "Invoice", "query Invoice page 1");
  ASSERT_TRUE(page.is_ok()) << page.status().to_string();
  const EntityList& list = page.value().list;
  ASSERT_EQ(list.entities.size(), 2u);
  EXPECT_EQ(list.entities[0].id, "1");
  EXPECT_EQ(list.entities[1].id, "4");
  EXPECT_EQ(list.rows(), 4u);
  ASSERT_EQ(list.bad.size(), 2u);
  EXPECT_EQ(list.bad[0].id, "2");
  EXPECT_EQ(list.bad[0].error.code(), ErrorCode::kParseError);
  EXPECT_EQ(list.bad[0].error.where().field, "CustomerRef.name");
  EXPECT_EQ(list.bad[0].error.where().segment, "Invoice");
  EXPECT_EQ(list.bad[0].error.where().record, "2");
  EXPECT_NE(list.bad[0].error.message().find("not valid UTF-8 (bytes E9)"), std::string::npos)
      << list.bad[0].error.message();
  EXPECT_NE(list.bad[0].error.to_string().find("query Invoice page 1"), std::string::npos);
  EXPECT_NE(list.bad[0].json.find("\"name\":\"Caf\xE9 \xFF\xFEOK\""), std::string::npos)
      << "the kept JSON has the bytes as received: " << list.bad[0].json;
  EXPECT_EQ(list.bad[1].id, "3");
  EXPECT_EQ(list.bad[1].error.where().field, "Line[1].Description");
  EXPECT_NE(list.bad[1].json.find("\"Description\":\"\xC3\""), std::string::npos) << list.bad[1].json;
}

// The marker that stands for bad bytes is one the body does not hold: a
// body with U+FDD0 (raw and escaped) reads that entity as it is.
TEST(QboQueryResponse, TextThatLooksLikeTheMarkerIsNotTakenForBadBytes) {
  const std::string body = "{\"QueryResponse\":{\"Invoice\":["
                           "{\"Id\":\"1\",\"SyncToken\":\"0\",\"Memo\":\"\xEF\xB7\x90 and \\uFDD1\"},"
                           "{\"Id\":\"2\",\"SyncToken\":\"0\",\"Memo\":\"\x80\"}]}}";
  Result<QueryPage> page = parse_query_response(body, "Invoice", "p");
  ASSERT_TRUE(page.is_ok()) << page.status().to_string();
  ASSERT_EQ(page.value().list.entities.size(), 1u);
  EXPECT_EQ(page.value().list.entities[0].data.root().find("Memo").text(), "\xEF\xB7\x90 and \xEF\xB7\x91");
  ASSERT_EQ(page.value().list.bad.size(), 1u);
  EXPECT_EQ(page.value().list.bad[0].id, "2");
}

// Bad bytes outside a string break the JSON: the error gives their offset
// in the body as received.
TEST(QboQueryResponse, BytesThatAreNotUtf8OutsideAStringFailThePageAtTheirOffset) {
  const std::string body = "{\"QueryResponse\":{\"Invoice\":[\xE9]}}";
  Result<QueryPage> page = parse_query_response(body, "Invoice", "p");
  ASSERT_FALSE(page.is_ok());
  EXPECT_NE(page.status().message().find("not valid UTF-8 at byte 29"), std::string::npos)
      << page.status().message();
}

TEST(QboCdcResponse, AnEntityWithBytesThatAreNotUtf8IsRejectedAndTheOthersKept) {
  const std::string body = "{\"CDCResponse\":[{\"QueryResponse\":[{\"Invoice\":["
                           "{\"Id\":\"\xE9\",\"SyncToken\":\"0\"},{\"Id\":\"5\",\"SyncToken\":\"1\"}]},"
                           "{\"Payment\":[{\"Id\":\"9\",\"SyncToken\":\"0\"}]}]}],\"time\":\"t\"}";
  Result<CdcResult> cdc = parse_cdc_response(body, "cdc");
  ASSERT_TRUE(cdc.is_ok()) << cdc.status().to_string();
  const EntityList& invoices = cdc.value().by_entity.at("Invoice");
  ASSERT_EQ(invoices.entities.size(), 1u);
  EXPECT_EQ(invoices.entities[0].id, "5");
  ASSERT_EQ(invoices.bad.size(), 1u);
  EXPECT_EQ(invoices.bad[0].id, "") << "an Id that is not UTF-8 is not given as the id";
  EXPECT_EQ(invoices.bad[0].error.where().field, "Id");
  EXPECT_EQ(invoices.bad[0].json, "{\"Id\":\"\xE9\",\"SyncToken\":\"0\"}");
  EXPECT_EQ(cdc.value().by_entity.at("Payment").entities.size(), 1u);
}

// A delete's answer is the entity's id with status Deleted: an Entity
// marked deleted, not an error.
TEST(QboEntityResponse, ADeletesAnswerIsADeletedEntity) {
  Result<Entity> gone = parse_entity_response(
      R"({"Payment":{"domain":"QBO","status":"Deleted","Id":"173"},"time":"2026-11-25T10:00:00.000-08:00"})",
      "Payment", "delete Payment");
  ASSERT_TRUE(gone.is_ok()) << gone.status().to_string();
  EXPECT_TRUE(gone.value().deleted);
  EXPECT_EQ(gone.value().id, "173");
  Result<Entity> read = parse_entity_response(R"({"Payment":{"Id":"174","SyncToken":"2"}})", "Payment", "read");
  ASSERT_TRUE(read.is_ok());
  EXPECT_FALSE(read.value().deleted);
  EXPECT_EQ(read.value().sync_token, "2");
}

TEST(QboQueryResponse, CountReadsTotalCount) {
  Result<long long> n = parse_count_response(R"({"QueryResponse":{"totalCount":2718},"time":"x"})", "count");
  ASSERT_TRUE(n.is_ok());
  EXPECT_EQ(n.value(), 2718);
  EXPECT_FALSE(parse_count_response(R"({"QueryResponse":{}})", "count").is_ok());
}

TEST(QboCdcResponse, ChangesAndDeletionsByEntity) {
  Result<CdcResult> cdc = parse_cdc_response(fixture("cdc_invoices_payments.json"), "cdc");
  ASSERT_TRUE(cdc.is_ok()) << cdc.status().to_string();
  const CdcResult& c = cdc.value();
  EXPECT_EQ(c.rows(), 3u);
  const EntityList& invoices = c.by_entity.at("Invoice");
  ASSERT_EQ(invoices.entities.size(), 1u);
  EXPECT_EQ(invoices.deleted, std::vector<std::string>{"140"});
  EXPECT_EQ(c.by_entity.at("Payment").entities.at(0).id, "201");
  EXPECT_EQ(c.time, "2026-11-06T09:05:00.441-08:00");
  const Document inv = map("Invoice", invoices.entities[0]);
  EXPECT_EQ(inv.amount.minor_units(), 36207);
  EXPECT_EQ(inv.open_amount.minor_units(), 10) << "0.1 is ten cents, exactly";
}

TEST(QboPayment, LinkedTransactionsGetTheirDocumentNumbersAndMapToApplications) {
  Result<CdcResult> cdc = parse_cdc_response(fixture("cdc_invoices_payments.json"), "cdc");
  ASSERT_TRUE(cdc.is_ok());
  Entity payment = cdc.value().by_entity.at("Payment").entities.at(0);
  payment.data = with_linked_numbers(payment.data, [](std::string_view type, std::string_view id) {
    return type == "Invoice" && id == "130" ? std::optional<std::string>("0090001234") : std::nullopt;
  });
  EXPECT_EQ(payment.data.root().find("Line").at(0).find("LinkedTxn").at(0).find("TxnDocNumber").text(),
            "0090001234");
  const Document d = map("Payment", payment);
  EXPECT_EQ(d.kind, DocumentKind::kPayment);
  EXPECT_EQ(d.match_key, "PAY-2026-00871");
  EXPECT_EQ(d.amount.minor_units(), 110000);
  EXPECT_EQ(d.open_amount.minor_units(), 0);
  ASSERT_EQ(d.applications.size(), 1u);
  EXPECT_EQ(d.applications[0].target_match_key, "90001234");
  EXPECT_EQ(d.applications[0].target_kind, DocumentKind::kInvoice);
  EXPECT_EQ(d.applications[0].amount.minor_units(), 110000);
}

TEST(QboFault, TheValidationShapeNamesTypeCodeAndMessage) {
  Status s = read_fault(400, fixture("fault_validation.json"));
  EXPECT_EQ(s.code(), ErrorCode::kConflict) << "5010 is a stale SyncToken";
  EXPECT_EQ(s.message().rfind("QuickBooks ValidationFault 5010: Stale Object Error: Stale Object Error : You", 0), 0u)
      << s.message();
  EXPECT_EQ(s.where().http_status, 400);
  Status parser = read_fault(400, fixture("fault_query_parser.json"));
  EXPECT_EQ(parser.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(parser.message().find("QueryParserError"), std::string::npos);
}

TEST(QboFault, TheLowercaseAuthenticationShapeIsAnAuthError) {
  Status s = read_fault(401, fixture("fault_authentication.json"));
  EXPECT_EQ(s.code(), ErrorCode::kAuthError);
  EXPECT_EQ(s.message().rfind("QuickBooks AUTHENTICATION 3200: message=AuthenticationFailed", 0), 0u) << s.message();
}

TEST(QboFault, ThrottlingIsRetryableAndABodyThatIsNoFaultIsQuoted) {
  Status t = read_fault(429, R"({"Fault":{"Error":[{"Message":"message=ThrottleExceeded; errorCode=003001; statusCode=429","code":"003001"}],"type":"SERVICE"}})");
  EXPECT_EQ(t.code(), ErrorCode::kRateLimited);
  EXPECT_TRUE(t.retryable());
  Status html = read_fault(502, "<html>Bad Gateway</html>");
  EXPECT_EQ(html.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(html.message(), "QuickBooks answered HTTP 502: <html>Bad Gateway</html>");
}

TEST(QboCursor, RoundTripsAndRefusesWhatItDidNotWrite) {
  SyncCursor c;
  c.entities["Invoice"] = {EntityCursor::Mode::kQuery, "2026-11-01T09:02:15-07:00", 3, "130", "2026-11-05T10:00:00Z"};
  c.entities["Payment"] = {EntityCursor::Mode::kCdc, "2026-11-06T09:00:00+00:00", 0, "", ""};
  Result<SyncCursor> back = SyncCursor::parse(c.to_text());
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(back.value().to_text(), c.to_text());
  EXPECT_EQ(back.value().entities.at("Invoice").skip, 3u);
  EXPECT_EQ(back.value().entities.at("Invoice").last_id, "130");
  EXPECT_TRUE(SyncCursor::parse("").is_ok());
  Result<SyncCursor> foreign = SyncCursor::parse(R"({"file":"x.xml"})");
  ASSERT_FALSE(foreign.is_ok());
  EXPECT_NE(foreign.status().message().find("reset it"), std::string::npos);
}

}  // namespace
}  // namespace arsync::connectors::quickbooks
