// The connector registry, host side: which connector types this daemon
// knows, and the built-in ones it registers.
//
// Not part of the plugin interface (include/arsync/connector.h is): a
// connector never sees the registry. A type built against another
// kConnectorAbiVersion is refused when it is added, so that a plugin
// compiled against an older interface fails at start-up with its name
// instead of misreading records.
//
// Thread safety: filled once at start-up, then only read (from any thread).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "arsync/connector.h"
#include "arsync/model/status.h"

namespace arsync {

class Registry {
 public:
  // kAlreadyExists if a type of that name is registered; kInvalidArgument
  // naming the type and both versions when its abi_version is not this
  // build's kConnectorAbiVersion.
  Status add(ConnectorType type);
  // nullptr if unknown.
  const ConnectorType* find(const std::string& name) const;
  std::vector<std::string> names() const;

  // Checks `settings` against the type's config keys: unknown keys, missing
  // required keys and wrong types are kInvalidArgument naming the key. On
  // success returns the settings with defaults filled in.
  static Result<nlohmann::json> validate(const ConnectorType& type,
                                         const nlohmann::json& settings,
                                         const std::string& system);

 private:
  std::map<std::string, ConnectorType> types_;
};

// Registers the connectors compiled into this build (sap_idoc, ...).
// Called once by main.
void register_builtin_connectors(Registry& registry);

}  // namespace arsync
