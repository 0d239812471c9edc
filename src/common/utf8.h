// UTF-8 to code points and back.
//
//   bool valid = false;
//   std::u32string cps = DecodeUtf8("GST（MYR）", &valid);  // 9 code points, valid
//   std::string bytes;
//   for (char32_t cp : cps) AppendUtf8(cp, &bytes);
//
// Well-formed means no overlong form, no surrogate and nothing above U+10FFFF. Decoding never fails: a
// byte that does not start a well-formed sequence becomes U+FFFD and decoding goes on at the next byte.
#pragma once

#include <string>
#include <string_view>

namespace plateau {

// The code points of `bytes`; *well_formed (if given) tells whether no U+FFFD had to be put in.
std::u32string DecodeUtf8(std::string_view bytes, bool* well_formed = nullptr);
// Appends the UTF-8 bytes of one code point (<= U+10FFFF) to *out.
void AppendUtf8(char32_t cp, std::string* out);

}  // namespace plateau
