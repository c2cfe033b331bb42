// Shared fixtures for the store tests: a fresh database file in a temp
// folder per test, and realistic documents.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "arsync/store/store.h"

namespace arsync::store::testing {

Instant at(const char* iso);  // parse_instant or abort
Money usd(std::int64_t cents);

// An open SAP-side invoice of 1,250.00 USD for customer C100.
Document invoice(const std::string& system, const std::string& external_id,
                 const std::string& match_key);
// A payment settling `invoice_key` with `cents`.
Document payment(const std::string& system, const std::string& external_id,
                 const std::string& match_key, const std::string& invoice_key,
                 std::int64_t cents);

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  SqliteOptions options(bool read_only = false) const;
  std::unique_ptr<Store> open(bool read_only = false);
  // A batch of `docs` for system "sap-ecc", cursor key "files".
  DocumentBatch batch(std::vector<Document> docs, std::optional<std::string> cursor = {});

  std::filesystem::path dir_;
  std::string db_path_;
  std::unique_ptr<Store> store_;
  Instant now_ = at("2026-11-25T10:00:00Z");
};

}  // namespace arsync::store::testing
