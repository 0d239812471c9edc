// Base64 (RFC 4648, standard alphabet, '=' padding) as the OCR serving API carries files in it.
#pragma once

#include <string>
#include <string_view>

#include "plateau/status.h"

namespace plateau::server {

// Decodes `text`; ASCII whitespace (line breaks of MIME-style Base64) is skipped. Fails with
// InvalidArgument naming the offset of the first character outside the alphabet, or a length that is
// not a whole number of 4-character groups, or padding in the middle. Empty text decodes to "".
StatusOr<std::string> Base64Decode(std::string_view text);

// Standard alphabet with padding, no line breaks.
std::string Base64Encode(std::string_view bytes);

}  // namespace plateau::server
