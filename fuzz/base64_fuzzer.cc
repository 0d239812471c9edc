// Base64 (server/base64): decoding any text fails cleanly or gives bytes that encode back to text that
// decodes to the same bytes; encoding any bytes decodes back to them.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "server/base64.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using plateau::server::Base64Decode;
  using plateau::server::Base64Encode;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto decoded = Base64Decode(text);
  if (decoded.ok()) {
    auto again = Base64Decode(Base64Encode(*decoded));
    PLATEAU_FUZZ_CHECK(again.ok() && *again == *decoded, "decode(encode(decode(x))) == decode(x)");
  } else {
    PLATEAU_FUZZ_CHECK(!decoded.status().message().empty(), "a refusal says why");
  }
  auto round = Base64Decode(Base64Encode(text));
  PLATEAU_FUZZ_CHECK(round.ok() && *round == text, "decode(encode(x)) == x");
  return 0;
}
