# PGXS build of the extension. The same core sources are also built by CMake for unit tests.
EXTENSION = cdc_sync
EXTVERSION = 0.1
MODULE_big = cdc_sync

CORE_SRCS := $(wildcard src/core/*.cpp)
GLUE_SRCS := $(wildcard src/pg/*.cpp) $(wildcard src/worker/*.cpp)
OBJS = $(CORE_SRCS:.cpp=.o) $(GLUE_SRCS:.cpp=.o)

DATA_built = $(EXTENSION)--$(EXTVERSION).sql
SQL_PARTS = src/sql/catalog.sql src/sql/internal.sql src/sql/targets.sql src/sql/api.sql src/sql/semantics.sql src/sql/loads.sql src/sql/verify.sql src/sql/views.sql

REGRESS = api_validation api_lifecycle
REGRESS_OPTS = --inputdir=. --load-extension=cdc_sync
# Two sessions racing on the API (specs/*.spec, expected/*.out): pg_isolation_regress.
ISOLATION = api_races
ISOLATION_OPTS = --inputdir=. --load-extension=cdc_sync

PG_CONFIG ?= pg_config
PG_CPPFLAGS = -Isrc $(shell mariadb_config --include)
# -MMD -MP: each object gets a .d file listing the headers it includes (see the -include below).
PG_CXXFLAGS = -std=c++17 -Wno-missing-field-initializers -Wno-register -MMD -MP
SHLIB_LINK = -lrdkafka -lsimdjson -lmariadb -lstdc++ -lpthread

# Bitcode for JIT is not worth a clang++ dependency for this extension.
override with_llvm = no

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS passes CFLAGS-only warnings to C++; drop the ones g++ rejects.
override CXXFLAGS := $(filter-out -Wmissing-prototypes -Wdeclaration-after-statement,$(CXXFLAGS))

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_PARTS)
	cat $^ > $@

# A header change must rebuild every object that includes it (PGXS's own autodepend cannot be
# switched on from here, and would put same-named files of different directories in one .deps/).
-include $(OBJS:.o=.d)

EXTRA_CLEAN = $(EXTENSION)--$(EXTVERSION).sql $(OBJS:.o=.d)
