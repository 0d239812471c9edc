#include "common/utf8.h"

namespace plateau {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

// Length and first payload bits of a sequence from its lead byte; 0 for a byte no sequence starts with.
int SequenceLength(unsigned char lead, char32_t* payload) {
  if (lead < 0x80) return *payload = lead, 1;
  if ((lead & 0xE0) == 0xC0) return *payload = lead & 0x1F, 2;
  if ((lead & 0xF0) == 0xE0) return *payload = lead & 0x0F, 3;
  if ((lead & 0xF8) == 0xF0) return *payload = lead & 0x07, 4;
  return 0;
}

}  // namespace

std::u32string DecodeUtf8(std::string_view bytes, bool* well_formed) {
  static constexpr char32_t kSmallest[5] = {0, 0, 0x80, 0x800, 0x10000};
  std::u32string out;
  out.reserve(bytes.size());
  bool ok = true;
  for (size_t i = 0; i < bytes.size();) {
    char32_t cp = 0;
    const int length = SequenceLength(static_cast<unsigned char>(bytes[i]), &cp);
    bool valid = length > 0 && static_cast<size_t>(length) <= bytes.size() - i;
    for (int k = 1; valid && k < length; ++k) {
      const auto next = static_cast<unsigned char>(bytes[i + static_cast<size_t>(k)]);
      valid = (next & 0xC0) == 0x80;
      cp = (cp << 6) | (next & 0x3F);
    }
    valid = valid && cp >= kSmallest[length] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    if (!valid) {
      out.push_back(kReplacement);
      ok = false;
      ++i;
      continue;
    }
    out.push_back(cp);
    i += static_cast<size_t>(length);
  }
  if (well_formed != nullptr) *well_formed = ok;
  return out;
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace plateau
