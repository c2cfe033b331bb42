#include "sync_cursor.h"

#include <nlohmann/json.hpp>

namespace arsync::connectors::quickbooks {

std::string SyncCursor::to_text() const {
  nlohmann::json entities = nlohmann::json::object();
  for (const auto& [name, c] : this->entities) {
    nlohmann::json e = {{"mode", c.mode == EntityCursor::Mode::kQuery ? "query" : "cdc"}, {"since", c.since}};
    if (c.mode == EntityCursor::Mode::kQuery) {
      e["skip"] = c.skip;
      e["last_id"] = c.last_id;
      e["load_started"] = c.load_started;
    }
    entities[name] = std::move(e);
  }
  return nlohmann::json{{"v", 1}, {"entities", std::move(entities)}}.dump();
}

Result<SyncCursor> SyncCursor::parse(std::string_view text) {
  SyncCursor out;
  if (text.empty()) return out;
  const auto bad = [&](const std::string& why) {
    return Status(ErrorCode::kParseError,
                  "the stored QuickBooks cursor cannot be read (" + why +
                      "); reset it to load this system again from the start");
  };
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    if (!j.is_object() || j.value("v", 0) != 1 || !j.contains("entities") || !j["entities"].is_object()) {
      return bad("not a version 1 cursor");
    }
    for (const auto& [name, e] : j["entities"].items()) {
      EntityCursor c;
      const std::string mode = e.at("mode").get<std::string>();
      if (mode == "query") {
        c.mode = EntityCursor::Mode::kQuery;
        c.skip = e.at("skip").get<std::size_t>();
        c.last_id = e.at("last_id").get<std::string>();
        c.load_started = e.at("load_started").get<std::string>();
      } else if (mode == "cdc") {
        c.mode = EntityCursor::Mode::kCdc;
      } else {
        return bad("entity " + name + " has mode '" + mode + "'");
      }
      c.since = e.at("since").get<std::string>();
      out.entities[name] = std::move(c);
    }
  } catch (const nlohmann::json::exception& e) {
    return bad(e.what());
  }
  return out;
}

}  // namespace arsync::connectors::quickbooks
