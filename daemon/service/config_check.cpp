#include "arsync/service/config_check.h"

#include <filesystem>

#include "arsync/alert/mail_config.h"
#include "arsync/mapping/mapping.h"
#include "arsync/reconcile/config.h"
#include "arsync/service/http_auth.h"
#include "arsync/service/secrets.h"

namespace arsync::service {
namespace {

// The system's connector type, settings and mapping files: what
// engine::SyncEngine::create refuses before it creates the connector.
void check_system(const SystemConfig& s, const Registry& registry, ConfigErrors& errors) {
  const std::string where = "systems." + s.name;
  if (s.type.empty()) return;  // parse_config said so
  const ConnectorType* type = registry.find(s.type);
  if (!type) {
    std::string known;
    for (const std::string& n : registry.names()) known += (known.empty() ? "" : ", ") + n;
    return errors.add(where + ".type: unknown connector type '" + s.type + "' (built in: " +
                      known + ")");
  }
  Result<nlohmann::json> settings = Registry::validate(*type, s.settings, s.name);
  if (!settings) return errors.add(settings.status());
  std::optional<RecordSchema> schema;
  if (type->schema) {
    ConnectorContext ctx;
    ctx.system = s.name;
    ctx.settings = *settings;
    ctx.mappings_dir = s.mappings_dir;
    Result<RecordSchema> got = type->schema(ctx);
    if (!got) return errors.add(got.status().with_context(where));
    schema = std::move(got).value();
  }
  Result<mapping::MappingSet> mappings =
      mapping::MappingSet::load_dir(s.mappings_dir, schema ? &*schema : nullptr);
  if (!mappings) {
    errors.add(mappings.status().with_context(where + ": mapping files in " + s.mappings_dir));
  }
}

}  // namespace

std::optional<Result<Secrets>> read_secrets(const Config& config) {
  std::error_code ec;
  if (!config.secrets_file_set && !std::filesystem::exists(config.secrets_file, ec) &&
      !std::filesystem::is_symlink(config.secrets_file, ec)) {
    return std::nullopt;
  }
  Result<Secrets> secrets = load_secrets(config.secrets_file);
  if (!secrets) return Result<Secrets>(secrets.status().with_context("secrets_file"));
  HttpCredentials credentials{secrets->http_users, secrets->http_tokens};
  if (Status usable = check_credentials(credentials); !usable) {
    Location at;
    at.file = config.secrets_file;
    return Result<Secrets>(Status(usable.code(), "http: " + usable.message(), at));
  }
  return secrets;
}

std::optional<Config> check_config(const std::string& path, const Registry& registry,
                                   ConfigErrors& errors, std::optional<Secrets>* secrets_out) {
  std::optional<Config> read = load_config(path, errors);
  if (!read) return read;  // unreadable, or not a JSON object
  const Config& c = *read;
  std::vector<std::string> names;
  for (const SystemConfig& s : c.systems) {
    check_system(s, registry, errors);
    names.push_back(s.name);
  }
  if (c.reconcile.is_object()) {
    Result<reconcile::ReconcileConfig> rc = reconcile::parse_reconcile_config(c.reconcile, names);
    if (!rc) errors.add(rc.status());
  }
  if (c.mail.is_object()) {
    Result<alert::MailConfig> mc = alert::parse_mail_config(c.mail, c.file);
    if (!mc) errors.add(mc.status());
  }
  if (std::optional<Result<Secrets>> secrets = read_secrets(c); secrets && !*secrets) {
    errors.add(secrets->status());
  } else if (secrets && secrets_out) {
    *secrets_out = std::move(*secrets).value();
  }
  return read;
}

}  // namespace arsync::service
