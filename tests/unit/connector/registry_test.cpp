#include "connector/registry.h"

#include <gtest/gtest.h>

namespace arsync {
namespace {

ConnectorType sample_type() {
  ConnectorType t;
  t.name = "sample";
  t.config_keys = {
      {"inbound_dir", "path", nullptr, true, "drop folder"},
      {"batch_size", "integer", 500, false, "records per batch"},
  };
  return t;
}

TEST(Registry, RefusesDuplicateNames) {
  Registry r;
  EXPECT_TRUE(r.add(sample_type()).is_ok());
  Status s = r.add(sample_type());
  EXPECT_EQ(s.code(), ErrorCode::kAlreadyExists);
  ASSERT_NE(r.find("sample"), nullptr);
  EXPECT_EQ(r.find("other"), nullptr);
}

TEST(Registry, RefusesATypeBuiltAgainstAnotherInterfaceVersion) {
  Registry r;
  ConnectorType old = sample_type();
  old.abi_version = kConnectorAbiVersion - 1;
  Status s = r.add(std::move(old));
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "connector type 'sample' was built against connector interface " +
                             std::to_string(kConnectorAbiVersion - 1) + ", this arsync has " +
                             std::to_string(kConnectorAbiVersion) +
                             ": rebuild the connector against this arsync's headers");
  EXPECT_EQ(r.find("sample"), nullptr);
  EXPECT_TRUE(r.add(sample_type()).is_ok());  // the default is this build's version
}

TEST(Registry, ValidateFillsDefaults) {
  auto out = Registry::validate(sample_type(), {{"inbound_dir", "/x"}}, "sap-ecc");
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ((*out)["batch_size"], 500);
}

TEST(Registry, ValidateNamesTheBadKey) {
  auto missing = Registry::validate(sample_type(), nlohmann::json::object(), "sap-ecc");
  EXPECT_NE(missing.status().message().find("systems.sap-ecc.settings: missing required key 'inbound_dir'"),
            std::string::npos);
  auto unknown = Registry::validate(sample_type(), {{"inbound_dir", "/x"}, {"batchsize", 3}}, "s");
  EXPECT_NE(unknown.status().message().find("unknown key 'batchsize'"), std::string::npos);
  auto wrong = Registry::validate(sample_type(), {{"inbound_dir", "/x"}, {"batch_size", "3"}}, "s");
  EXPECT_NE(wrong.status().message().find("systems.s.settings.batch_size must be of type integer"),
            std::string::npos);
}

}  // namespace
}  // namespace arsync
