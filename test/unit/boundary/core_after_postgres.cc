// Must NOT compile: ctest expects the build of this file to fail (see CMakeLists.txt).
#include "postgres.h"
#include "core/change.hpp"
