#pragma once
// The readiness gate (`wait_until: "auto"`): after navigation, wait until the
// network is quiet, one-off timers have fired, fonts are loaded, images are
// decoded, animations are finished (fast-forwarded), no frame changes the page
// and the layout is stable; for full pages, scroll through first so lazy
// content loads. Bounded by the capture's deadline: when time runs out the
// picture is taken anyway and the trace says what was still unmet.

#include "capture/run.hpp"

namespace shot::capture {

// Watches the page's requests: in flight, finished, long-lived streams.
void track_network(Run& run);

// Installs the in-page probes (timers, animation frames) before the page's own
// scripts run. Sent with the emulation commands; awaited with them.
std::shared_ptr<cdp::OneShot> install_probes(Run& run);

// The gate itself. Never fails for an unmet condition: it records it in
// run.result.trace ("ready": false, "unmet": [...]). Fails only when the page
// or the browser went away.
Task<Result<void>> readiness_gate(Run& run);

}  // namespace shot::capture
