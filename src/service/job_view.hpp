#pragma once
// How a job looks to API clients and webhook receivers (DESIGN §5.1).

#include "core/json.hpp"
#include "store/job_store.hpp"

namespace shot::service {

json::object job_to_json(const Job& job);
json::object item_to_json(const Job& job, const Item& item);
std::string job_url(std::string_view job_id);

}  // namespace shot::service
