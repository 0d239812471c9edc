#include "server/base64.h"

#include <array>
#include <cstdint>

namespace plateau::server {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr int8_t kInvalid = -1;

constexpr std::array<int8_t, 256> MakeDecodeTable() {
  std::array<int8_t, 256> table{};
  for (auto& v : table) v = kInvalid;
  for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  return table;
}
constexpr std::array<int8_t, 256> kDecode = MakeDecodeTable();

bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '\v'; }

}  // namespace

StatusOr<std::string> Base64Decode(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3);
  uint32_t group = 0;
  int filled = 0;   // characters of the current 4-character group seen
  int padding = 0;  // '=' seen so far (only at the end of the last group)
  size_t symbols = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (IsSpace(c)) continue;
    ++symbols;
    if (c == '=') {
      // Padding may only fill the last one or two places of a group.
      if (filled < 2) {
        return Status::InvalidArgument("Base64: '=' at offset " + std::to_string(i) +
                                       " where a data character was expected");
      }
      ++padding;
      ++filled;
    } else {
      const int8_t v = kDecode[static_cast<unsigned char>(c)];
      if (v == kInvalid || padding > 0) {
        std::string shown = (c >= 0x20 && c < 0x7f) ? std::string("'") + c + "'" : "a non-printable byte";
        return Status::InvalidArgument("Base64: " + shown + " at offset " + std::to_string(i) +
                                       (padding > 0 ? " after padding" : " is not in the Base64 alphabet"));
      }
      group = (group << 6) | static_cast<uint32_t>(v);
      ++filled;
    }
    if (filled == 4) {
      group <<= 6 * padding;
      out.push_back(static_cast<char>((group >> 16) & 0xff));
      if (padding < 2) out.push_back(static_cast<char>((group >> 8) & 0xff));
      if (padding < 1) out.push_back(static_cast<char>(group & 0xff));
      group = 0;
      filled = 0;
      if (padding > 0) padding = 3;  // any further symbol is refused as "after padding"
    }
  }
  if (filled != 0) {
    return Status::InvalidArgument("Base64: " + std::to_string(symbols) +
                                   " characters is not a multiple of 4 (truncated or unpadded data)");
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t g = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out.push_back(kAlphabet[(g >> 18) & 63]);
    out.push_back(kAlphabet[(g >> 12) & 63]);
    out.push_back(kAlphabet[(g >> 6) & 63]);
    out.push_back(kAlphabet[g & 63]);
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t g = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) g |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out.push_back(kAlphabet[(g >> 18) & 63]);
    out.push_back(kAlphabet[(g >> 12) & 63]);
    out.push_back(rest == 2 ? kAlphabet[(g >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

}  // namespace plateau::server
