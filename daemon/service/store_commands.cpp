#include "arsync/service/store_commands.h"

#include <cstdint>
#include <optional>

namespace arsync::service {
namespace {

CommandOutput failed(int code, std::string message) {
  CommandOutput out;
  out.exit_code = code;
  out.error = std::move(message);
  return out;
}

// arguments[key] as non-empty text, or nullopt.
std::optional<std::string> text_argument(const nlohmann::json& arguments, const char* key) {
  const auto it = arguments.find(key);
  if (it == arguments.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    return std::nullopt;
  }
  return it->get<std::string>();
}

// `discrepancies resolve|ack`: a person's verdict, kept with the note in its
// history.
CommandOutput decide(const StoreCommand& command, store::Store& store, const Clock& clock,
                     bool resolve) {
  const nlohmann::json& a = command.arguments;
  const auto id = a.find("id");
  if (id == a.end() || !id->is_number_integer() || id->get<std::int64_t>() <= 0) {
    return failed(2, command.name + ": argument id must be a positive whole number");
  }
  const std::optional<std::string> note = text_argument(a, "note");
  if (!note) return failed(2, "--note TEXT is required: say why");
  const std::optional<std::string> by = text_argument(a, "by");
  if (!by) return failed(2, command.name + ": argument by must name who decides");
  const std::int64_t n = id->get<std::int64_t>();
  Status s = resolve ? store.resolve_discrepancy(n, *by, *note, clock.now())
                     : store.acknowledge_discrepancy(n, *by, *note, clock.now());
  if (!s) return failed(1, s.to_string());
  CommandOutput out;
  out.output = "discrepancy #" + std::to_string(n) + (resolve ? " resolved" : " acknowledged") +
               " by " + *by + "\n";
  return out;
}

CommandOutput recheck(store::Store& store, const Clock& clock) {
  Status s = store.mark_all_dirty(clock.now());
  if (!s) return failed(1, s.to_string());
  CommandOutput out;
  out.output = "every match group will be re-checked on the next cycle\n";
  return out;
}

}  // namespace

bool is_store_command(std::string_view name) {
  return name == "discrepancies ack" || name == "discrepancies resolve" || name == "recheck";
}

CommandOutput run_store_command(const StoreCommand& command, store::Store& store,
                                const Clock& clock) {
  if (!command.arguments.is_object()) return failed(2, command.name + ": arguments must be an object");
  try {
    if (command.name == "discrepancies ack") return decide(command, store, clock, false);
    if (command.name == "discrepancies resolve") return decide(command, store, clock, true);
    if (command.name == "recheck") return recheck(store, clock);
  } catch (const std::exception& e) {
    return failed(1, command.name + ": " + e.what());
  }
  return failed(2, "no command '" + command.name + "' changes the store");
}

}  // namespace arsync::service
