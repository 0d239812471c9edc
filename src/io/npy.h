// NumPy .npy files: plateau's exchange format for tensors with other tools (ONNX Runtime references,
// golden inputs, debugging dumps).
//
//   PLATEAU_ASSIGN_OR_RETURN(plateau::Tensor x, plateau::io::ReadNpy("in.npy"));
//   PLATEAU_RETURN_IF_ERROR(plateau::io::WriteNpy("out.npy", outputs[0]));
//
// Supported: format versions 1.0, 2.0 and 3.0 (3.0 only differs in the header's text encoding),
// little-endian element types '<f4' (float32), '<i4' (int32), '<i8' (int64) and '|u1' (uint8), C order,
// rank up to Shape::kMaxRank. Anything else (Fortran order, big-endian or other types, a bad magic string,
// a malformed header, truncated or trailing data) is refused with an error that names the file and says
// what was found and what was expected. Functions are thread-compatible and keep no state.
#pragma once

#include <string>
#include <string_view>

#include "plateau/status.h"
#include "plateau/tensor.h"

namespace plateau::io {

// Reads a whole .npy file into a new tensor.
StatusOr<Tensor> ReadNpy(const std::string& path);

// Parses the bytes of a .npy file; `label` names the source in error messages.
StatusOr<Tensor> ParseNpy(std::string_view bytes, const std::string& label);

// Writes `tensor` as a version 1.0 file (2.0 if the header would not fit), replacing any existing file.
// `tensor.data` must hold tensor.byte_size() bytes.
Status WriteNpy(const std::string& path, const TensorView& tensor);

// The bytes WriteNpy would write. The header is padded with spaces so the data starts at a multiple of
// 64 bytes, as NumPy does.
std::string EncodeNpy(const TensorView& tensor);

}  // namespace plateau::io
