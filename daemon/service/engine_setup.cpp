#include "arsync/service/engine_setup.h"

#include <set>

#include "arsync/alert/mail_config.h"
#include "arsync/reconcile/config.h"

namespace arsync::service {

Result<engine::EngineOptions> make_engine_options(const Config& config,
                                                  const Registry& registry) {
  engine::EngineOptions opts;
  opts.state_dir = config.state_dir;
  opts.sink.commit_records = config.commit_records;
  opts.quarantine_alert_share = config.quarantine_alert_share;
  std::vector<std::string> names;
  for (const SystemConfig& s : config.systems) {
    nlohmann::json settings = s.settings;
    if (const ConnectorType* type = registry.find(s.type); type && settings.is_object()) {
      for (const ConfigKey& key : type->config_keys) {
        if (key.type == "path" && settings.contains(key.name) && settings[key.name].is_string()) {
          settings[key.name] = resolve_path(config.base_dir, settings[key.name].get<std::string>());
        }
      }
    }
    opts.systems.push_back({s.name, s.type, s.mappings_dir, std::move(settings), {}});
    names.push_back(s.name);
  }
  auto in_file = [&config](Status s) {
    if (s.where().file.empty()) s.where().file = config.file;
    return s;
  };
  Result<reconcile::ReconcileConfig> rc = reconcile::parse_reconcile_config(config.reconcile, names);
  if (!rc) return in_file(rc.status());
  opts.reconcile = std::move(rc).value();
  Result<alert::MailConfig> mc = alert::parse_mail_config(config.mail, config.file);
  if (!mc) return in_file(mc.status());
  opts.mail = std::move(mc).value();
  // The mail delivery thread's own connection to the same store.
  opts.open_mail_store = [path = config.store_path, full = config.synchronous_full] {
    store::SqliteOptions so;
    so.path = path;
    so.synchronous_full = full;
    return store::open_sqlite_store(so);
  };
  return opts;
}

}  // namespace arsync::service
