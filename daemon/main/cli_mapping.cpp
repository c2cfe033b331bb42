// `arsync mapping check|test`.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "command_table.h"
#include "arsync/mapping/mapping.h"
#include "arsync/model/document_json.h"
#include "arsync/model/json_record.h"

namespace arsync::cli {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool maps_entity(const mapping::Mapping& m, const std::string& entity) {
  for (const std::string& e : m.entities()) {
    if (e == entity) return true;
  }
  return false;
}

// What the connector type would be given for a mapping file in its folder.
ConnectorContext file_context(const mapping::Mapping& m) {
  ConnectorContext rctx;
  rctx.system = "mapping-test";
  rctx.settings = nlohmann::json::object();
  rctx.mappings_dir = std::filesystem::path(m.file()).parent_path().string();
  return rctx;
}

// Prints each name in `m` that its connector type's schema does not know;
// false when there is one (or the schema cannot be loaded).
bool names_known(const Context& ctx, const mapping::Mapping& m) {
  const ConnectorType* type = ctx.registry.find(m.connector_type());
  if (!type || !type->schema) return true;
  Result<RecordSchema> schema = type->schema(file_context(m));
  if (!schema) {
    std::cerr << "error: " << schema.status().to_string() << "\n";
    return false;
  }
  std::vector<Status> unknown = m.check(*schema);
  for (const Status& st : unknown) std::cerr << "error: " << st.to_string() << "\n";
  return unknown.empty();
}

// Reads INPUT as the connector would, or as one JSON record.
Status read_input(const Context& ctx, const mapping::Mapping& m, const std::string& input,
                  std::vector<RawRecord>& records, std::vector<RejectedRecord>& rejected) {
  const ConnectorType* type = ctx.registry.find(m.connector_type());
  if (ends_with(input, ".json") && !(type && type->read_file && type->read_file_takes_json)) {
    std::ifstream in(input, std::ios::binary);
    if (!in) {
      Location at;
      at.file = input;
      return Status(ErrorCode::kIoError, "cannot read input file", at);
    }
    std::ostringstream text;
    text << in.rdbuf();
    RawRecord rec;
    Result<Record> data = parse_json_record(text.str(), input);
    if (!data) return data.status();
    rec.data = std::move(data).value();
    rec.entity = m.entities().empty() ? "" : m.entities().front();
    rec.external_id = std::filesystem::path(input).stem().string();
    rec.source = input;
    records.push_back(std::move(rec));
    return Status::ok();
  }
  if (!type) {
    return Status(ErrorCode::kInvalidArgument,
                  "the mapping is for connector type '" + m.connector_type() +
                      "', which this build does not have");
  }
  if (!type->read_file) {
    return Status(ErrorCode::kUnimplemented,
                  "connector type '" + m.connector_type() +
                      "' cannot read files; give a .json record instead");
  }
  const ConnectorContext rctx = file_context(m);
  return type->read_file(
      rctx, input, [&records](RawRecord r) { records.push_back(std::move(r)); },
      [&rejected](RejectedRecord r) { rejected.push_back(std::move(r)); });
}

int mapping_test(Context& ctx, const Args& args) {
  if (args.positional.size() != 2) return fail("usage: " + args.usage, 2);
  Result<mapping::Mapping> m = mapping::Mapping::load(args.positional[0]);
  if (!m) return fail(m.status().to_string());
  if (!names_known(ctx, *m)) return 1;
  std::vector<RawRecord> records;
  std::vector<RejectedRecord> rejected;
  Status read = read_input(ctx, *m, args.positional[1], records, rejected);
  if (!read) return fail(read.to_string());

  int errors = 0;
  for (const RejectedRecord& r : rejected) {
    ++errors;
    std::cout << "ERROR record " << (r.external_id.empty() ? "?" : r.external_id)
              << " could not be read: " << r.error.to_string() << "\n";
  }
  size_t mapped = 0;
  size_t skipped = 0;
  size_t unmapped = 0;
  std::string takes;
  for (const std::string& e : m->entities()) takes += (takes.empty() ? "" : ", ") + e;
  for (const RawRecord& rec : records) {
    if (!maps_entity(*m, rec.entity)) {
      ++unmapped;
      std::cout << "ERROR record " << rec.external_id << ": record type " << rec.entity
                << " is not mapped by this file (it maps " << takes
                << "): in production the record would be quarantined\n";
      continue;
    }
    if (const std::string* why = m->skip_reason(rec.data)) {
      ++skipped;
      std::cout << "skipped record " << rec.external_id << ": " << *why << "\n";
      continue;
    }
    mapping::RecordMeta meta{"mapping-test", rec.entity, rec.external_id, rec.version, rec.source};
    Result<Document> doc = m->apply(rec.data, meta);
    if (!doc) {
      ++errors;
      std::cout << "ERROR record " << rec.external_id << ": " << doc.status().to_string() << "\n";
      continue;
    }
    ++mapped;
    nlohmann::json j = to_json(*doc);
    j.erase("system");
    std::cout << j.dump(2) << "\n";
  }
  std::cout << mapped << " mapped, " << errors << " error(s), " << skipped << " skipped";
  if (unmapped > 0) std::cout << ", " << unmapped << " of a record type no mapping takes";
  std::cout << "\n";
  return errors == 0 && unmapped == 0 ? 0 : 1;
}

int mapping_check(Context& ctx, const Args& args) {
  if (args.positional.size() != 1) return fail("usage: " + args.usage, 2);
  Result<mapping::Mapping> m = mapping::Mapping::load(args.positional[0]);
  if (!m) return fail(m.status().to_string());
  std::string entities;
  for (const std::string& e : m->entities()) entities += (entities.empty() ? "" : ", ") + e;
  if (!ctx.registry.find(m->connector_type())) {
    return fail(args.positional[0] + ": connector type '" + m->connector_type() +
                "' is not built into this arsync");
  }
  if (!names_known(ctx, *m)) return 1;
  std::cout << args.positional[0] << ": OK (connector " << m->connector_type()
            << ", record types " << entities << ")\n"
            << "reads: " << m->fields_read().to_string() << "\n";
  return 0;
}

}  // namespace

void add_mapping_commands(CommandTable& table) {
  CommandSpec& check = add_command(table, {"mapping", "check"}, "validate a mapping file",
                                   mapping_check);
  check.arguments = {"FILE"};
  check.help = "Also prints what the daemon will read of each record.";
  CommandSpec& test = add_command(table, {"mapping", "test"},
                                  "map a source file (IDoc file or JSON record)", mapping_test);
  test.arguments = {"FILE", "INPUT"};
  test.help = "Prints each document and each error with its path; exit 1 when any record fails.";
}

}  // namespace arsync::cli
