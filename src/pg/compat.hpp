// Every difference between the PostgreSQL versions (and Cloudberry) we build against, in one place.
#pragma once

// MERGE arrived in PostgreSQL 15; Cloudberry (PostgreSQL 14 based) has none.
#if PG_VERSION_NUM >= 150000 && !defined(GP_VERSION_NUM)
#define CDC_HAVE_MERGE 1
#else
#define CDC_HAVE_MERGE 0
#endif

// PostgreSQL 15 requires shared memory to be requested from shmem_request_hook.
#if PG_VERSION_NUM >= 150000
#define CDC_HAVE_SHMEM_REQUEST_HOOK 1
#else
#define CDC_HAVE_SHMEM_REQUEST_HOOK 0
#endif

// Cloudberry/Greenplum tables are distributed; staging tables follow the target's key.
#ifdef GP_VERSION_NUM
#define CDC_DISTRIBUTED_CLAUSE 1
#else
#define CDC_DISTRIBUTED_CLAUSE 0
#endif

// Reserving a GUC prefix was renamed in PostgreSQL 15.
#if PG_VERSION_NUM >= 150000
#define CDC_RESERVE_GUC_PREFIX(prefix) MarkGUCPrefixReserved(prefix)
#else
#define CDC_RESERVE_GUC_PREFIX(prefix) EmitWarningsOnPlaceholders(prefix)
#endif

// stringToQualifiedNameList() takes an error-saving context from PostgreSQL 16 on.
#if PG_VERSION_NUM >= 160000
#define CDC_QUALIFIED_NAME_LIST(s) stringToQualifiedNameList((s), NULL)
#else
#define CDC_QUALIFIED_NAME_LIST(s) stringToQualifiedNameList(s)
#endif

// SPI's result code for MERGE (only meaningful where MERGE exists).
#if CDC_HAVE_MERGE
#define CDC_SPI_OK_MERGE SPI_OK_MERGE
#else
#define CDC_SPI_OK_MERGE (-1)
#endif
