// Turns a parsed Config into the engine's options: parses the reconcile and
// mail sections with their layers' parsers and checks cross references
// (a reconcile pair naming an unknown system).
//
// Thread safety: pure function.
#pragma once

#include "connector/registry.h"
#include "arsync/engine/sync_engine.h"
#include "arsync/service/config.h"

namespace arsync::service {

// Connector settings whose type is "path" are resolved against the config
// file's folder. Errors: kInvalidArgument naming the config file and key.
Result<engine::EngineOptions> make_engine_options(const Config& config,
                                                  const Registry& registry);

}  // namespace arsync::service
