#include "connector/registry.h"

namespace arsync {
namespace {

bool type_matches(const std::string& type, const nlohmann::json& v) {
  if (type == "string" || type == "path") return v.is_string();
  if (type == "integer") return v.is_number_integer();
  if (type == "boolean") return v.is_boolean();
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  return true;
}

}  // namespace

Status Connector::push(const Operation&) {
  return Status(ErrorCode::kUnimplemented, "this connector does not support write-back");
}

Status Registry::add(ConnectorType type) {
  if (type.abi_version != kConnectorAbiVersion) {
    return Status(ErrorCode::kInvalidArgument,
                  "connector type '" + type.name + "' was built against connector interface " +
                      std::to_string(type.abi_version) + ", this arsync has " +
                      std::to_string(kConnectorAbiVersion) +
                      ": rebuild the connector against this arsync's headers");
  }
  if (types_.count(type.name)) {
    return Status(ErrorCode::kAlreadyExists,
                  "connector type '" + type.name + "' is already registered");
  }
  std::string name = type.name;
  types_.emplace(std::move(name), std::move(type));
  return Status::ok();
}

const ConnectorType* Registry::find(const std::string& name) const {
  auto it = types_.find(name);
  return it == types_.end() ? nullptr : &it->second;
}

std::vector<std::string> Registry::names() const {
  std::vector<std::string> out;
  for (const auto& [name, type] : types_) out.push_back(name);
  return out;
}

Result<nlohmann::json> Registry::validate(const ConnectorType& type,
                                          const nlohmann::json& settings,
                                          const std::string& system) {
  const std::string where = "systems." + system + ".settings";
  if (!settings.is_null() && !settings.is_object()) {
    return Status(ErrorCode::kInvalidArgument, where + " must be an object");
  }
  nlohmann::json out = settings.is_null() ? nlohmann::json::object() : settings;
  for (const auto& [key, value] : out.items()) {
    bool known = false;
    for (const ConfigKey& k : type.config_keys) known = known || k.name == key;
    if (!known) {
      std::string names;
      for (const ConfigKey& k : type.config_keys) names += (names.empty() ? "" : ", ") + k.name;
      return Status(ErrorCode::kInvalidArgument,
                    where + ": unknown key '" + key + "' for connector type '" + type.name +
                        "' (known keys: " + names + ")");
    }
  }
  for (const ConfigKey& k : type.config_keys) {
    if (!out.contains(k.name)) {
      if (k.required) {
        return Status(ErrorCode::kInvalidArgument,
                      where + ": missing required key '" + k.name + "' (" + k.description + ")");
      }
      if (!k.default_value.is_null()) out[k.name] = k.default_value;
      continue;
    }
    if (!type_matches(k.type, out[k.name])) {
      return Status(ErrorCode::kInvalidArgument,
                    where + "." + k.name + " must be of type " + k.type);
    }
  }
  return out;
}

}  // namespace arsync
