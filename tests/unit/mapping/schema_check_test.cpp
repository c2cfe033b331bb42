// Mapping::check against a RecordSchema a connector publishes, and the
// "when" / "skip" parts of the language.
#include <gtest/gtest.h>

#include "record_of.h"

#include "../../../daemon/mapping/schema_check.h"
#include "arsync/mapping/mapping.h"

namespace arsync::mapping {
namespace {

using nlohmann::json;

// An API connector's schema: Invoice with Line[] of LinkedTxn[], and an
// open CustomField object.
RecordSchema api_schema() {
  RecordSchema s;
  s.source = "the test connector";
  SchemaNode& inv = s.entities["Invoice"];
  inv.fields = {"Id", "DocNumber", "TotalAmt", "CurrencyRef", "TxnType"};
  SchemaNode& line = inv.children["Line"];
  line.fields = {"Amount", "DetailType"};
  line.children["LinkedTxn"].fields = {"TxnId", "TxnType"};
  inv.children["CustomField"].open = true;
  s.entities["Payment"].fields = {"Id"};
  return s;
}

Mapping compile(const std::string& fields, const std::string& extra = "",
                const std::string& entities = "[\"Invoice\"]") {
  auto m = Mapping::compile(R"({"connector": "test", "entities": )" + entities +
                                R"(, "kind": "invoice", )" + extra + R"("fields": {
      "document_number": "DocNumber", "match_key": "DocNumber", "currency": "CurrencyRef",
      "amount": "TotalAmt")" + fields + "}}",
                            "t.json");
  EXPECT_TRUE(m) << m.status().to_string();
  return m ? *m : Mapping();
}

std::string messages(const std::vector<Status>& errors) {
  std::string out;
  for (const Status& st : errors) out += st.to_string() + "\n";
  return out;
}

TEST(SchemaCheck, KnownNamesPass) {
  Mapping m = compile(R"(, "reference": "CustomField.Anything.Below", "terms": "$.Line[0].Amount")",
                      R"("applications": {"each": "Line[*].LinkedTxn[*]", "fields": {
                         "target_match_key": "TxnId", "amount": "$.TotalAmt"}}, )");
  EXPECT_EQ(messages(m.check(api_schema())), "");
}

TEST(SchemaCheck, UnknownNameSaysWhereAndWhatIsNear) {
  Mapping m = compile(R"(, "reference": "Line[DetailTyp=X].Amount", "terms": "Lines.Amount")");
  std::vector<Status> errors = m.check(api_schema());
  ASSERT_EQ(errors.size(), 2u) << messages(errors);
  EXPECT_EQ(errors[0].where().mapping_path, "fields.reference");
  EXPECT_EQ(errors[0].where().field, "Line[DetailTyp=X].Amount");
  EXPECT_EQ(errors[0].where().file, "t.json");
  EXPECT_NE(errors[0].message().find("Line has no field 'DetailTyp' to filter on (did you mean "
                                     "DetailType?)"),
            std::string::npos) << errors[0].message();
  EXPECT_NE(errors[1].message().find("Invoice has no segment or field 'Lines' (did you mean Line?)"),
            std::string::npos) << errors[1].message();
}

TEST(SchemaCheck, FieldsOfAnEachBlockAreCheckedUnderItsElement) {
  Mapping m = compile("", R"("applications": {"each": "Line[*].LinkedTxn[*]", "fields": {
                         "target_match_key": "TxnID", "amount": "Amount"}}, )");
  std::vector<Status> errors = m.check(api_schema());
  ASSERT_EQ(errors.size(), 2u) << messages(errors);
  // In the order the file's keys sort in: amount, target_match_key.
  EXPECT_NE(errors[0].message().find("LinkedTxn has no segment or field 'Amount'"), std::string::npos)
      << errors[0].message();
  EXPECT_EQ(errors[1].where().mapping_path, "applications.fields.target_match_key");
  EXPECT_NE(errors[1].message().find("did you mean TxnId?"), std::string::npos) << errors[1].message();
}

TEST(SchemaCheck, UnknownEntityListsTheKnownOnes) {
  Mapping m = compile("", "", R"(["Invoices", "CreditMemo"])");
  std::vector<Status> errors = m.check(api_schema());
  ASSERT_EQ(errors.size(), 2u) << messages(errors);
  EXPECT_EQ(errors[0].where().mapping_path, "entities[0]");
  EXPECT_NE(errors[0].message().find("no record type 'Invoices' (did you mean Invoice?)"),
            std::string::npos) << errors[0].message();
  EXPECT_NE(errors[1].message().find("(known here: Invoice, Payment)"), std::string::npos)
      << errors[1].message();
}

TEST(SchemaCheck, PathsOfTransformsAndConditionsAreChecked) {
  Mapping m = compile(R"(, "due_date": {"path": "DocNumber", "transforms": [{"add_days": "Termz"}]},
                         "reference": {"path": "Id", "when": {"path": "TxnTyp", "in": ["X"]}})");
  std::vector<Status> errors = m.check(api_schema());
  ASSERT_EQ(errors.size(), 2u) << messages(errors);
  EXPECT_EQ(errors[0].where().mapping_path, "fields.due_date.transforms[0].add_days");
  EXPECT_EQ(errors[1].where().mapping_path, "fields.reference.when.path");
  EXPECT_NE(errors[1].message().find("did you mean TxnType?"), std::string::npos);
}

TEST(SchemaCheck, NearbyNamesUseEditDistance) {
  EXPECT_EQ(edit_distance("E1EDS1", "E1EDS01"), 1u);
  EXPECT_EQ(edit_distance("E1EDKAl", "E1EDKA1"), 1u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("SUMDI", "SUMID"), 1u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(nearby_names("E1EDS1", {"E1EDK01", "E1EDS01", "E1EDP01"}), " (did you mean E1EDS01?)");
  EXPECT_EQ(nearby_names("E1EDK3", {"E1EDK02", "E1EDK03"}), " (did you mean E1EDK03?)");
  EXPECT_EQ(nearby_names("E1EDK0", {"E1EDK01", "E1EDK02"}), " (did you mean E1EDK01 or E1EDK02?)");
  EXPECT_EQ(nearby_names("XYZ", {"A", "B"}), " (known here: A, B)");
}

TEST(MappingLanguage, WhenMapsAFieldOnlyForTheListedValues) {
  Mapping m = compile(R"(, "reference": {"path": "Id", "default": "none",
                         "when": {"path": "TxnType", "in": ["Cancel"]}})");
  RecordMeta meta{"s", "Invoice", "1", "1", "r"};
  json rec = {{"DocNumber", "7"}, {"CurrencyRef", "USD"}, {"TotalAmt", "1.00"}, {"Id", "99"},
              {"TxnType", "Cancel"}};
  auto cancel = m.apply(record_of(rec), meta);
  ASSERT_TRUE(cancel) << cancel.status().to_string();
  EXPECT_EQ(cancel->reference, "99");
  rec["TxnType"] = "Sale";
  auto sale = m.apply(record_of(rec), meta);
  ASSERT_TRUE(sale);
  EXPECT_EQ(sale->reference, "");  // not mapped at all: no default either
}

TEST(MappingLanguage, SkipRulesGiveTheirReason) {
  Mapping m = compile("", R"("skip": [{"when": {"path": "TxnType", "transforms": ["upper"],
                                      "in": ["PROFORMA"]}, "reason": "pro-forma"}], )");
  EXPECT_NE(m.fields_read().to_string().find("TxnType"), std::string::npos);
  const std::string* why = m.skip_reason(record_of(json{{"TxnType", "proforma"}}));
  ASSERT_NE(why, nullptr);
  EXPECT_EQ(*why, "pro-forma");
  EXPECT_EQ(m.skip_reason(record_of(json{{"TxnType", "Sale"}})), nullptr);
  auto bad = Mapping::compile(R"({"connector": "c", "entities": ["E"], "kind": "invoice",
      "skip": [{"when": {"path": "A"}, "reason": "x"}], "fields": {}})", "b.json");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.status().where().mapping_path, "skip[0].when");
}

TEST(MappingLanguage, PathOfTooManyStepsIsRefused) {
  std::string text = "A";
  for (int i = 0; i < 600; ++i) text += ".A";
  auto p = Path::parse(text);
  ASSERT_FALSE(p);
  EXPECT_NE(p.status().message().find("more than 512 steps"), std::string::npos);
}

}  // namespace
}  // namespace arsync::mapping
