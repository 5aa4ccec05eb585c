// Everything src/native/isa/<isa>.cc needs before its target region: the standard headers (whose
// inline functions must stay baseline code, see ../simd/simd.h) and the runtime's declarations.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "../conv-common.h"
#include "../gemm.h"
#include "../isa.h"
#include "../pool-common.h"
#include "../simd/simd.h"
