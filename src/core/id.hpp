#pragma once

#include <string>

namespace shot {

// A random opaque id: 20 lower-case base32 characters (100 bits).
std::string new_id();

// Hex of `n` random bytes from the OS.
std::string random_hex(std::size_t n);

}  // namespace shot
