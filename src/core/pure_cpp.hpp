// Marks a header as part of the PostgreSQL-free C++ core and refuses to compile beside postgres.h.
//
// The core (decoders, batching, Kafka wrapper) throws C++ exceptions and owns objects with
// destructors; PostgreSQL longjmps. Keeping them in separate translation units is what lets the
// exception bridge in src/pg/ be the only place where the two worlds meet.
#pragma once

#if defined(POSTGRES_H) || defined(PG_VERSION_NUM)
#error "cdc_sync core headers must not be compiled with postgres.h included: include them from a file that does not include PostgreSQL headers, or via src/pg/ wrappers"
#endif
