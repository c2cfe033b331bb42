// Mapping files: compile errors (where and what), apply errors (exact
// Location), defaults, and MappingSet.
#include "arsync/mapping/mapping.h"

#include <gtest/gtest.h>

#include "record_of.h"

#include <filesystem>
#include <fstream>

namespace arsync::mapping {
namespace {

using nlohmann::json;

// A minimal valid mapping; `extra_fields` is spliced into "fields".
std::string minimal(const std::string& extra_fields = "", const std::string& tail = "") {
  return R"J({
  "connector": "sap_idoc",
  "entities": ["INVOIC02"],
  "kind": "invoice",
  "fields": {
    "document_number": "E1EDK02[QUALF=009].BELNR",
    "match_key": {"path": "E1EDK02[QUALF=009].BELNR", "transforms": ["strip_leading_zeros"]},
    "currency": "E1EDK01.CURCY",
    "amount": "E1EDS01[SUMID=011].SUMME")J" +
         extra_fields + "}" + tail + "}";
}

json invoice() {
  return json::parse(R"J({
    "EDI_DC40": {"DOCNUM": "0000000000451234", "IDOCTYP": "INVOIC02"},
    "E1EDK01": [{"CURCY": "EUR"}],
    "E1EDKA1": [{"PARVW": "AG", "PARTN": "0000100042"}],
    "E1EDK02": [{"QUALF": "009", "BELNR": "0090001234", "DATUM": "20261101"}],
    "E1EDP01": [{"POSEX": "000010"}, {"POSEX": "000020"}],
    "E1EDS01": [{"SUMID": "011", "SUMME": "1190.00"}]
  })J");
}

RecordMeta meta() {
  RecordMeta m;
  m.system = "sap-ecc";
  m.entity = "INVOIC02";
  m.external_id = "0000000000451234";
  m.version = "0000000000451234";
  m.source = "/var/spool/arsync/in/inv.xml";
  return m;
}

Mapping compiled(const std::string& text) {
  Result<Mapping> m = Mapping::compile(text, "m.json");
  EXPECT_TRUE(m.is_ok()) << m.status().to_string();
  return m.is_ok() ? *m : Mapping();
}

Status compile_error(const std::string& text) {
  Result<Mapping> m = Mapping::compile(text, "m.json");
  EXPECT_FALSE(m.is_ok());
  EXPECT_EQ(m.status().code(), ErrorCode::kMappingError);
  EXPECT_EQ(m.status().where().file, "m.json");
  return m.status();
}

Status apply_error(const Mapping& m, const json& record) {
  Result<Document> d = m.apply(record_of(record), meta());
  EXPECT_FALSE(d.is_ok());
  EXPECT_EQ(d.status().code(), ErrorCode::kMappingError);
  return d.status();
}

// --- compile -------------------------------------------------------------------

TEST(MappingCompileTest, MinimalMappingCompiles) {
  Mapping m = compiled(minimal());
  EXPECT_EQ(m.file(), "m.json");
  EXPECT_EQ(m.connector_type(), "sap_idoc");
  EXPECT_EQ(m.entities(), std::vector<std::string>{"INVOIC02"});
}

TEST(MappingCompileTest, CommentsAreAllowed) {
  compiled("// header comment\n/* block */\n" + minimal(", // trailing\n \"terms\": \"E1EDK01.ZTERM\""));
}

TEST(MappingCompileTest, JsonSyntaxErrorNamesLine) {
  Status st = compile_error("{\n  \"connector\": \"sap_idoc\",\n  \"entities\": [\"X\"\n}\n");
  EXPECT_EQ(st.where().line, 4);
  EXPECT_EQ(st.message().rfind("invalid JSON at line 4, column 1: ", 0), 0u) << st.message();
}

// Found by mapping_fuzz: nlohmann throws out_of_range, not parse_error, for
// a number a double cannot hold, and compile let it escape.
TEST(MappingCompileTest, NumberBeyondDoubleIsAnErrorNotAnException) {
  Status st = compile_error(minimal(", \"description\": 1e999"));
  EXPECT_NE(st.message().find("invalid JSON: number overflow parsing '1e999'"), std::string::npos)
      << st.message();
}

TEST(MappingCompileTest, UnknownTopLevelKeyIsAnError) {
  Status st = compile_error(minimal("", R"(, "field": {})"));
  EXPECT_EQ(st.where().mapping_path, "field");
  EXPECT_EQ(st.message(),
            "unknown key 'field' (allowed: connector, entities, kind, fields, applications, "
            "skip, description)");
}

TEST(MappingCompileTest, MissingConnectorIsAnError) {
  Status st = compile_error(R"({"entities": ["X"], "kind": "invoice", "fields": {}})");
  EXPECT_EQ(st.where().mapping_path, "connector");
  EXPECT_EQ(st.message(), "\"connector\" must name the connector type, such as \"sap_idoc\"");
}

TEST(MappingCompileTest, MissingEntitiesIsAnError) {
  Status st = compile_error(R"({"connector": "x", "kind": "invoice", "fields": {}})");
  EXPECT_EQ(st.where().mapping_path, "entities");
}

TEST(MappingCompileTest, MissingKindIsAnError) {
  Status st = compile_error(R"({"connector": "x", "entities": ["X"], "fields": {}})");
  EXPECT_EQ(st.where().mapping_path, "kind");
  EXPECT_EQ(st.message(),
            "\"kind\" is required: a kind name (customer, invoice, credit_memo, debit_memo, "
            "payment, refund, write_off) or a field spec that yields one");
}

TEST(MappingCompileTest, UnknownKindConstantIsAnError) {
  std::string text = minimal();
  text.replace(text.find("\"invoice\""), 9, "\"bill\"");
  Status st = compile_error(text);
  EXPECT_EQ(st.where().mapping_path, "kind");
  EXPECT_EQ(st.message().rfind("unknown kind 'bill' (allowed: customer, invoice,", 0), 0u);
}

TEST(MappingCompileTest, MissingRequiredFieldSpecIsAnError) {
  Status st = compile_error(R"({"connector": "x", "entities": ["X"], "kind": "invoice",
      "fields": {"document_number": "A", "match_key": "A", "currency": "C"}})");
  EXPECT_EQ(st.where().mapping_path, "fields.amount");
  EXPECT_EQ(st.message(),
            "the field \"amount\" is required: give it a spec (a path, or {\"value\": ...})");
}

TEST(MappingCompileTest, UnknownFieldIsAnError) {
  Status st = compile_error(minimal(R"(, "due": "E1EDK03.DATUM")"));
  EXPECT_EQ(st.where().mapping_path, "fields.due");
  EXPECT_EQ(st.message().rfind("unknown field 'due' (allowed: currency, external_id, ", 0), 0u)
      << st.message();
}

TEST(MappingCompileTest, BadPathSyntaxNamesMappingPath) {
  Status st = compile_error(minimal(R"(, "terms": {"path": "E1EDK01[ZTERM"})"));
  EXPECT_EQ(st.where().mapping_path, "fields.terms.path");
  EXPECT_EQ(st.message(),
            "invalid path 'E1EDK01[ZTERM': '[' without ']' at position 8 (a step is NAME, "
            "NAME[FIELD=VALUE], NAME[*] or NAME[N], steps separated by '.')");
}

TEST(MappingCompileTest, BadAlternativePathNamesItsIndex) {
  Status st = compile_error(minimal(R"(, "customer_key": {"path": ["E1EDKA1[PARVW=RG].PARTN", "E1EDKA1..PARTN"]})"));
  EXPECT_EQ(st.where().mapping_path, "fields.customer_key.path[1]");
}

TEST(MappingCompileTest, StarPathInAFieldNeedsJoin) {
  Status st = compile_error(minimal(R"(, "reference": "E1EDP01[*].POSEX")"));
  EXPECT_EQ(st.where().mapping_path, "fields.reference");
  EXPECT_EQ(st.message(),
            "path 'E1EDP01[*].POSEX' selects every element ('[*]'): use it in an \"each\" "
            "block, or add \"join\" to join the values into one text");
}

TEST(MappingCompileTest, FieldSpecWithTwoSourcesIsAnError) {
  Status st = compile_error(minimal(R"(, "terms": {"path": "A", "value": "B"})"));
  EXPECT_EQ(st.where().mapping_path, "fields.terms");
  EXPECT_EQ(st.message(),
            "a field spec needs exactly one of \"path\", \"value\" or \"concat\" (found 2)");
}

TEST(MappingCompileTest, UnknownFieldSpecKeyIsAnError) {
  Status st = compile_error(minimal(R"(, "terms": {"path": "A", "transform": ["trim"]})"));
  EXPECT_EQ(st.message(),
            "unknown key 'transform' in a field spec (allowed: path, value, concat, transforms, "
            "default, required, join, when)");
}

TEST(MappingCompileTest, OptionalCurrencyIsAnError) {
  std::string text = minimal();
  text.replace(text.find("\"E1EDK01.CURCY\""), 15, R"({"path": "E1EDK01.CURCY", "required": false})");
  Status st = compile_error(text);
  EXPECT_EQ(st.where().mapping_path, "fields.currency");
}

TEST(MappingCompileTest, ApplicationsNeedEach) {
  Status st = compile_error(minimal("", R"(, "applications": {"fields": {}})"));
  EXPECT_EQ(st.where().mapping_path, "applications.each");
}

TEST(MappingLoadTest, MissingFileIsAnIoError) {
  Result<Mapping> m = Mapping::load("/nonexistent/x.json");
  ASSERT_FALSE(m.is_ok());
  EXPECT_EQ(m.status().code(), ErrorCode::kIoError);
  EXPECT_EQ(m.status().where().file, "/nonexistent/x.json");
}

// --- apply -------------------------------------------------------------------------

TEST(MappingApplyTest, MapsFieldsAndIdentity) {
  Result<Document> d = compiled(minimal()).apply(record_of(invoice()), meta());
  ASSERT_TRUE(d.is_ok()) << d.status().to_string();
  EXPECT_EQ(d->system, "sap-ecc");
  EXPECT_EQ(d->kind, DocumentKind::kInvoice);
  EXPECT_EQ(d->external_id, "0000000000451234");  // no external_id spec: the record's id
  EXPECT_EQ(d->version, "0000000000451234");
  EXPECT_EQ(d->document_number, "0090001234");
  EXPECT_EQ(d->match_key, "90001234");
  EXPECT_EQ(d->amount, Money(119000, *Currency::find("EUR")));
  EXPECT_EQ(d->open_amount, d->amount);  // defaults to the amount
  EXPECT_EQ(d->tax_amount, Money(0, *Currency::find("EUR")));
  EXPECT_EQ(d->status, DocumentStatus::kOpen);
  EXPECT_FALSE(d->due_date.has_value());
}

TEST(MappingApplyTest, RequiredFieldMissingSaysWhere) {
  json record = invoice();
  record["E1EDK02"][0]["QUALF"] = "001";
  Status st = apply_error(compiled(minimal()), record);
  EXPECT_EQ(st.message(), "required field is missing");
  EXPECT_EQ(st.where().file, "m.json");
  EXPECT_EQ(st.where().record, "0000000000451234");
  EXPECT_EQ(st.where().field, "E1EDK02[QUALF=009].BELNR");
  EXPECT_EQ(st.where().mapping_path, "fields.document_number");
  EXPECT_EQ(st.to_string(),
            "mapping error: required field is missing (at file m.json, record 0000000000451234, "
            "field E1EDK02[QUALF=009].BELNR, mapping path fields.document_number)");
}

TEST(MappingApplyTest, InvalidAmountWrapsMoneyError) {
  json record = invoice();
  record["E1EDS01"][0]["SUMME"] = "12,5x";
  Status st = apply_error(compiled(minimal()), record);
  EXPECT_EQ(st.message(), "invalid amount '12,5x': unexpected character ',' (expected digits and one '.')");
  EXPECT_EQ(st.where().mapping_path, "fields.amount");
  EXPECT_EQ(st.where().field, "E1EDS01[SUMID=011].SUMME");
  EXPECT_EQ(st.where().record, "0000000000451234");
}

TEST(MappingApplyTest, UnknownCurrencyNamesCurrencyPath) {
  json record = invoice();
  record["E1EDK01"][0]["CURCY"] = "EUX";
  Status st = apply_error(compiled(minimal()), record);
  EXPECT_EQ(st.message(), "unknown currency code 'EUX' (expected an ISO 4217 code such as USD, EUR, JPY)");
  EXPECT_EQ(st.where().field, "E1EDK01.CURCY");
  EXPECT_EQ(st.where().mapping_path, "fields.currency");
}

TEST(MappingApplyTest, InvalidDateWrapsDateError) {
  json record = invoice();
  Status st = apply_error(compiled(minimal(R"(, "issue_date": "E1EDKA1.PARTN")")), record);
  EXPECT_EQ(st.message(), "invalid date '0000100042' (expected YYYY-MM-DD or YYYYMMDD)");
  EXPECT_EQ(st.where().mapping_path, "fields.issue_date");
}

TEST(MappingApplyTest, InvalidStatusListsAllowed) {
  Status st = apply_error(compiled(minimal(R"(, "status": {"value": "closed"})")), invoice());
  EXPECT_EQ(st.message(), "invalid status 'closed' (allowed: open, partially_paid, paid, void, deleted)");
  EXPECT_EQ(st.where().mapping_path, "fields.status");
}

TEST(MappingApplyTest, KindFromLookupWithUnknownValueIsAnError) {
  std::string text = minimal();
  text.replace(text.find("\"invoice\""), 9,
               R"({"path": "EDI_DC40.IDOCTYP", "transforms": [{"lookup": {"INVOIC02": "bill"}}]})");
  Status st = apply_error(compiled(text), invoice());
  EXPECT_EQ(st.message(),
            "invalid document kind 'bill' (allowed: customer, invoice, credit_memo, debit_memo, "
            "payment, refund, write_off)");
  EXPECT_EQ(st.where().mapping_path, "kind");
  EXPECT_EQ(st.where().field, "EDI_DC40.IDOCTYP");
}

TEST(MappingApplyTest, PathAlternativesTakeFirstFound) {
  Result<Document> d = compiled(minimal(
      R"(, "customer_key": {"path": ["E1EDKA1[PARVW=RG].PARTN", "E1EDKA1[PARVW=AG].PARTN"], "transforms": ["strip_leading_zeros"]})"))
                           .apply(record_of(invoice()), meta());
  ASSERT_TRUE(d.is_ok()) << d.status().to_string();
  EXPECT_EQ(d->customer_key, "100042");
}

TEST(MappingApplyTest, JoinCollectsEveryValue) {
  Result<Document> d =
      compiled(minimal(R"(, "reference": {"path": "E1EDP01[*].POSEX", "join": ","})")).apply(record_of(invoice()), meta());
  ASSERT_TRUE(d.is_ok()) << d.status().to_string();
  EXPECT_EQ(d->reference, "000010,000020");
}

TEST(MappingApplyTest, FieldDefaultAppliesWhenMissing) {
  Result<Document> d =
      compiled(minimal(R"(, "terms": {"path": "E1EDK01.ZTERM", "default": "ZB00"})")).apply(record_of(invoice()), meta());
  ASSERT_TRUE(d.is_ok()) << d.status().to_string();
  EXPECT_EQ(d->terms, "ZB00");
}

TEST(MappingApplyTest, RequiredFalseAllowsMissingAmount) {
  std::string text = minimal();
  text.replace(text.find("\"E1EDS01[SUMID=011].SUMME\""), 26,
               R"({"path": "E1EDS01[SUMID=999].SUMME", "required": false})");
  Result<Document> d = compiled(text).apply(record_of(invoice()), meta());
  ASSERT_TRUE(d.is_ok()) << d.status().to_string();
  EXPECT_TRUE(d->amount.is_zero());
  EXPECT_EQ(d->currency(), "EUR");
}

TEST(MappingApplyTest, ObjectWhereValueExpectedIsAnError) {
  Status st = apply_error(compiled(minimal(R"(, "terms": "E1EDK01")")), invoice());
  EXPECT_EQ(st.message(), "path 'E1EDK01' selects an object or list, not a value");
  EXPECT_EQ(st.where().mapping_path, "fields.terms");
}

const char* kPaymentTail = R"J(, "applications": {"each": "LINE[*]", "fields": {
    "target_match_key": {"path": "DOC", "transforms": ["strip_leading_zeros"]},
    "amount": "PAID", "discount": "DISC", "target_kind": {"value": "invoice"},
    "target_number": {"concat": [{"path": "$.E1EDK01.CURCY"}, "-", {"path": "DOC"}]}}})J";

json payment() {
  json r = invoice();
  r["LINE"] = json::parse(R"J([{"DOC": "0090000001", "PAID": "1000.00", "DISC": "10.00"},
                               {"DOC": "0090000002", "PAID": "90.00"}])J");
  return r;
}

// fields_read covers paths in alternatives, filters, concat parts, the
// add_days path, "each" with paths relative to its element, and `$.` paths
// inside "each" (read from the root).
TEST(MappingFieldsReadTest, EveryPathTheMappingReadsIsSelected) {
  const Mapping m = compiled(minimal(
      R"(, "customer_key": {"path": ["E1EDKA1[PARVW=RG].PARTN", "E1EDKA1[PARVW=AG].PARTN"]},)"
      R"( "due_date": {"path": "E1EDK02[QUALF=009].DATUM", "transforms": [{"date": "YYYYMMDD"},)"
      R"( {"add_days": "E1EDK18[QUALF=001].TAGE"}]},)"
      R"( "reference": {"concat": [{"path": "E1EDK01.BELNR"}, "/", {"path": "E1EDP01[1].POSEX"}]})",
      kPaymentTail));
  EXPECT_EQ(m.fields_read().to_string(),
            "{E1EDK01: {BELNR, CURCY}, E1EDK02: {BELNR, DATUM, QUALF}, E1EDK18: {QUALF, TAGE}, "
            "E1EDKA1: {PARTN, PARVW}, E1EDP01: {POSEX}, E1EDS01: {SUMID, SUMME}, "
            "LINE: {DISC, DOC, PAID}}");
  // The record cut down to it maps to the same document.
  json record = payment();
  record["E1EDK18"] = json::parse(R"J([{"QUALF": "001", "TAGE": "30"}])J");
  record["E1EDKA1"][0]["NAME1"] = "not read";
  record["E1EDK01"][0]["BELNR"] = "0090001234";
  Result<Document> whole = m.apply(record_of(record), meta());
  Result<Document> cut = m.apply(cut_to_selection(record_of(record), m.fields_read()), meta());
  ASSERT_TRUE(whole.is_ok()) << whole.status().to_string();
  ASSERT_TRUE(cut.is_ok()) << cut.status().to_string();
  EXPECT_EQ(content_hash(*whole), content_hash(*cut));
  EXPECT_EQ(whole->reference, "0090001234/000020");
  ASSERT_EQ(cut->applications.size(), 2u);
  EXPECT_EQ(cut->applications[0].target_number, "EUR-0090000001");
}

TEST(MappingApplyTest, ApplicationsOnePerElement) {
  Result<Document> d = compiled(minimal("", kPaymentTail)).apply(record_of(payment()), meta());
  ASSERT_TRUE(d.is_ok()) << d.status().to_string();
  ASSERT_EQ(d->applications.size(), 2u);
  EXPECT_EQ(d->applications[0].target_match_key, "90000001");
  EXPECT_EQ(d->applications[0].target_number, "EUR-0090000001");  // $. reads the root
  EXPECT_EQ(d->applications[0].amount.to_decimal(), "1000.00");
  EXPECT_EQ(d->applications[0].discount.to_decimal(), "10.00");
  EXPECT_EQ(d->applications[1].discount.to_decimal(), "0.00");
  // Unmapped open amount: amount minus what is applied (1190 - 1090).
  EXPECT_EQ(d->open_amount.to_decimal(), "100.00");
}

TEST(MappingApplyTest, ApplicationErrorNamesElement) {
  json record = payment();
  record["LINE"][1].erase("PAID");
  Status st = apply_error(compiled(minimal("", kPaymentTail)), record);
  EXPECT_EQ(st.message(), "required field is missing");
  EXPECT_EQ(st.where().mapping_path, "applications.fields.amount");
  EXPECT_EQ(st.where().segment, "LINE[1]");
  EXPECT_EQ(st.where().field, "PAID");
}

// --- MappingSet ----------------------------------------------------------------------

class MappingSetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mapping_set_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  std::filesystem::path dir_;
};

TEST_F(MappingSetTest, ShippedSapMappingsLoadByEntity) {
  Result<MappingSet> set = MappingSet::load_dir(std::string(ARSYNC_SOURCE_DIR) + "/mappings/sap_idoc");
  ASSERT_TRUE(set.is_ok()) << set.status().to_string();
  ASSERT_NE(set->find("INVOIC02"), nullptr);
  ASSERT_NE(set->find("PEXR2002"), nullptr);
  EXPECT_EQ(set->find("ORDERS05"), nullptr);
  EXPECT_GE(set->files().size(), 2u);
}

TEST_F(MappingSetTest, TwoFilesForOneEntityIsAnError) {
  write("a.json", minimal());
  write("b.json", minimal());
  write("notes.txt", "not a mapping");
  Result<MappingSet> set = MappingSet::load_dir(dir_.string());
  ASSERT_FALSE(set.is_ok());
  EXPECT_EQ(set.status().code(), ErrorCode::kMappingError);
  EXPECT_EQ(set.status().where().file, (dir_ / "b.json").string());
  EXPECT_EQ(set.status().message(), "entity 'INVOIC02' is already mapped by " +
                                        (dir_ / "a.json").string() + " (one file per entity)");
}

TEST_F(MappingSetTest, FileThatDoesNotCompileFailsTheSet) {
  write("a.json", "{");
  Result<MappingSet> set = MappingSet::load_dir(dir_.string());
  ASSERT_FALSE(set.is_ok());
  EXPECT_EQ(set.status().where().file, (dir_ / "a.json").string());
  EXPECT_EQ(set.status().where().line, 1);
}

TEST_F(MappingSetTest, MissingFolderIsAnIoError) {
  Result<MappingSet> set = MappingSet::load_dir((dir_ / "nope").string());
  ASSERT_FALSE(set.is_ok());
  EXPECT_EQ(set.status().code(), ErrorCode::kIoError);
}

}  // namespace
}  // namespace arsync::mapping

namespace arsync::mapping {
namespace {

// QuickBooks-style JSON: amounts are JSON numbers. Each goes through the one
// record parser and a mapping's decimal transform to exact minor units; a
// double anywhere on the way would turn 0.1 or 12345678901234.56 into a
// neighbour.
constexpr const char* kJsonMapping = R"J({
  "connector": "quickbooks",
  "entities": ["Invoice"],
  "kind": "invoice",
  "fields": {
    "document_number": "DocNumber",
    "match_key": "DocNumber",
    "currency": "CurrencyRef.value",
    "amount": {"path": "TotalAmt", "transforms": [{"decimal": {"sign": "leading"}}]},
    "tax_amount": {"path": "TxnTaxDetail.TotalTax", "transforms": [{"decimal": {}}]}
  }
})J";

Result<Document> map_json(const std::string& total, const std::string& currency = "USD") {
  const Result<Record> rec = parse_json_record(
      R"({"DocNumber": "1001", "CurrencyRef": {"value": ")" + currency +
          R"("}, "TotalAmt": )" + total + R"(, "TxnTaxDetail": {"TotalTax": 0}})",
      "invoice.json");
  EXPECT_TRUE(rec.is_ok()) << rec.status().to_string();
  Result<Mapping> m = Mapping::compile(kJsonMapping, "qbo.json");
  EXPECT_TRUE(m.is_ok()) << m.status().to_string();
  return m->apply(*rec, meta());
}

TEST(MappingJsonNumbers, JsonNumbersMapToExactMinorUnits) {
  const std::vector<std::pair<std::string, std::int64_t>> cases = {
      {"0.1", 10},
      {"1e2", 10000},
      {"12345678901234.56", 1234567890123456},
      {"-0.00", 0},
      {"1E-2", 1},
      {"1.5E+1", 1500},
      {"92233720368547758.07", INT64_MAX},
      {"9007199254740993", 900719925474099300},  // 2^53 + 1: no double holds it
  };
  for (const auto& [text, minor] : cases) {
    Result<Document> d = map_json(text);
    ASSERT_TRUE(d.is_ok()) << text << ": " << d.status().to_string();
    EXPECT_EQ(d->amount.minor_units(), minor) << text;
    EXPECT_EQ(d->amount.currency().code(), "USD");
  }
  Result<Document> yen = map_json("1.2e3", "JPY");
  ASSERT_TRUE(yen.is_ok()) << yen.status().to_string();
  EXPECT_EQ(yen->amount.minor_units(), 1200);
}

TEST(MappingJsonNumbers, NumbersThatDoNotFitTheCurrencyAreRefusedSayingWhy) {
  Result<Document> cents = map_json("1E-3");  // 0.001 USD
  ASSERT_FALSE(cents.is_ok());
  EXPECT_EQ(cents.status().where().mapping_path, "fields.amount");
  EXPECT_EQ(cents.status().where().field, "TotalAmt");
  EXPECT_NE(cents.status().message().find("0.001"), std::string::npos) << cents.status().to_string();

  Result<Document> big = map_json("1e20");
  ASSERT_FALSE(big.is_ok());
  EXPECT_NE(big.status().message().find("100000000000000000000"), std::string::npos)
      << big.status().to_string();

  Result<Document> huge = map_json("1e300");
  ASSERT_FALSE(huge.is_ok());
  EXPECT_EQ(huge.status().message(),
            "decimal: '1e300' is not a number: exponent beyond 40 (no amount is that large or "
            "small) (sign leading, decimal separator '.')");
}

}  // namespace
}  // namespace arsync::mapping
