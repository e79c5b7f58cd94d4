// SwiftPM needs one C source in a C target; the symbols live in libcrdt_merge_uniffi.
#include "CrdtMergeFFI.h"
