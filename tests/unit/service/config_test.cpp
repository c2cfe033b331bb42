#include "arsync/service/config.h"

#include <gtest/gtest.h>

#include "arsync/service/engine_setup.h"

namespace arsync::service {
namespace {

const char kMinimal[] = R"({
  // comments are allowed
  "store": {"path": "var/arsync.db", "synchronous": "normal"},
  "systems": {"sap-ecc": {"type": "sap_idoc", "settings": {"inbound_dir": "in/ecc"}}},
  "mail": {"from": "a@x.example", "to": ["b@x.example"], "transport": {"type": "file", "dir": "mail"}}
})";

TEST(Config, ResolvesRelativePathsAgainstTheConfigFolder) {
  auto c = parse_config(kMinimal, "/etc/arsync", "/etc/arsync/arsync.json");
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  EXPECT_EQ(c->store_path, "/etc/arsync/var/arsync.db");
  EXPECT_FALSE(c->synchronous_full);
  EXPECT_EQ(c->mail["transport"]["dir"], "/etc/arsync/mail");
  ASSERT_EQ(c->systems.size(), 1u);
  EXPECT_EQ(c->systems[0].mappings_dir, "/usr/share/arsync/mappings/sap_idoc");
}

TEST(Config, ConnectorPathSettingsAreResolvedToo) {
  Registry registry;
  register_builtin_connectors(registry);
  auto c = parse_config(kMinimal, "/etc/arsync", "/etc/arsync/arsync.json");
  ASSERT_TRUE(c.is_ok());
  auto opts = make_engine_options(*c, registry);
  ASSERT_TRUE(opts.is_ok()) << opts.status().to_string();
  EXPECT_EQ(opts->systems[0].settings["inbound_dir"], "/etc/arsync/in/ecc");
  EXPECT_EQ(opts->mail.to, std::vector<std::string>{"b@x.example"});
}

TEST(Config, UnknownKeyIsNamed) {
  auto c = parse_config(R"({"systems": {"a": {"type": "sap_idoc"}}, "stor": {}})", "/", "x.json");
  ASSERT_FALSE(c.is_ok());
  EXPECT_NE(c.status().message().find("stor: unknown key"), std::string::npos) << c.status().to_string();
  EXPECT_EQ(c.status().where().file, "x.json");
}

TEST(Config, MissingSystemsIsAnError) {
  auto c = parse_config("{}", "/", "x.json");
  ASSERT_FALSE(c.is_ok());
  EXPECT_NE(c.status().message().find("systems: at least one system is required"), std::string::npos);
}

TEST(Config, TruncatedJsonSaysSo) {
  auto c = parse_config(R"({"systems": {"a": )", "/", "x.json");
  ASSERT_FALSE(c.is_ok());
  EXPECT_NE(c.status().message().find("config is not valid JSON"), std::string::npos);
  EXPECT_EQ(c.status().code(), ErrorCode::kInvalidArgument);
}

TEST(Config, ReconcilePairNamingAnUnknownSystemIsRefused) {
  Registry registry;
  register_builtin_connectors(registry);
  std::string text = kMinimal;
  text.insert(text.rfind('}'), R"(, "reconcile": {"pairs": [{"left": "sap-ecc", "right": "sap-s5"}]})");
  auto c = parse_config(text, "/etc/arsync", "/etc/arsync/arsync.json");
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  auto opts = make_engine_options(*c, registry);
  ASSERT_FALSE(opts.is_ok());
  EXPECT_NE(opts.status().message().find("unknown system 'sap-s5'"), std::string::npos)
      << opts.status().to_string();
}

TEST(Config, CommitRecordsReachesTheEngine) {
  Registry registry;
  register_builtin_connectors(registry);
  auto defaults = parse_config(kMinimal, "/etc/arsync", "/etc/arsync/arsync.json");
  ASSERT_TRUE(defaults.is_ok());
  EXPECT_EQ(defaults->commit_records, 500u);
  std::string text = kMinimal;
  text.replace(text.find(R"("synchronous")"), 0, R"("commit_records": 2000, )");
  auto c = parse_config(text, "/etc/arsync", "/etc/arsync/arsync.json");
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  auto opts = make_engine_options(*c, registry);
  ASSERT_TRUE(opts.is_ok()) << opts.status().to_string();
  EXPECT_EQ(opts->sink.commit_records, 2000u);
}

TEST(Config, CommitRecordsOutOfRangeIsRefused) {
  std::string text = kMinimal;
  text.replace(text.find(R"("synchronous")"), 0, R"("commit_records": 0, )");
  auto c = parse_config(text, "/etc/arsync", "/etc/arsync/arsync.json");
  ASSERT_FALSE(c.is_ok());
  EXPECT_EQ(c.status().message(), "store.commit_records must be between 1 and 1000000, got 0");
}

TEST(Config, SystemNameWithSeparatorIsRefused) {
  auto c = parse_config(R"({"systems": {"sap|ecc": {"type": "sap_idoc"}}})", "/", "x.json");
  ASSERT_FALSE(c.is_ok());
  EXPECT_NE(c.status().message().find("may not contain"), std::string::npos);
}

// `text` with `key_value` put first into the top-level object of kMinimal.
std::string minimal_with(const std::string& key_value) {
  std::string text = kMinimal;
  text.insert(text.find('{') + 1, key_value + ",");
  return text;
}

std::string error_of(const std::string& text) {
  auto c = parse_config(text, "/etc/arsync", "/etc/arsync/arsync.json");
  EXPECT_FALSE(c.is_ok());
  return c.is_ok() ? "" : c.status().message();
}

TEST(Config, IntervalGivenAsTextNamesTheKeyAndTheExpectedType) {
  EXPECT_EQ(error_of(minimal_with(R"("interval_seconds": "10")")),
            "interval_seconds: expected an integer, got the string \"10\"");
}

TEST(Config, NumberWithAFractionIsRefused) {
  std::string text = kMinimal;
  text.replace(text.find(R"("synchronous")"), 0, R"("commit_records": 500.5, )");
  EXPECT_EQ(error_of(text), "store.commit_records: expected an integer, got the number 500.5");
  EXPECT_EQ(error_of(minimal_with(R"("interval_seconds": 1e3)")),
            "interval_seconds: expected an integer, got the number 1000.0");
}

TEST(Config, IntervalOutOfRangeIsRefused) {
  EXPECT_EQ(error_of(minimal_with(R"("interval_seconds": 0)")),
            "interval_seconds must be between 1 and 604800, got 0");
  EXPECT_EQ(error_of(minimal_with(R"("interval_seconds": -5)")),
            "interval_seconds must be between 1 and 604800, got -5");
  EXPECT_EQ(error_of(minimal_with(R"("interval_seconds": 18446744073709551615)")),
            "interval_seconds must be between 1 and 604800, got 18446744073709551615");
  auto week = parse_config(minimal_with(R"("interval_seconds": 604800)"), "/", "x.json");
  ASSERT_TRUE(week.is_ok()) << week.status().to_string();
  EXPECT_EQ(week->interval, std::chrono::seconds(604800));
}

TEST(Config, TextKeysOfTheWrongTypeNameTheirPath) {
  EXPECT_EQ(error_of(minimal_with(R"("state_dir": 5)")),
            "state_dir: expected a string, got the number 5");
  EXPECT_EQ(error_of(minimal_with(R"("log_level": ["debug"])")),
            "log_level: expected a string, got an array");
  std::string text = kMinimal;
  text.replace(text.find(R"("path": "var/arsync.db")"), 23, R"("path": true)");
  EXPECT_EQ(error_of(text), "store.path: expected a string, got true");
  EXPECT_EQ(error_of(R"({"systems": {"sap-ecc": {"type": null}}})"),
            "systems.sap-ecc.type: expected a string, got null");
  EXPECT_EQ(error_of(R"({"systems": {"sap-ecc": {"type": "sap_idoc", "settings": "in/ecc"}}})"),
            "systems.sap-ecc.settings: expected an object, got the string \"in/ecc\"");
  EXPECT_EQ(error_of(R"({"store": [], "systems": {"a": {"type": "sap_idoc"}}})"),
            "store: expected an object, got an array");
  EXPECT_EQ(error_of(R"({"systems": {"a": {"type": "sap_idoc"}}, "mail": "x"})"),
            "mail: expected an object, got the string \"x\"");
}

// ---- every error at once ---------------------------------------------------

TEST(ConfigErrors, ParseGoesOnAfterTheFirstErrorAndNamesEachKeyPath) {
  ConfigErrors errors("/etc/arsync/arsync.json");
  std::optional<Config> c = parse_config(R"({
    "store": {"path": 7, "synchronous": "fast", "commit_records": 0},
    "interval_seconds": "10", "log_level": "loud", "intervall": 5,
    "systems": {"sap-ecc": {"type": "sap_idoc", "setings": {}},
                "sap s4": {"type": "sap_idoc"},
                "sap-s5": {"settings": []}}
  })", "/etc/arsync", errors);
  ASSERT_TRUE(c.has_value());
  std::vector<std::string> messages;
  for (const Status& e : errors.errors()) messages.push_back(e.message());
  EXPECT_EQ(messages, (std::vector<std::string>{
      "intervall: unknown key (known keys here: http, interval_seconds, log_level, mail, "
      "mappings_dir, quarantine_alert_share, reconcile, secrets_file, state_dir, store, systems)",
      "store.path: expected a string, got the number 7",
      "store.synchronous must be \"full\" or \"normal\"",
      "store.commit_records must be between 1 and 1000000, got 0",
      "interval_seconds: expected an integer, got the string \"10\"",
      "log_level must be one of debug, info, warning, error",
      "systems.sap s4: a system name may not contain spaces, ',' or '|'",
      "systems.sap-ecc.setings: unknown key (known keys here: interval_seconds, mappings, "
      "settings, type)",
      "systems.sap-s5.type is required (a connector type such as \"sap_idoc\")",
      "systems.sap-s5.settings: expected an object, got an array"}));
  for (const Status& e : errors.errors()) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(e.where().file, "/etc/arsync/arsync.json");
  }
}

TEST(ConfigErrors, ResultFormListsEveryErrorInOneStatus) {
  auto c = parse_config(R"({"interval_seconds": 0, "log_level": "loud", "systems": {}})", "/",
                        "/etc/arsync/arsync.json");
  ASSERT_FALSE(c.is_ok());
  EXPECT_EQ(c.status().to_string(),
            "invalid argument: 3 errors in the config:\n"
            "  interval_seconds must be between 1 and 604800, got 0\n"
            "  log_level must be one of debug, info, warning, error\n"
            "  systems: at least one system is required, as an object keyed by system name "
            "(e.g. \"sap-ecc\": {\"type\": \"sap_idoc\", ...}) (at file /etc/arsync/arsync.json)");
}

TEST(ConfigErrors, OneErrorIsReportedAsItWasBefore) {
  auto c = parse_config(R"({"interval_seconds": 0, "systems": {"a": {"type": "sap_idoc"}}})", "/",
                        "x.json");
  ASSERT_FALSE(c.is_ok());
  EXPECT_EQ(c.status().to_string(),
            "invalid argument: interval_seconds must be between 1 and 604800, got 0 (at file x.json)");
}

TEST(ConfigErrors, AnotherLayersErrorKeepsItsOwnPlace) {
  ConfigErrors errors("/etc/arsync/arsync.json");
  errors.add("interval_seconds must be between 1 and 604800, got 0");
  Location at;
  at.file = "/etc/arsync/smtp.pw";
  errors.add(Status(ErrorCode::kIoError, "mail.transport.password_file: cannot read it", at));
  errors.add(Status(ErrorCode::kInvalidArgument, "systems.a.settings: unknown key 'x'"));
  errors.add(Status::ok());  // nothing to add
  EXPECT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors.errors()[2].where().file, "/etc/arsync/arsync.json");
  EXPECT_EQ(errors.lines(), (std::vector<std::string>{
      "interval_seconds must be between 1 and 604800, got 0",
      "mail.transport.password_file: cannot read it (at file /etc/arsync/smtp.pw)",
      "systems.a.settings: unknown key 'x'"}));
}

// nlohmann throws out_of_range, not parse_error, for a number a double
// cannot hold (what mapping_fuzz found in Mapping::compile).
TEST(Config, NumberBeyondDoubleIsAnErrorNotAnException) {
  auto c = parse_config(R"({"systems": {}, "interval_seconds": 1e999})", "/", "x.json");
  ASSERT_FALSE(c.is_ok());
  EXPECT_NE(c.status().message().find("config is not valid JSON"), std::string::npos)
      << c.status().message();
}

TEST(ConfigErrors, TextThatIsNotJsonIsOneErrorAndNothingElseIsChecked) {
  ConfigErrors errors("x.json");
  EXPECT_FALSE(parse_config("{\"systems\": ", "/", errors).has_value());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors.errors()[0].message().find("config is not valid JSON"), std::string::npos);
}

}  // namespace
}  // namespace arsync::service
