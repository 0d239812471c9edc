// .npy parsing (io/npy): any bytes are parsed or refused; a parsed tensor holds exactly the bytes its
// shape needs and survives a write and re-read unchanged.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "io/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto tensor = plateau::io::ParseNpy(bytes, "fuzz.npy");
  if (!tensor.ok()) {
    PLATEAU_FUZZ_CHECK(!tensor.status().message().empty(), "a refusal says why");
    return 0;
  }
  PLATEAU_FUZZ_CHECK(tensor->byte_size() <= size, "the data came from the input");
  const std::string encoded = plateau::io::EncodeNpy(tensor->view());
  auto again = plateau::io::ParseNpy(encoded, "re-encoded.npy");
  PLATEAU_FUZZ_CHECK(again.ok(), "a written tensor reads back");
  PLATEAU_FUZZ_CHECK(again->shape() == tensor->shape() && again->dtype() == tensor->dtype(),
                     "shape and type survive");
  PLATEAU_FUZZ_CHECK(
      tensor->byte_size() == 0 || std::memcmp(again->data(), tensor->data(), tensor->byte_size()) == 0,
      "the data survives");
  return 0;
}
