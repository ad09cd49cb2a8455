#include "orchestrator/store/notify.h"

#include <string>

namespace baton::store {

void NotifyTasksReady(pqxx::work& tx) {
  static const std::string kNotify = std::string("NOTIFY ") + kReadyChannel;
  tx.exec(kNotify);
}

}  // namespace baton::store
