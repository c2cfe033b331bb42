// Each transform through the public API: a small mapping whose "reference"
// field runs the transform under test.
#include <gtest/gtest.h>

#include "record_of.h"

#include "arsync/mapping/mapping.h"

namespace arsync::mapping {
namespace {

using nlohmann::json;

std::string mapping_text(const std::string& reference_spec) {
  return R"J({"connector": "test", "entities": ["T"], "kind": "invoice", "fields": {
    "document_number": {"value": "1"}, "match_key": {"value": "1"},
    "currency": {"value": "EUR"}, "amount": {"value": "0"},
    "reference": )J" + reference_spec + "}}";
}

const json kRecord = json::parse(R"J({
  "E1EDK01": [{"BELNR": "0090001234", "CURCY": " eur ", "ZTERM": "ZN30"}],
  "E1EDK02": [{"QUALF": "009", "DATUM": "20261101"}],
  "E1EDK18": [{"QUALF": "001", "TAGE": "30"}, {"QUALF": "002", "TAGE": "x3"}],
  "E1EDS01": [{"SUMID": "011", "SUMME": "1.190,50-"}],
  "TEXT": [{"V": "  Mixed Case  ", "Z": "0000", "DE": "31.12.2026", "US": "12/31/2026", "REF": "INV-2026-0042"}]
})J");

RecordMeta meta() {
  RecordMeta m;
  m.system = "sap-test";
  m.entity = "T";
  m.external_id = "0000000000000001";
  return m;
}

// Compiles and applies; returns the reference or the error's message.
Result<std::string> reference(const std::string& spec) {
  Result<Mapping> m = Mapping::compile(mapping_text(spec), "t.json");
  if (!m) return m.status();
  Result<Document> d = m->apply(record_of(kRecord), meta());
  if (!d) return d.status();
  return d->reference;
}

std::string value_of(const std::string& spec) {
  Result<std::string> r = reference(spec);
  EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  return r.is_ok() ? *r : "<error>";
}

Status apply_error(const std::string& spec) {
  Result<std::string> r = reference(spec);
  EXPECT_FALSE(r.is_ok()) << "expected an apply error, got " << (r.is_ok() ? *r : "");
  return r.status();
}

Status compile_error(const std::string& spec) {
  Result<Mapping> m = Mapping::compile(mapping_text(spec), "t.json");
  EXPECT_FALSE(m.is_ok());
  return m.status();
}

TEST(TransformTest, Trim) {
  EXPECT_EQ(value_of(R"J({"path": "TEXT.V", "transforms": ["trim"]})J"), "Mixed Case");
}

TEST(TransformTest, UpperAndLower) {
  EXPECT_EQ(value_of(R"J({"path": "TEXT.V", "transforms": ["trim", "upper"]})J"), "MIXED CASE");
  EXPECT_EQ(value_of(R"J({"path": "TEXT.V", "transforms": ["trim", "lower"]})J"), "mixed case");
}

TEST(TransformTest, StripLeadingZeros) {
  EXPECT_EQ(value_of(R"J({"path": "E1EDK01.BELNR", "transforms": ["strip_leading_zeros"]})J"),
            "90001234");
}

TEST(TransformTest, StripLeadingZerosKeepsOneZero) {
  EXPECT_EQ(value_of(R"J({"path": "TEXT.Z", "transforms": ["strip_leading_zeros"]})J"), "0");
}

TEST(TransformTest, SimpleTransformWithParameterIsACompileError) {
  Status st = compile_error(R"J({"path": "TEXT.V", "transforms": [{"trim": true}]})J");
  EXPECT_EQ(st.message(), "transform 'trim' takes no parameter: write \"trim\"");
  EXPECT_EQ(st.where().mapping_path, "fields.reference.transforms[0]");
}

TEST(TransformTest, DefaultFillsMissingValue) {
  EXPECT_EQ(value_of(R"J({"path": "E1EDK01.NOPE", "transforms": [{"default": "none"}]})J"), "none");
  EXPECT_EQ(value_of(R"J({"path": "E1EDK01.ZTERM", "transforms": [{"default": "none"}]})J"), "ZN30");
}

TEST(TransformTest, DefaultWithoutValueIsACompileError) {
  EXPECT_EQ(compile_error(R"J({"path": "TEXT.V", "transforms": ["default"]})J").message(),
            "transform 'default' needs a parameter, for example {\"default\": \"0\"}");
}

TEST(TransformTest, LookupMapsValue) {
  EXPECT_EQ(value_of(R"J({"path": "E1EDK01.ZTERM", "transforms": [{"lookup": {"ZN30": "Net 30"}}]})J"),
            "Net 30");
}

TEST(TransformTest, LookupUsesDefaultForUnknownValue) {
  EXPECT_EQ(value_of(R"J({"path": "E1EDK01.ZTERM",
                         "transforms": [{"lookup": {"ZN10": "Net 10", "default": "other"}}]})J"),
            "other");
}

TEST(TransformTest, LookupOfUnknownValueIsAnApplyError) {
  Status st = apply_error(R"J({"path": "E1EDK01.ZTERM",
                              "transforms": [{"lookup": {"ZN10": "Net 10", "ZB00": "Due now"}}]})J");
  EXPECT_EQ(st.message(),
            "lookup: no entry for 'ZN30' (known: ZB00, ZN10; add it to the table or give a "
            "\"default\")");
  EXPECT_EQ(st.where().field, "E1EDK01.ZTERM");
  EXPECT_EQ(st.where().mapping_path, "fields.reference");
}

TEST(TransformTest, ConcatAppendsLiteralsAndPaths) {
  EXPECT_EQ(value_of(R"J({"path": "E1EDK01.ZTERM",
                         "transforms": [{"concat": ["/", {"path": "E1EDK01.BELNR"}]}]})J"),
            "ZN30/0090001234");
}

TEST(TransformTest, ConcatWithMissingPartIsMissing) {
  EXPECT_EQ(value_of(R"J({"path": "E1EDK01.ZTERM",
                         "transforms": [{"concat": ["/", {"path": "E1EDK01.NOPE"}]}]})J"),
            "");
}

TEST(TransformTest, ConcatSourceJoinsPieces) {
  EXPECT_EQ(value_of(R"J({"concat": ["SAP-", {"path": "E1EDK01.BELNR", "transforms": ["strip_leading_zeros"]}]})J"),
            "SAP-90001234");
}

TEST(TransformTest, RegexExtractTakesGroupOne) {
  EXPECT_EQ(value_of(R"J({"path": "TEXT.REF", "transforms": [{"regex_extract": "INV-\\d+-(\\d+)"}]})J"),
            "0042");
}

TEST(TransformTest, RegexExtractWithoutMatchIsAnApplyError) {
  Status st = apply_error(R"J({"path": "TEXT.REF", "transforms": [{"regex_extract": "CM-(\\d+)"}]})J");
  EXPECT_EQ(st.message(), "regex_extract: 'INV-2026-0042' does not match 'CM-(\\d+)'");
  EXPECT_EQ(st.where().field, "TEXT.REF");
}

TEST(TransformTest, BadRegexIsACompileError) {
  Status st = compile_error(R"J({"path": "TEXT.REF", "transforms": ["trim", {"regex_extract": "INV-("}]})J");
  EXPECT_EQ(st.code(), ErrorCode::kMappingError);
  EXPECT_EQ(st.where().file, "t.json");
  EXPECT_EQ(st.where().mapping_path, "fields.reference.transforms[1].regex_extract");
  EXPECT_EQ(st.message().rfind("invalid regular expression 'INV-(': ", 0), 0u) << st.message();
}

TEST(TransformTest, ReplaceRewritesMatches) {
  EXPECT_EQ(value_of(R"J({"path": "TEXT.REF",
                         "transforms": [{"replace": {"pattern": "^INV-(\\d+)-", "with": "$1/"}}]})J"),
            "2026/0042");
}

TEST(TransformTest, ReplaceWithoutPatternIsACompileError) {
  EXPECT_EQ(compile_error(R"J({"path": "TEXT.REF", "transforms": [{"replace": {"with": "x"}}]})J").message(),
            "\"replace\" takes {\"pattern\": REGEX, \"with\": TEXT} ($1, $2 in TEXT insert groups)");
}

TEST(TransformTest, DateFormatsBecomeIso) {
  EXPECT_EQ(value_of(R"J({"path": "E1EDK02.DATUM", "transforms": [{"date": "YYYYMMDD"}]})J"), "2026-11-01");
  EXPECT_EQ(value_of(R"J({"path": "TEXT.DE", "transforms": [{"date": "DD.MM.YYYY"}]})J"), "2026-12-31");
  EXPECT_EQ(value_of(R"J({"path": "TEXT.US", "transforms": [{"date": "MM/DD/YYYY"}]})J"), "2026-12-31");
}

TEST(TransformTest, DateNotFittingFormatIsAnApplyError) {
  Status st = apply_error(R"J({"path": "TEXT.US", "transforms": [{"date": "DD.MM.YYYY"}]})J");
  EXPECT_EQ(st.message(), "date: '12/31/2026' does not fit format 'DD.MM.YYYY'");
  EXPECT_EQ(st.where().field, "TEXT.US");
}

TEST(TransformTest, ImpossibleDateIsAnApplyError) {
  EXPECT_EQ(apply_error(R"J({"path": "TEXT.US", "transforms": [{"date": "DD/MM/YYYY"}]})J").message(),
            "date: '12/31/2026' is not a real calendar day");
}

TEST(TransformTest, DateFormatWithoutDayIsACompileError) {
  Status st = compile_error(R"J({"path": "TEXT.US", "transforms": [{"date": "YYYY-MM"}]})J");
  EXPECT_EQ(st.message(), "date format 'YYYY-MM' must contain YYYY, MM and DD");
  EXPECT_EQ(st.where().mapping_path, "fields.reference.transforms[0]");
}

TEST(TransformTest, DecimalNormalisesEuropeanTrailingMinus) {
  EXPECT_EQ(value_of(R"J({"path": "E1EDS01.SUMME", "transforms": [{"decimal":
      {"sign": "trailing_minus", "decimal_separator": ",", "thousands_separator": "."}}]})J"),
            "-1190.50");
}

TEST(TransformTest, DecimalWithWrongSeparatorIsAnApplyError) {
  Status st = apply_error(R"J({"path": "E1EDS01.SUMME", "transforms": [{"decimal": {"sign": "trailing_minus"}}]})J");
  EXPECT_EQ(st.message(),
            "decimal: '1.190,50-' is not a number: unexpected character ',' (sign "
            "trailing_minus, decimal separator '.')");
}

TEST(TransformTest, DecimalLeadingSignRefusesTrailingMinus) {
  EXPECT_EQ(apply_error(R"J({"path": "E1EDS01.SUMME", "transforms": [{"decimal":
      {"sign": "leading", "decimal_separator": ",", "thousands_separator": "."}}]})J").message(),
            "decimal: '1.190,50-' is not a number: a trailing '-' is not allowed (sign leading, "
            "decimal separator ',', thousands separator '.')");
}

TEST(TransformTest, DecimalUnknownSignIsACompileError) {
  Status st = compile_error(R"J({"path": "E1EDS01.SUMME", "transforms": [{"decimal": {"sign": "back"}}]})J");
  EXPECT_EQ(st.message(), "unknown sign convention 'back' (allowed: any, trailing_minus, leading)");
  EXPECT_EQ(st.where().mapping_path, "fields.reference.transforms[0].decimal.sign");
}

TEST(TransformTest, NegateFlipsSign) {
  EXPECT_EQ(value_of(R"J({"value": "12.50", "transforms": ["negate"]})J"), "-12.50");
  EXPECT_EQ(value_of(R"J({"value": "12.50-", "transforms": ["negate"]})J"), "12.50");
}

TEST(TransformTest, AbsDropsSign) {
  EXPECT_EQ(value_of(R"J({"value": "-7.5", "transforms": ["abs"]})J"), "7.5");
}

TEST(TransformTest, NegateOfNonNumberIsAnApplyError) {
  EXPECT_EQ(apply_error(R"J({"value": "1,5", "transforms": ["negate"]})J").message(),
            "negate: '1,5' is not a plain decimal number (use a \"decimal\" transform first)");
}

TEST(TransformTest, AddDaysFromPath) {
  EXPECT_EQ(value_of(R"J({"path": "E1EDK02.DATUM",
      "transforms": [{"date": "YYYYMMDD"}, {"add_days": "$.E1EDK18[QUALF=001].TAGE"}]})J"),
            "2026-12-01");
}

TEST(TransformTest, AddDaysConstant) {
  EXPECT_EQ(value_of(R"J({"path": "E1EDK02.DATUM", "transforms": [{"date": "YYYYMMDD"}, {"add_days": 61}]})J"),
            "2027-01-01");
}

TEST(TransformTest, AddDaysWithMissingDaysIsMissing) {
  EXPECT_EQ(value_of(R"J({"path": "E1EDK02.DATUM",
      "transforms": [{"date": "YYYYMMDD"}, {"add_days": "E1EDK18[QUALF=009].TAGE"}]})J"),
            "");
}

TEST(TransformTest, AddDaysWithBadDaysIsAnApplyError) {
  Status st = apply_error(R"J({"path": "E1EDK02.DATUM",
      "transforms": [{"date": "YYYYMMDD"}, {"add_days": "E1EDK18[QUALF=002].TAGE"}]})J");
  EXPECT_EQ(st.message(), "add_days: days 'x3' from 'E1EDK18[QUALF=002].TAGE' is not a whole number");
  EXPECT_EQ(st.where().field, "E1EDK02.DATUM");
}

TEST(TransformTest, AddDaysOnNonDateIsAnApplyError) {
  EXPECT_EQ(apply_error(R"J({"path": "TEXT.DE", "transforms": [{"add_days": 3}]})J").message(),
            "add_days: '31.12.2026' is not a date (put a \"date\" transform before add_days)");
}

TEST(TransformTest, UnknownTransformIsACompileErrorNamingIt) {
  Status st = compile_error(R"J({"path": "TEXT.V", "transforms": ["trim", "titlecase"]})J");
  EXPECT_EQ(st.code(), ErrorCode::kMappingError);
  EXPECT_EQ(st.where().file, "t.json");
  EXPECT_EQ(st.where().mapping_path, "fields.reference.transforms[1]");
  EXPECT_EQ(st.message(),
            "unknown transform 'titlecase' (allowed: trim, upper, lower, strip_leading_zeros, "
            "default, lookup, concat, regex_extract, replace, date, decimal, negate, abs, "
            "add_days)");
}

}  // namespace
}  // namespace arsync::mapping
