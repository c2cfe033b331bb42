// What a company starts with: the JSON fixtures of a folder and, on
// request, N generated invoices with their customers, payments and credit
// memos.
//
// Thread safety: call before the server starts.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "company.h"

namespace arsync::emulators::quickbooks {

// Loads every *.json file of `dir` (in name order). Each file is an object
// whose members are entity names holding arrays of entities as Intuit serves
// them ({"Invoice":[{...}], "Customer":[...]}). Returns an error naming the
// file, entity and index, or empty on success.
std::string load_fixtures(Company& company, const std::filesystem::path& dir);

// Generates `invoices` invoices deterministically: the same ids, numbers,
// customers, amounts and dates for the same count. MetaData times are one
// second apart and end at `end_ms`, so that the data is inside CDC's 30-day
// window. A third of the invoices are paid (half of those in part), a tenth
// have a credit memo, a tenth of the customers bill in EUR.
void generate(Company& company, int64_t invoices, int64_t end_ms);

}  // namespace arsync::emulators::quickbooks
