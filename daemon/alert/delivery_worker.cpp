#include "arsync/alert/delivery_worker.h"

#include <pthread.h>

#include "arsync/log/log.h"

namespace arsync::alert {

Result<std::unique_ptr<MailDeliveryWorker>> MailDeliveryWorker::start(
    MailConfig config, const OpenStore& open_store, const Clock& clock,
    std::chrono::milliseconds retry_after_error) {
  Result<std::unique_ptr<store::Store>> store = open_store();
  if (!store) return store.status().with_context("opening the mail delivery's store connection");
  Result<std::unique_ptr<Transport>> transport = make_transport(config.transport, config.hostname);
  if (!transport) return transport.status().with_context("mail.transport");
  Result<std::size_t> recovered = recover_interrupted_mail(**store, **transport, config, clock);
  if (!recovered) return recovered.status();
  std::unique_ptr<MailDeliveryWorker> worker(new MailDeliveryWorker(
      std::move(config), std::move(store).value(), std::move(transport).value(), clock, retry_after_error));
  // Mail left pending by the last process is delivered when due, without
  // a wake (read here, so mail queued after start() waits for a wake).
  Result<std::optional<Instant>> pending = worker->store_->next_mail_attempt();
  if (!pending) return pending.status().with_context("reading the mail outbox");
  worker->first_round_ = *pending;
  worker->thread_ = std::thread([w = worker.get()] {
    pthread_setname_np(pthread_self(), "arsync-mail");
    w->run();
  });
  return worker;
}

MailDeliveryWorker::MailDeliveryWorker(MailConfig config, std::unique_ptr<store::MailStore> store,
                                       std::unique_ptr<Transport> transport, const Clock& clock,
                                       std::chrono::milliseconds retry_after_error)
    : config_(std::move(config)),
      store_(std::move(store)),
      transport_(std::move(transport)),
      clock_(clock),
      retry_after_error_(retry_after_error) {}

MailDeliveryWorker::~MailDeliveryWorker() { stop(); }

void MailDeliveryWorker::wake() {
  {
    std::lock_guard lock(mu_);
    ++requested_;
  }
  cv_.notify_all();
}

Result<DeliveryStats> MailDeliveryWorker::deliver_now() {
  std::unique_lock lock(mu_);
  if (stopping_) return Status(ErrorCode::kUnavailable, "mail delivery is stopping");
  const std::uint64_t ticket = ++requested_;
  cv_.notify_all();
  cv_.wait(lock, [&] { return finished_ >= ticket || stopping_; });
  if (finished_ < ticket) return Status(ErrorCode::kUnavailable, "mail delivery stopped before the round");
  return last_;
}

void MailDeliveryWorker::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    if (running_) running_->cancel();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::optional<Instant> MailDeliveryWorker::next_round(const Result<DeliveryStats>& round) {
  const Instant now = clock_.now();
  const auto after_error = std::chrono::ceil<std::chrono::seconds>(retry_after_error_);
  if (!round) return now + after_error;
  Result<std::optional<Instant>> earliest = store_->next_mail_attempt();
  if (!earliest) {
    log::error("", "mail_delivery_failed", {{"error", earliest.status().to_string()}});
    return now + after_error;
  }
  if (!*earliest || **earliest > now) return *earliest;
  // Mail still due that the round left untried (its connection failed):
  // not before the failed one's retry.
  if (round->next_attempt) return std::max(*round->next_attempt, now + std::chrono::seconds(1));
  return now + after_error;
}

void MailDeliveryWorker::run() {
  std::optional<Instant> next = first_round_;
  std::unique_lock lock(mu_);
  bool again = false;  // the last round reached its deadline with mail still due
  while (!stopping_) {
    if (!again) {
      while (!stopping_ && requested_ <= finished_ && !(next && clock_.now() >= *next)) {
        if (next) {
          clock_.wait_until(cv_, lock, *next);
        } else {
          cv_.wait(lock);
        }
      }
      if (stopping_) break;
    }
    const std::uint64_t serving = requested_;
    RoundControl control;
    running_ = &control;
    lock.unlock();
    Result<DeliveryStats> stats = deliver_due(*store_, *transport_, config_, clock_, &control);
    if (!stats) log::error("", "mail_delivery_failed", {{"error", stats.status().to_string()}});
    again = stats && stats->deadline_reached;
    next = next_round(stats);
    lock.lock();
    running_ = nullptr;
    last_ = std::move(stats);
    finished_ = std::max(finished_, serving);
    cv_.notify_all();
  }
}

}  // namespace arsync::alert
