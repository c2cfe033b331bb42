// The shipped mappings/sap_idoc files applied to IDocs shaped as the
// sap_idoc connector emits them (one object per IDoc, segments as arrays).
#include <gtest/gtest.h>

#include "record_of.h"

#include "arsync/mapping/mapping.h"
#include "arsync/model/document_json.h"
#include "arsync/model/field_selection.h"

namespace arsync::mapping {
namespace {

using nlohmann::json;

Mapping load(const std::string& name) {
  const std::string path = std::string(ARSYNC_SOURCE_DIR) + "/mappings/sap_idoc/" + name;
  Result<Mapping> m = Mapping::load(path);
  EXPECT_TRUE(m.is_ok()) << m.status().to_string();
  return m.is_ok() ? *m : Mapping();
}

RecordMeta meta_for(const json& idoc) {
  RecordMeta m;
  m.system = "sap-ecc";
  m.entity = idoc["EDI_DC40"]["IDOCTYP"].get<std::string>();
  m.external_id = idoc["EDI_DC40"]["DOCNUM"].get<std::string>();
  m.version = m.external_id;
  m.source = "/var/spool/arsync/sap/in/batch-0001.xml";
  return m;
}

json invoic02() {
  return json::parse(R"J({
    "EDI_DC40": {"DOCNUM": "0000000000451234", "IDOCTYP": "INVOIC02", "MESTYP": "INVOIC", "SNDPRN": "ECCCLNT100"},
    "E1EDK01": [{"CURCY": "EUR", "BSART": "INVO", "BELNR": "0090001234", "ZTERM": "ZN30"}],
    "E1EDKA1": [{"PARVW": "AG", "PARTN": "0000100042", "NAME1": "Müller Maschinenbau GmbH"},
                {"PARVW": "RE", "PARTN": "0000100042"}],
    "E1EDK02": [{"QUALF": "001", "BELNR": "PO-77812", "DATUM": "20261015"},
                {"QUALF": "009", "BELNR": "0090001234", "DATUM": "20261101"}],
    "E1EDK14": [{"QUALF": "015", "ORGID": "F2"}],
    "E1EDK18": [{"QUALF": "001", "TAGE": "30"}],
    "E1EDP01": [{"POSEX": "000010", "MENGE": "5",
                 "E1EDP19": [{"QUALF": "002", "IDTNR": "MAT-100"}],
                 "E1EDP26": [{"QUALF": "003", "MOABETR": "1000.00"}]}],
    "E1EDS01": [{"SUMID": "002", "SUMME": "1000.00", "WAERQ": "EUR"},
                {"SUMID": "005", "SUMME": "190.00"},
                {"SUMID": "011", "SUMME": "1190.00", "WAERQ": "EUR"}]
  })J");
}

json credit_memo() {
  json j = invoic02();
  j["EDI_DC40"]["DOCNUM"] = "0000000000451240";
  j["E1EDK14"][0]["ORGID"] = "G2";
  j["E1EDK02"] = json::parse(R"J([{"QUALF": "009", "BELNR": "0070000015", "DATUM": "20261105"}])J");
  j["E1EDKA1"] = json::parse(R"J([{"PARVW": "AG", "PARTN": "0000100042", "NAME1": "Müller Maschinenbau GmbH"},
                                  {"PARVW": "RG", "PARTN": "0000100099", "NAME1": "Müller Holding AG"}])J");
  j.erase("E1EDK18");
  j["E1EDS01"] = json::parse(R"J([{"SUMID": "005", "SUMME": "19.00-"}, {"SUMID": "011", "SUMME": "119.00-"}])J");
  return j;
}

json pexr2002() {
  return json::parse(R"J({
    "EDI_DC40": {"DOCNUM": "0000000000460001", "IDOCTYP": "PEXR2002", "MESTYP": "REMADV", "SNDPRN": "MUELLERMB"},
    "E1IDKU1": [{"BGMTYP": "481", "BGMREF": "0000770012",
                 "E1EDK03": [{"IDDAT": "012", "DATUM": "20261202"}]}],
    "E1IDKU3": [{"PARVW": "AG", "PARTN": "0000100042", "NAME1": "Müller Maschinenbau GmbH"}],
    "E1IDKU5": [{"MOAQUAL": "002", "MOABETR": "1416.20", "CUXWAERZ": "EUR"}],
    "E1IDPU1": [
      {"DOCNAME": "380", "DOCNUMMR": "0090001234", "DOCDATE": "20261101",
       "E1IDPU5": [{"MOAQUAL": "003", "MOABETR": "1190.00", "CUXWAERZ": "EUR"},
                   {"MOAQUAL": "005", "MOABETR": "23.80", "CUXWAERZ": "EUR"},
                   {"MOAQUAL": "002", "MOABETR": "1166.20", "CUXWAERZ": "EUR"}]},
      {"DOCNAME": "380", "DOCNUMMR": "0090001301", "DOCDATE": "20261110",
       "E1IDPU5": [{"MOAQUAL": "003", "MOABETR": "250.00", "CUXWAERZ": "EUR"},
                   {"MOAQUAL": "002", "MOABETR": "250.00", "CUXWAERZ": "EUR"}]}
    ]
  })J");
}

Money eur(std::int64_t cents) { return Money(cents, *Currency::find("EUR")); }

TEST(SapIdocMappingTest, InvoiceMapsEveryField) {
  json idoc = invoic02();
  Result<Document> d = load("invoic02.json").apply(record_of(idoc), meta_for(idoc));
  ASSERT_TRUE(d.is_ok()) << d.status().to_string();
  EXPECT_EQ(d->kind, DocumentKind::kInvoice);
  EXPECT_EQ(d->system, "sap-ecc");
  EXPECT_EQ(d->external_id, "0090001234");
  EXPECT_EQ(d->version, "0000000000451234");
  EXPECT_EQ(d->document_number, "0090001234");
  EXPECT_EQ(d->match_key, "90001234");
  EXPECT_EQ(d->customer_key, "100042");  // no payer: the sold-to
  EXPECT_EQ(d->customer_name, "Müller Maschinenbau GmbH");
  EXPECT_EQ(d->currency(), "EUR");
  EXPECT_EQ(d->amount, eur(119000));
  EXPECT_EQ(d->tax_amount, eur(19000));
  EXPECT_EQ(d->open_amount, eur(119000));
  ASSERT_TRUE(d->issue_date.has_value());
  EXPECT_EQ(format_date(*d->issue_date), "2026-11-01");
  ASSERT_TRUE(d->due_date.has_value());
  EXPECT_EQ(format_date(*d->due_date), "2026-12-01");  // + E1EDK18 TAGE 30
  EXPECT_EQ(d->reference, "PO-77812");
  EXPECT_EQ(d->terms, "ZN30");
  EXPECT_EQ(d->status, DocumentStatus::kOpen);
  EXPECT_TRUE(d->applications.empty());
}

TEST(SapIdocMappingTest, CreditMemoWithTrailingMinusAndPayer) {
  json idoc = credit_memo();
  Result<Document> d = load("invoic02.json").apply(record_of(idoc), meta_for(idoc));
  ASSERT_TRUE(d.is_ok()) << d.status().to_string();
  EXPECT_EQ(d->kind, DocumentKind::kCreditMemo);
  EXPECT_EQ(d->match_key, "70000015");
  EXPECT_EQ(d->customer_key, "100099");  // the payer wins over the sold-to
  EXPECT_EQ(d->customer_name, "Müller Holding AG");
  EXPECT_EQ(d->amount, eur(-11900));
  EXPECT_EQ(d->tax_amount, eur(-1900));
  EXPECT_FALSE(d->due_date.has_value());  // no E1EDK18: no due date
  EXPECT_EQ(d->reference, "");
}

TEST(SapIdocMappingTest, DebitMemoByBillingType) {
  json idoc = invoic02();
  idoc["E1EDK14"][0]["ORGID"] = "L2";
  Result<Document> d = load("invoic02.json").apply(record_of(idoc), meta_for(idoc));
  ASSERT_TRUE(d.is_ok()) << d.status().to_string();
  EXPECT_EQ(d->kind, DocumentKind::kDebitMemo);
}

TEST(SapIdocMappingTest, UnknownBillingTypeNamesIt) {
  json idoc = invoic02();
  idoc["E1EDK14"][0]["ORGID"] = "ZF2";  // a site's own type: to be added to the lookup
  Result<Document> d = load("invoic02.json").apply(record_of(idoc), meta_for(idoc));
  ASSERT_FALSE(d.is_ok());
  EXPECT_EQ(d.status().message(),
            "lookup: no entry for 'ZF2' (known: CRME, F1, F2, FAZ, G2, IG, INVO, IV, L2, RE, S1, "
            "S2; add it to the table or give a \"default\")");
  EXPECT_EQ(d.status().where().mapping_path, "kind");
  EXPECT_EQ(d.status().where().field, "E1EDK14[QUALF=015].ORGID | E1EDK01.BSART");
  EXPECT_EQ(d.status().where().record, "0000000000451234");
}

TEST(SapIdocMappingTest, UnknownCurrencyNamesCurcy) {
  json idoc = invoic02();
  idoc["E1EDK01"][0]["CURCY"] = "EUX";
  Result<Document> d = load("invoic02.json").apply(record_of(idoc), meta_for(idoc));
  ASSERT_FALSE(d.is_ok());
  const Status& st = d.status();
  EXPECT_EQ(st.code(), ErrorCode::kMappingError);
  EXPECT_EQ(st.message(), "unknown currency code 'EUX' (expected an ISO 4217 code such as USD, EUR, JPY)");
  EXPECT_EQ(st.where().file, std::string(ARSYNC_SOURCE_DIR) + "/mappings/sap_idoc/invoic02.json");
  EXPECT_EQ(st.where().record, "0000000000451234");
  EXPECT_EQ(st.where().field, "E1EDK01.CURCY");
  EXPECT_EQ(st.where().mapping_path, "fields.currency");
}

TEST(SapIdocMappingTest, MissingGrossTotalIsRequired) {
  json idoc = invoic02();
  idoc["E1EDS01"].erase(2);
  Result<Document> d = load("invoic02.json").apply(record_of(idoc), meta_for(idoc));
  ASSERT_FALSE(d.is_ok());
  EXPECT_EQ(d.status().message(), "required field is missing");
  EXPECT_EQ(d.status().where().field, "E1EDS01[SUMID=011].SUMME");
  EXPECT_EQ(d.status().where().mapping_path, "fields.amount");
}

TEST(SapIdocMappingTest, LeadingMinusAmountIsRefusedByTrailingMinusConvention) {
  json idoc = invoic02();
  idoc["E1EDS01"][2]["SUMME"] = "-1190.00";
  Result<Document> d = load("invoic02.json").apply(record_of(idoc), meta_for(idoc));
  ASSERT_FALSE(d.is_ok());
  EXPECT_EQ(d.status().message(),
            "decimal: '-1190.00' is not a number: a leading '-' is not allowed (sign "
            "trailing_minus, decimal separator '.')");
  EXPECT_EQ(d.status().where().field, "E1EDS01[SUMID=011].SUMME");
}

TEST(SapIdocMappingTest, PaymentAdviceWithTwoInvoices) {
  json idoc = pexr2002();
  Result<Document> d = load("pexr2002.json").apply(record_of(idoc), meta_for(idoc));
  ASSERT_TRUE(d.is_ok()) << d.status().to_string();
  EXPECT_EQ(d->kind, DocumentKind::kPayment);
  EXPECT_EQ(d->external_id, "0000770012");
  EXPECT_EQ(d->document_number, "0000770012");
  EXPECT_EQ(d->match_key, "770012");
  EXPECT_EQ(d->reference, "0000770012");
  EXPECT_EQ(d->customer_key, "100042");
  EXPECT_EQ(d->amount, eur(141620));
  EXPECT_EQ(d->open_amount, eur(0));  // fully applied
  ASSERT_TRUE(d->issue_date.has_value());
  EXPECT_EQ(format_date(*d->issue_date), "2026-12-02");
  ASSERT_EQ(d->applications.size(), 2u);
  const Application& a = d->applications[0];
  EXPECT_EQ(a.target_kind, DocumentKind::kInvoice);
  EXPECT_EQ(a.target_match_key, "90001234");
  EXPECT_EQ(a.target_number, "0090001234");
  EXPECT_EQ(a.amount, eur(116620));
  EXPECT_EQ(a.discount, eur(2380));
  const Application& b = d->applications[1];
  EXPECT_EQ(b.target_match_key, "90001301");
  EXPECT_EQ(b.amount, eur(25000));
  EXPECT_EQ(b.discount, eur(0));
}

TEST(SapIdocMappingTest, PaymentAdviceLineWithoutPaidAmountNamesTheLine) {
  json idoc = pexr2002();
  idoc["E1IDPU1"][1]["E1IDPU5"].erase(1);
  Result<Document> d = load("pexr2002.json").apply(record_of(idoc), meta_for(idoc));
  ASSERT_FALSE(d.is_ok());
  EXPECT_EQ(d.status().to_string(),
            "mapping error: required field is missing (at file " + std::string(ARSYNC_SOURCE_DIR) +
                "/mappings/sap_idoc/pexr2002.json, record 0000000000460001, segment E1IDPU1[1], "
                "field E1IDPU5[MOAQUAL=002].MOABETR, mapping path applications.fields.amount)");
}

// What each shipped mapping reads: the sap_idoc connector builds only this
// of every IDoc (plus DOCNUM and IDOCTYP), so a field missing here would be
// missing at run time.
TEST(SapIdocMappingTest, Invoic02ReadsExactlyTheseFields) {
  EXPECT_EQ(load("invoic02.json").fields_read().to_string(),
            "{E1EDK01: {BELNR, BSART, CURCY, ZTERM}, E1EDK02: {BELNR, DATUM, QUALF}, E1EDK14: {ORGID, QUALF}, "
            "E1EDK18: {QUALF, TAGE}, E1EDKA1: {NAME1, PARTN, PARVW}, E1EDS01: {SUMID, SUMME}}");
}

// Every document and every error is the same for the record cut down to
// what the mapping reads as for the whole record.
TEST(SapIdocMappingTest, CutRecordsMapExactlyLikeWholeRecords) {
  struct Case {
    const char* mapping;
    json record;
  };
  std::vector<Case> cases = {{"invoic02.json", invoic02()}, {"invoic02.json", credit_memo()},
                             {"pexr2002.json", pexr2002()}};
  json missing_total = invoic02();
  missing_total["E1EDS01"].erase(2);
  cases.push_back({"invoic02.json", missing_total});
  json bad_line = pexr2002();
  bad_line["E1IDPU1"][1]["E1IDPU5"].erase(1);
  cases.push_back({"pexr2002.json", bad_line});
  for (const Case& c : cases) {
    const Mapping m = load(c.mapping);
    const Record cut = cut_to_selection(record_of(c.record), m.fields_read());
    EXPECT_LT(cut.to_json_text().size(), c.record.dump().size()) << c.mapping;
    Result<Document> whole = m.apply(record_of(c.record), meta_for(c.record));
    Result<Document> part = m.apply(cut, meta_for(c.record));
    ASSERT_EQ(whole.is_ok(), part.is_ok()) << c.mapping;
    if (whole.is_ok()) {
      EXPECT_EQ(content_hash(*whole), content_hash(*part)) << c.mapping;
      EXPECT_EQ(to_json(*whole), to_json(*part)) << c.mapping;
    } else {
      EXPECT_EQ(whole.status().to_string(), part.status().to_string()) << c.mapping;
    }
  }
}

}  // namespace
}  // namespace arsync::mapping
