// The body of POST /ocr (server/ocr_request): any bytes are parsed or refused with a message; nothing
// throws out of the parser.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_check.h"
#include "server/ocr_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto request = plateau::server::ParseOcrRequest(std::string(reinterpret_cast<const char*>(data), size));
  if (request.ok()) {
    PLATEAU_FUZZ_CHECK(!request->file.empty(), "an accepted request carries a file");
  } else {
    PLATEAU_FUZZ_CHECK(!request.status().message().empty(), "a refusal says why");
  }
  return 0;
}
